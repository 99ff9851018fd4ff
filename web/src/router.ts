import { createRouter, createWebHistory } from 'vue-router';
import type { RouteRecordRaw } from 'vue-router';
import type { Me } from './api/types';
import { can } from './auth/permissions';
import { loadSession } from './auth/session';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title. */
    titleKey: string;
    /** Which left-menu entry is active. */
    menu?: string;
    /** Open to signed-out visitors (everything else sends them to /login). */
    public?: boolean;
    /** Shown without the shell (the sign-in page). */
    bare?: boolean;
    /** Shown in the open-data portal's own layout (header, footer) instead of the console's. */
    portal?: boolean;
    /** A city service for residents (智慧停车): portal accounts (role public) open it too, in the console's shell. */
    citizen?: boolean;
    /** Who may open the page, beyond being signed in. */
    allow?: (me: Me) => boolean;
  }
}

// Every page is its own lazily loaded chunk.
const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'overview',
    component: () => import('./views/OverviewView.vue'),
    meta: { titleKey: 'nav.overview', menu: '/', public: true },
  },
  {
    path: '/login',
    name: 'login',
    component: () => import('./views/LoginView.vue'),
    meta: { titleKey: 'nav.login', public: true, bare: true },
  },
  {
    path: '/datasets',
    name: 'catalogue',
    component: () => import('./views/CatalogueView.vue'),
    meta: { titleKey: 'nav.catalogue', menu: '/datasets' },
  },
  {
    path: '/datasets/:code',
    name: 'dataset',
    component: () => import('./views/DatasetView.vue'),
    props: true,
    meta: { titleKey: 'nav.dataset', menu: '/datasets' },
  },
  {
    path: '/organisations',
    name: 'organisations',
    component: () => import('./views/OrganisationsView.vue'),
    meta: { titleKey: 'nav.organisations', menu: '/organisations' },
  },
  {
    path: '/sharing',
    name: 'sharing',
    component: () => import('./views/sharing/ShareRequestsView.vue'),
    meta: { titleKey: 'nav.sharing', menu: '/sharing', allow: can.share },
  },
  {
    path: '/sharing/:id',
    name: 'share-request',
    component: () => import('./views/sharing/ShareRequestView.vue'),
    props: true,
    meta: { titleKey: 'nav.shareRequest', menu: '/sharing', allow: can.share },
  },
  {
    path: '/grants',
    name: 'grants',
    component: () => import('./views/sharing/GrantsView.vue'),
    meta: { titleKey: 'nav.grants', menu: '/grants', allow: can.share },
  },
  {
    path: '/grants/:id',
    name: 'grant',
    component: () => import('./views/sharing/GrantView.vue'),
    props: true,
    meta: { titleKey: 'nav.grant', menu: '/grants', allow: can.share },
  },
  {
    path: '/tokens',
    name: 'tokens',
    component: () => import('./views/TokensView.vue'),
    meta: { titleKey: 'nav.tokens', menu: '/tokens', allow: can.manageTokens },
  },
  {
    path: '/audit',
    name: 'audit',
    component: () => import('./views/AuditView.vue'),
    meta: { titleKey: 'nav.audit', menu: '/audit', allow: can.readAudit },
  },
  // Smart parking (智慧停车): the map, lot pages and guidance need no sign-in (their API is public); booking,
  // 我的停车 and the operators' view do. Portal accounts use the resident pages too.
  {
    path: '/parking',
    name: 'parking-map',
    component: () => import('./views/parking/ParkingMapView.vue'),
    meta: { titleKey: 'nav.parking', menu: '/parking', public: true, citizen: true },
  },
  {
    path: '/parking/lots/:id',
    name: 'parking-lot',
    component: () => import('./views/parking/ParkingLotView.vue'),
    props: true,
    meta: { titleKey: 'nav.parkingLot', menu: '/parking', public: true, citizen: true },
  },
  {
    path: '/parking/guidance',
    name: 'parking-guidance',
    component: () => import('./views/parking/ParkingGuidanceView.vue'),
    meta: { titleKey: 'nav.guidance', menu: '/parking/guidance', public: true, citizen: true },
  },
  {
    path: '/parking/mine',
    name: 'parking-mine',
    component: () => import('./views/parking/MyParkingView.vue'),
    meta: { titleKey: 'nav.myParking', menu: '/parking/mine', citizen: true },
  },
  {
    path: '/parking/operations',
    name: 'parking-operations',
    component: () => import('./views/parking/ParkingOperationsView.vue'),
    meta: { titleKey: 'nav.parkingOps', menu: '/parking/operations', allow: can.operateParking },
  },
  // The public open-data portal (公共数据开放平台): its own layout; browsing needs no sign-in.
  {
    path: '/portal',
    name: 'portal-home',
    component: () => import('./views/portal/PortalHomeView.vue'),
    meta: { titleKey: 'portal.name', menu: 'home', public: true, portal: true },
  },
  {
    path: '/portal/search',
    name: 'portal-search',
    component: () => import('./views/portal/PortalSearchView.vue'),
    meta: { titleKey: 'portal.nav.search', menu: 'search', public: true, portal: true },
  },
  {
    path: '/portal/datasets/:code',
    name: 'portal-dataset',
    component: () => import('./views/portal/PortalDatasetView.vue'),
    props: true,
    meta: { titleKey: 'portal.nav.dataset', menu: 'search', public: true, portal: true },
  },
  {
    path: '/portal/plan/:year(\\d{4})?',
    name: 'portal-plan',
    component: () => import('./views/portal/PortalPlanView.vue'),
    props: (r) => ({ year: r.params.year ? Number(r.params.year) : null }),
    meta: { titleKey: 'portal.nav.plan', menu: 'plan', public: true, portal: true },
  },
  {
    path: '/portal/register',
    name: 'portal-register',
    component: () => import('./views/portal/PortalRegisterView.vue'),
    meta: { titleKey: 'portal.nav.register', menu: 'register', public: true, portal: true },
  },
  {
    path: '/portal/account',
    name: 'portal-account',
    component: () => import('./views/portal/PortalAccountView.vue'),
    meta: { titleKey: 'portal.nav.account', menu: 'account', portal: true },
  },
  {
    path: '/portal/:pathMatch(.*)*',
    name: 'portal-not-found',
    component: () => import('./views/NotFoundView.vue'),
    meta: { titleKey: 'nav.notFound', public: true, portal: true },
  },
  {
    path: '/forbidden',
    name: 'forbidden',
    component: () => import('./views/ForbiddenView.vue'),
    meta: { titleKey: 'nav.forbidden', public: true },
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('./views/NotFoundView.vue'),
    meta: { titleKey: 'nav.notFound', public: true },
  },
];

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});

/** Where to go after signing in: a path of this site from `?redirect=`, else the overview. */
export function redirectTarget(q: unknown): string {
  return typeof q === 'string' && q.startsWith('/') && !q.startsWith('//') && !q.startsWith('/login') ? q : '/';
}

/** Pages outside the portal that a portal account (role public) may still open. */
const PORTAL_ACCOUNT_PAGES = new Set<unknown>(['login', 'forbidden', 'not-found']);

// Signed-out visitors go to the sign-in page (and back afterwards); pages a role may not use show 403.
// Members of the public (portal accounts) only use the portal and the residents' city services (meta.citizen): the
// console's other pages send them to the portal's home.
router.beforeEach(async (to) => {
  const me = await loadSession();
  if (to.name === 'login' && me) {
    return redirectTarget(to.query.redirect);
  }
  if (me && !can.useConsole(me) && !to.meta.portal && !to.meta.citizen && !PORTAL_ACCOUNT_PAGES.has(to.name)) return { name: 'portal-home' };
  if (to.meta.public) return true;
  if (!me) return { name: 'login', query: { redirect: to.fullPath } };
  if (to.meta.allow && !to.meta.allow(me)) return { name: 'forbidden', query: { from: to.fullPath } };
  return true;
});
