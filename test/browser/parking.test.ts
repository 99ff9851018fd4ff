// End-to-end test of smart parking (智慧停车) in real Chromium against the real server: lots registered over the API
// by the platform admin, occupancy pushed with the parking system's own application token; the map draws them
// coloured by availability (legend counts equal to the feed's) and revalidates the feed with its ETag; a lot page
// shows capacity, tariff and the occupancy chart; a signed-out resident runs guidance from a landmark, picks the top
// lot, is sent to sign in and back, holds (with the countdown), confirms, finds the reservation in 我的停车 and
// cancels it; a one-place lot already taken answers 409 PARKING_FULL with its message; the operators' table
// highlights the silent lot. The same guidance → booking runs in English. On a shared lot's page the resident buys an
// off-peak pass (a second one for the same plate is refused with PASS_EXISTS), and the operators look up a driver's
// pay-later account with its ledger and settle it.
//
// Needs web/dist (built by `npm test` via build:web; built here if missing) and /usr/bin/chromium.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DEMO_PASSWORD, ensureWebBuilt, hasChromium, launchChromium, openPage, poll, startServer, warnIfNoChromium } from './harness.ts';
import type { TestServer } from './harness.ts';

warnIfNoChromium('smart parking');

interface FeedProps {
  id: string;
  name: string;
  district: string;
  total: number;
  free: number | null;
  state: 'open' | 'full' | 'closed' | 'unknown';
}
interface Feed {
  features: { properties: FeedProps }[];
}
interface GuidanceAnswer {
  results: { lotId: string; name: string; walkM: number; priceFen: number; pFree: number }[];
}

/** 软件园二期 (Software Park Phase II), as the guidance page's landmark list places it (WGS-84). */
const SOFTWARE_PARK = { lon: 118.1826, lat: 24.4905 };
/** 1 元/h all day, 2 元/h in the day: cheap enough that the nearest lot ranks first. */
const TARIFF = [
  { from: '00:00', to: '08:00', fenPerHour: 100 },
  { from: '08:00', to: '20:00', fenPerHour: 200 },
  { from: '20:00', to: '24:00', fenPerHour: 100 },
];

/** The map's availability class of a feed lot (mirrors web/src/utils/availability.ts). */
function availability(p: FeedProps): string {
  if (p.state !== 'open') return p.state;
  if (p.free === null) return 'unknown';
  if (p.free <= 0) return 'full';
  return p.total > 0 && p.free / p.total < 0.25 ? 'limited' : 'ample';
}

