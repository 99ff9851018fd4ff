import { createRouter, createWebHistory } from 'vue-router';
import type { RouteRecordRaw } from 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    /** i18n key of the page title. */
    titleKey: string;
    /** Which left-menu entry is active. */
    menu?: string;
  }
}

// Every page is its own lazily loaded chunk.
const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'overview',
    component: () => import('./views/OverviewView.vue'),
    meta: { titleKey: 'nav.overview', menu: '/' },
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
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('./views/NotFoundView.vue'),
    meta: { titleKey: 'nav.notFound' },
  },
];

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
});