describe.skipIf(!hasChromium)('smart parking in Chromium against the real server', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const tag = randomBytes(3).toString('hex');
  const near = { id: `e2e-swp-${tag}`, name: `软件园二期观日路停车场${tag}` };
  const tiny = { id: `e2e-tiny-${tag}`, name: `中山路单车位停车场${tag}` };
  const silent = { id: `e2e-silent-${tag}`, name: `湖里失联停车场${tag}` };
  const school = { id: `e2e-school-${tag}`, name: `莲花中学共享停车场${tag}` };
  const payLater = '闽D60601';
  const resident = { name: '白鹭居民', username: `driver.${tag}`, password: 'Wuyuan-Bay-2026!' };
  let adminCookie = '';
  let reservationId = '';

  const url = (path: string) => `${server!.url}${path}`;

  async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url(path), {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function cookieOf(username: string, password: string): Promise<string> {
    const res = await fetch(url('/api/v1/auth/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (!res.ok) throw new Error(`sign-in of ${username} → ${res.status} ${await res.text()}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0];
  }

  const feed = () => api<Feed>('GET', '/api/v1/parking/lots.geojson');

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startServer();
    adminCookie = await cookieOf('admin', DEMO_PASSWORD);
    const admin = { cookie: adminCookie };
    const lot = (l: { id: string; name: string }, extra: Record<string, unknown>) =>
      api('POST', '/api/v1/parking/lots', { id: l.id, name: l.name, kind: 'garage', operator: '厦门路桥停车', reservablePercent: 50, tariff: TARIFF, systemCode: 'JTJ-PARK', ...extra }, admin);
    // 30 m from the landmark; a one-place lot on Zhongshan Road, all of it reservable; a lot whose system never reports.
    await lot(near, { district: '350203', lon: SOFTWARE_PARK.lon + 0.0002, lat: SOFTWARE_PARK.lat + 0.0002, capacity: { standard: 40, ev: 6, accessible: 2 } });
    await lot(tiny, { district: '350203', lon: 118.0812, lat: 24.4561, capacity: { standard: 1 }, reservablePercent: 100 });
    await lot(silent, { district: '350206', lon: 118.15, lat: 24.52, capacity: { standard: 20 } });
    // A school that shares its yard on weekday nights and rest days.
    await lot(school, { district: '350203', kind: 'shared', operator: '莲花中学', lon: 118.131, lat: 24.486, capacity: { standard: 30 }, reservablePercent: 0 });
    await api('POST', `/api/v1/parking/lots/${school.id}/share-windows`, {
      name: '夜间及休息日', periods: [{ days: 'workday', from: '18:30', to: '07:30' }, { days: 'restday', from: '00:00', to: '24:00' }], priceFen: 15000, overstayFenPerHour: 500, places: 12,
    }, admin);
    // The parking platform's own system pushes counts with its application token.
    const issued = await api<{ token: string }>('POST', '/api/v1/tokens', { systemCode: 'JTJ-PARK', name: `e2e ${tag}`, scopes: ['ingest'], expiresInDays: 1 }, admin);
    const system = { authorization: `Bearer ${issued.token}` };
    await api('POST', `/api/v1/parking/lots/${near.id}/occupancy`, { counts: { standard: 12, ev: 5, accessible: 0 } }, system);
    await api('POST', `/api/v1/parking/lots/${tiny.id}/occupancy`, { counts: { standard: 0 } }, system);
    // A driver with a good city credit score parked on credit at the school for two hours: one charge on the ledger.
    await api('PUT', '/api/v1/parking/credit/scores', { scores: [{ plate: payLater, score: 760 }] }, admin);
    const entered = new Date(Date.now() - 2 * 3600_000).toISOString();
    await api('POST', `/api/v1/parking/lots/${near.id}/credit-check-in`, { plate: payLater, at: entered }, system);
    await api('POST', `/api/v1/parking/lots/${near.id}/credit-check-out`, { plate: payLater, at: new Date(Date.parse(entered) + 2 * 3600_000).toISOString() }, system);
    // Someone else has already taken the tiny lot's only place for the next four hours.
    const start = new Date().toISOString();
    const end = new Date(Date.now() + 4 * 3600_000).toISOString();
    await api('POST', '/api/v1/parking/reservations', { lotId: tiny.id, spaceType: 'standard', start, end }, admin);
    // A resident registers on the open-data portal (role public).
    await api('POST', '/api/v1/portal/register', { kind: 'person', name: resident.name, username: resident.username, password: resident.password });

    browser = await launchChromium();
    page = await openPage(browser, pageErrors, { height: 960 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('the map draws every lot of the feed coloured by availability, revalidates with the ETag and opens a lot', async () => {
    const lots = (await feed()).features.map((f) => f.properties);
    expect(lots.find((l) => l.id === near.id)).toMatchObject({ state: 'open', free: 48 - 17, total: 48 });
    expect(lots.find((l) => l.id === silent.id)).toMatchObject({ state: 'unknown', free: null });

    await page.goto(url('/parking'));
    await page.locator('[data-testid=parking-map][data-map=ready]').waitFor();
    await poll(() => page.locator('[data-testid=parking-map]').getAttribute('data-lots')).toBe(String(lots.length));
    await page.locator('[data-testid=parking-map] canvas').first().waitFor();
    for (const a of ['ample', 'limited', 'full', 'closed', 'unknown']) {
      expect(await page.locator(`[data-testid=parking-legend-${a}]`).getAttribute('data-count'), a).toBe(String(lots.filter((l) => availability(l) === a).length));
    }
    expect(await page.locator(`[data-testid=parking-lot-item][data-id=${silent.id}] [data-testid=lot-state]`).getAttribute('data-availability')).toBe('unknown');
    expect(await page.locator(`[data-testid=parking-lot-item][data-id=${near.id}] [data-testid=lot-state]`).textContent()).toContain('空位充足');

    // 刷新 revalidates: If-None-Match with the feed's ETag, answered 304.
    const [revalidated] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/parking/lots.geojson')),
      page.locator('[data-testid=parking-refresh]').click(),
    ]);
    expect(revalidated.request().headers()['if-none-match']).toMatch(/^"/);
    expect(revalidated.status()).toBe(304);
    expect(await page.locator('[data-testid=parking-map]').getAttribute('data-lots')).toBe(String(lots.length));

    // The district filter asks the feed for one district.
    await page.locator('[data-testid=parking-district]').click();
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/parking/lots.geojson') && r.url().includes('district=350206')),
      page.locator('[data-testid=parking-district-350206]').click(),
    ]);
    // Exactly the district's lots of the feed (the demo's simulated lots there, and the silent test lot).
    const huli = lots.filter((l) => l.district === '350206').map((l) => l.id).sort();
    expect(huli).toContain(silent.id);
    await poll(async () => (await page.locator('[data-testid=parking-lot-item]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).sort()).toEqual(huli);
    await page.locator('[data-testid=parking-district]').click();
    await page.locator('.el-select-dropdown__item').first().click(); // 全市
    await poll(() => page.locator('[data-testid=parking-lot-item]').count()).toBe(lots.length);

    // A lot opens its page: capacity by type, tariff, the occupancy chart with its forecast.
    await page.locator(`[data-testid=parking-lot-item][data-id=${near.id}]`).click();
    await page.waitForURL((u) => u.pathname === `/parking/lots/${near.id}`);
    await poll(() => page.locator('[data-testid=parking-lot-name]').textContent()).toBe(near.name);
    expect(await page.locator('[data-testid=parking-lot-live]').getAttribute('data-free')).toBe('31');
    expect(await page.locator('[data-testid=parking-lot-capacity] [data-free-type=ev]').textContent()).toBe('1');
    expect(await page.locator('[data-testid=parking-lot-tariff]').textContent()).toContain('¥2.00/小时');
    await page.locator('[data-testid=occupancy-chart] canvas').first().waitFor();
    await poll(() => page.locator('[data-testid=occupancy-chart]').getAttribute('data-forecast').then(Number)).toBeGreaterThan(0);

    // English throughout.
    await page.locator('[data-testid=lang-en]').click();
    expect(await page.locator('[data-testid=parking-lot-tariff]').textContent()).toContain('¥2.00/hour');
    await page.locator('[data-testid=nav-parking]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('Smart Parking');
    expect(await page.locator('[data-testid=parking-legend-unknown]').textContent()).toContain('No data');
    await page.locator('[data-testid=lang-zh]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('智慧停车');
  });

  it('a resident runs guidance, signs in to book the top lot, holds, confirms, sees it in 我的停车 and cancels it', async () => {
    await page.locator('[data-testid=nav-guidance]').click();
    await page.waitForURL((u) => u.pathname === '/parking/guidance');
    await page.locator('[data-testid=guidance-place]').click();
    await page.locator('[data-testid=guidance-place-softwarePark]').click();
    expect(await page.locator('[data-testid=guidance-point]').getAttribute('data-lon')).toBe(String(SOFTWARE_PARK.lon));
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/parking/guidance?') && r.request().method() === 'GET'),
      page.locator('[data-testid=guidance-search]').click(),
    ]);
    expect(answer.status()).toBe(200);
    const guidance = (await answer.json()) as GuidanceAnswer;
    expect(guidance.results[0]?.lotId, 'the lot 30 m away ranks first').toBe(near.id);
    const rows = page.locator('[data-testid=guidance-result]');
    await poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-lot')))).toEqual(guidance.results.map((r) => r.lotId));
    const top = guidance.results[0];
    expect(await page.locator('[data-testid=guidance-price]').first().textContent()).toBe(`¥${(top.priceFen / 100).toFixed(2)}`);
    expect(await page.locator('[data-testid=guidance-walk-cell]').first().textContent()).toContain(`${top.walkM} 米`);
    expect(await page.locator('[data-testid=guidance-pfree]').first().textContent()).toMatch(/\d+%/);

    // Choosing it quotes the window; signed out, booking asks to sign in and comes back to the same choice.
    await page.locator('[data-testid=guidance-choose]').first().click();
    const booking = page.locator(`[data-testid=guidance-booking] [data-testid=booking-panel][data-lot=${near.id}]`);
    await poll(() => booking.locator('[data-testid=booking-quote]').getAttribute('data-price-fen')).toBe(String(top.priceFen));
    await booking.locator('[data-testid=booking-sign-in]').click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.locator('input[data-testid=login-username]').fill(resident.username);
    await page.locator('input[data-testid=login-password]').fill(resident.password);
    await page.locator('[data-testid=login-submit]').click();
    await page.waitForURL((u) => u.pathname === '/parking/guidance' && u.searchParams.get('lot') === near.id);
    expect(await page.locator('[data-testid=nav-catalogue]').count(), 'a portal account sees only the residents’ entries').toBe(0);

    // Hold (with the countdown), then confirm.
    await booking.locator('[data-testid=booking-quote]').waitFor();
    await booking.locator('input[data-testid=booking-plate]').fill('闽D8A888');
    await booking.locator('[data-testid=booking-hold]').click();
    const reservation = booking.locator('[data-testid=booking-reservation]');
    await poll(() => reservation.getAttribute('data-status')).toBe('held');
    reservationId = (await reservation.getAttribute('data-id')) ?? '';
    expect(reservationId).toMatch(/^rsv-/);
    const left = Number(await booking.locator('[data-testid=hold-countdown]').getAttribute('data-left-ms'));
    expect(left).toBeGreaterThan(60_000);
    expect(await booking.locator('[data-testid=hold-countdown]').textContent()).toMatch(/^\d\d:\d\d$/);
    await booking.locator('[data-testid=booking-confirm]').click();
    await poll(() => reservation.getAttribute('data-status')).toBe('confirmed');
    expect(await reservation.locator('[data-testid=reservation-status]').textContent()).toBe('已确认');

    // 我的停车 lists it; cancelling gives the place back.
    await booking.locator('[data-testid=booking-view-mine]').click();
    await page.waitForURL((u) => u.pathname === '/parking/mine');
    const mine = page.locator(`[data-testid=my-reservation][data-id=${reservationId}]`);
    await poll(() => mine.getAttribute('data-status')).toBe('confirmed');
    expect(await mine.textContent()).toContain(near.name);
    const row = page.locator('[data-testid=my-reservations] .el-table__row', { has: mine });
    await row.locator('[data-testid=my-reservation-cancel]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await poll(() => mine.getAttribute('data-status')).toBe('cancelled');
    expect(await row.locator('[data-testid=reservation-status]').textContent()).toBe('已取消');
    expect(await row.locator('[data-testid=my-reservation-cancel]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('booking a lot whose only place is taken shows 409 PARKING_FULL with its message', async () => {
    await page.goto(url(`/parking/lots/${tiny.id}`));
    await poll(() => page.locator('[data-testid=parking-lot-name]').textContent()).toBe(tiny.name);
    await page.locator('[data-testid=parking-lot-reserve]').click();
    const dialog = page.locator('[data-testid=reserve-dialog]');
    await poll(() => dialog.locator('[data-testid=booking-quote]').getAttribute('data-left')).toBe('0');
    await dialog.locator('[data-testid=booking-full]').waitFor();
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/parking/reservations') && r.request().method() === 'POST'),
      dialog.locator('[data-testid=booking-hold]').click(),
    ]);
    expect(refused.status()).toBe(409);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('PARKING_FULL');
    const problem = dialog.locator('[data-testid=parking-problem]');
    await poll(() => problem.getAttribute('data-code')).toBe('PARKING_FULL');
    expect(await problem.textContent()).toContain('车位已满');
    expect(await problem.locator('[data-testid=parking-problem-message]').textContent()).toBe(body.error.message);
    expect(body.error.message).toContain(tiny.name);
    expect(await dialog.locator('[data-testid=booking-reservation]').count()).toBe(0);
  });

  it('the same guidance → booking in English', async () => {
    await page.goto(url('/parking/guidance'));
    await page.locator('[data-testid=lang-en]').click();
    await poll(() => page.locator('[data-testid=page-title]').textContent()).toBe('Parking Guidance');
    await page.locator('[data-testid=guidance-place]').click();
    await page.locator('[data-testid=guidance-place-softwarePark]').click();
    await page.locator('[data-testid=guidance-search]').click();
    const rows = page.locator('[data-testid=guidance-result]');
    await poll(() => rows.first().getAttribute('data-lot')).toBe(near.id);
    expect(await page.locator('[data-testid=guidance-walk-cell]').first().textContent()).toMatch(/^\d+ m · about \d+ min$/);
    await page.locator('[data-testid=guidance-choose]').first().click();
    const booking = page.locator(`[data-testid=guidance-booking] [data-testid=booking-panel][data-lot=${near.id}]`);
    await booking.locator('[data-testid=booking-quote]').waitFor();
    await booking.locator('input[data-testid=booking-plate]').fill('闽d 8a889');
    await booking.locator('[data-testid=booking-hold]').click();
    const reservation = booking.locator('[data-testid=booking-reservation]');
    await poll(() => reservation.getAttribute('data-status')).toBe('held');
    expect(await reservation.locator('[data-testid=reservation-status]').textContent()).toBe('Held');
    await booking.locator('[data-testid=booking-confirm]').click();
    await poll(() => reservation.locator('[data-testid=reservation-status]').textContent()).toBe('Confirmed');
    const id = await reservation.getAttribute('data-id');
    // The plate as typed is stored in its one form.
    expect((await api<{ plate: string }>('GET', `/api/v1/parking/reservations/${id}`, undefined, { cookie: adminCookie })).plate).toBe('闽D8A889');
    await booking.locator('[data-testid=booking-cancel]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await poll(() => reservation.locator('[data-testid=reservation-status]').textContent()).toBe('Cancelled');
    await page.locator('[data-testid=lang-zh]').click();
    expect(pageErrors).toEqual([]);
  });

  it('a resident buys an off-peak pass on a shared lot’s page; a second for the same plate is refused', async () => {
    await page.goto(url(`/parking/lots/${school.id}`));
    const card = page.locator('[data-testid=share-windows]');
    await poll(() => card.locator('[data-testid=share-window]').count()).toBe(1);
    expect(await card.textContent()).toContain('工作日 18:30–次日 07:30');
    expect(await card.textContent()).toContain('¥150.00');
    const buy = async (plate: string) => {
      await card.locator('[data-testid=share-buy]').click();
      const dialog = page.locator('[data-testid=share-buy-dialog]');
      await dialog.locator('input[data-testid=share-plate]').fill(plate);
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/parking/passes') && r.request().method() === 'POST'),
        dialog.locator('[data-testid=share-buy-confirm]').click(),
      ]);
      return { dialog, res };
    };
    const first = await buy('闽D61234');
    expect(first.res.status()).toBe(201);
    const passId = await first.dialog.locator('[data-testid=share-bought]').getAttribute('data-id');
    expect(passId).toMatch(/^pass-/);
    await first.dialog.locator('.el-dialog__headerbtn').click();
    const again = await buy('闽D61234');
    expect(again.res.status()).toBe(409);
    await poll(() => again.dialog.locator('[data-testid=parking-problem]').getAttribute('data-code')).toBe('PASS_EXISTS');
    expect(await again.dialog.locator('[data-testid=parking-problem]').textContent()).toContain('该车牌已有此时段的停车证');
    await again.dialog.locator('.el-dialog__headerbtn').click();
    await page.goto(url('/parking/mine'));
    await poll(() => page.locator('[data-testid=my-passes]').textContent()).toContain('闽D61234');
    expect(pageErrors).toEqual([]);
  });

  it('the operators’ table highlights the silent lot, and is closed to residents', async () => {
    await page.goto(url('/parking/operations'));
    await page.waitForURL((u) => u.pathname === '/portal');
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const [name, value] = adminCookie.split('=');
    await ctx.addCookies([{ name, value, url: server!.url }]);
    const ops = await ctx.newPage();
    await ops.goto(url('/parking/operations'));
    const row = ops.locator(`[data-testid=ops-row][data-id=${silent.id}]`);
    await poll(() => row.getAttribute('data-state')).toBe('unknown');
    expect(await ops.locator('.el-table__row', { has: row }).locator('[data-testid=ops-silent]').textContent()).toBe('失联');
    expect(await ops.locator('[data-testid=ops-row]').first().getAttribute('data-state'), 'silent lots come first').toBe('unknown');
    await ops.locator('[data-testid=ops-state-open]').click();
    await poll(() => ops.locator(`[data-testid=ops-row][data-id=${silent.id}]`).count()).toBe(0);
    const states = await ops.locator('[data-testid=ops-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    expect(new Set(states)).toEqual(new Set(['open']));
    expect(await ops.locator(`[data-testid=ops-row][data-id=${near.id}]`).count()).toBe(1);

    // 信用停车: the driver's account with its one charge, then a settlement brings it to zero.
    await ops.locator('#tab-credit').click();
    await ops.locator('input[data-testid=credit-plate]').fill(payLater);
    await ops.locator('[data-testid=credit-lookup]').click();
    const account = ops.locator('[data-testid=credit-account]');
    await poll(() => account.getAttribute('data-state')).toBe('active');
    const balance = Number(await account.getAttribute('data-balance'));
    // Two hours at 1–2 元 an hour, whatever the time of day the test runs.
    expect(balance).toBeGreaterThanOrEqual(200);
    expect(balance).toBeLessThanOrEqual(400);
    expect(await ops.locator('[data-testid=credit-ledger] .el-table__row').count()).toBe(1);
    await ops.locator('[data-testid=credit-settle]').click();
    await ops.locator('.el-message-box__btns .el-button--primary').click();
    await poll(() => account.getAttribute('data-balance')).toBe('0');
    expect(await ops.locator('[data-testid=credit-ledger] .el-table__row').count()).toBe(2);
    await ops.locator('input[data-testid=credit-plate]').fill('闽D00000');
    await ops.locator('[data-testid=credit-lookup]').click();
    await poll(() => ops.locator('[data-testid=parking-problem]').getAttribute('data-code')).toBe('CREDIT_ACCOUNT_NOT_FOUND');
    await ctx.close();
  });
});
