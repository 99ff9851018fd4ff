import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fail } from '../../errors.ts';
import { AnyObject, authErrors as errors } from '../../http/schemas.ts';
import type { Actor } from '../access/actor.ts';
import type { Audited } from '../access/audited.ts';
import { allowed } from '../access/policy.ts';
import type { CreditService } from './credit.ts';
import type { ParkingHub } from './hub.ts';
import type { PassService } from './passes.ts';
import { BuyPassBody, CreditSyncBody, FeedQuery, GuidanceQuerySchema, HistoryQuery, HoldBody, LotParams, NewLotBody, NewShareWindowBody, OccupancyBody, PassParams, PlateEventBody, PlateParams, ReservationParams, ScoresBody, SettleBody, WindowQuery } from './schemas.ts';
import { PARKING_ORG, type ParkingService } from './service.ts';

/** HTTP routes of smart parking (智慧停车): lots, occupancy pushes, the open GeoJSON feed, quotes and reservations. */
export const parkingRoutes: FastifyPluginAsyncTypebox<{ parking: ParkingService; passes: PassService; credit: CreditService; hub: ParkingHub; audited: Audited }> = async (app, { parking, passes, credit, hub, audited }) => {
  app.get('/parking/lots.geojson', {
    schema: {
      tags: ['parking'],
      summary: 'Open real-time feed (停车场实时泊位): lots as GeoJSON with total, free, state (open, full, closed, unknown) and update time; ETag / If-None-Match',
      security: [],
      querystring: FeedQuery,
      response: { 200: AnyObject, 304: Type.Null(), ...errors },
    },
  }, async (req, reply) => {
    const match = req.headers['if-none-match'];
    const { body, etag } = await parking.feed(req.query, typeof match === 'string' ? match : undefined);
    reply.header('etag', etag).header('cache-control', 'public, max-age=10');
    if (body === null) return reply.code(304).send(null);
    return reply.type('application/geo+json; charset=utf-8').send(body);
  });

  app.get('/parking/guidance', {
    schema: {
      tags: ['parking'],
      summary: 'Guidance (车位诱导): the best lots for a destination, arrival time, stay and space type — walking distance, price, free places now and the predicted chance of a free place at arrival',
      security: [],
      querystring: GuidanceQuerySchema,
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => parking.guidance(req.query));

  app.get('/parking/lots/:id/history', {
    schema: {
      tags: ['parking'],
      summary: "A lot's occupancy over the past hours from the hub's occupancy history, with the model's six-hour forecast",
      security: [],
      params: LotParams,
      querystring: HistoryQuery,
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => parking.history(req.actor, req.params.id, req.query.hours ?? 24));

  app.get('/parking/datasets', {
    schema: {
      tags: ['parking'],
      summary: "The parking platform's hub datasets (lots, occupancy history, sessions) and what waits to be pushed; the transport department's stewards (and the platform) catalogue them if they are not yet",
      security: [],
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => {
    const mayCreate = allowed(req.actor, 'parking.manage', PARKING_ORG) || (req.actor.kind === 'system' && req.actor.systemCode === hub.systemCode);
    const codes = mayCreate ? await hub.datasets() : await hub.existing();
    if (!codes) fail('NOT_FOUND', { method: 'GET', url: '/api/v1/parking/datasets (not catalogued yet)' });
    return { ...codes, status: hub.status() };
  });

  app.get('/parking/my/reservations', {
    schema: { tags: ['parking'], summary: "The signed-in driver's reservations, newest first", response: { 200: AnyObject, ...errors } },
  }, async (req) => parking.myReservations(req.actor));

  app.get('/parking/my/passes', {
    schema: { tags: ['parking'], summary: "The signed-in resident's off-peak passes", response: { 200: AnyObject, ...errors } },
  }, async (req) => passes.mine(req.actor));

  app.post('/parking/credit/scores/sync', {
    schema: { tags: ['parking'], summary: 'Load city credit scores (白鹭分) from a hub dataset, read under the parking system\'s grant (operators)', body: CreditSyncBody, response: { 200: AnyObject, ...errors } },
  }, async (req) => audited(req.actor, 'parking.credit.sync', { dataset: req.body.dataset }, () => credit.syncScores(req.actor, req.body)));

  app.post('/parking/lots', {
    schema: { tags: ['parking'], summary: "Register a lot (platform admins, the transport department's stewards)", body: NewLotBody, response: { 201: AnyObject, ...errors } },
  }, async (req, reply) => reply.code(201).send(await parking.createLot(req.actor, req.body)));

  app.get('/parking/lots/:id', {
    schema: { tags: ['parking'], summary: 'One lot with capacity, tariff, opening hours and live state', security: [], params: LotParams, response: { 200: AnyObject, ...errors } },
  }, async (req) => parking.lot(req.params.id));

  app.post('/parking/lots/:id/occupancy', {
    schema: {
      tags: ['parking'],
      summary: "Push occupancy counts or entry/exit events, with the lot's own system's application token; with Idempotency-Key a retried push is applied once (Idempotent-Replayed: true)",
      params: LotParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
      body: OccupancyBody,
      response: { 200: AnyObject, ...errors },
    },
  }, async (req, reply) => {
    const r = await parking.pushOccupancy(req.actor, req.params.id, { ...req.body, key: req.headers['idempotency-key'] ?? null });
    if ('replayed' in r) reply.header('idempotent-replayed', 'true');
    return r;
  });

  app.get('/parking/lots/:id/quote', {
    schema: {
      tags: ['parking'],
      summary: 'Quote a window: price in integer fen from the tariff bands and places left, the window rounded out to time slices',
      security: [],
      params: LotParams,
      querystring: WindowQuery,
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => parking.quote(req.params.id, req.query.spaceType, req.query.start, req.query.end));

  app.post('/parking/reservations', {
    schema: {
      tags: ['parking'],
      summary: 'Hold a place (预约锁定) until the hold expires; 409 PARKING_FULL when any slice of the window is full',
      body: HoldBody,
      response: { 201: AnyObject, ...errors },
    },
  }, async (req, reply) => reply.code(201).send(await parking.hold(req.actor, req.body)));

  app.get('/parking/reservations/:id', {
    schema: { tags: ['parking'], summary: 'One reservation (its driver, the lot system, the transport department)', params: ReservationParams, response: { 200: AnyObject, ...errors } },
  }, async (req) => parking.reservation(req.actor, req.params.id));

  const step = (path: string, summary: string, fn: (actor: Actor, id: string) => Promise<unknown>) =>
    app.post(`/parking/reservations/:id/${path}`, {
      schema: { tags: ['parking'], summary, params: ReservationParams, response: { 200: AnyObject, ...errors } },
    }, async (req) => fn(req.actor, req.params.id));
  step('confirm', 'Confirm a hold before it expires', (a, id) => parking.confirm(a, id));
  step('check-in', 'Check in at the lot (入场)', (a, id) => parking.checkIn(a, id));
  step('check-out', 'Check out (出场); the slices still ahead are given back', (a, id) => parking.checkOut(a, id));
  step('cancel', 'Cancel a held or confirmed reservation; its slices are given back', (a, id) => parking.cancel(a, id));

  // ── Off-peak sharing (错时停车) ───────────────────────────────────────────────────────────────────────────

  app.post('/parking/lots/:id/share-windows', {
    schema: { tags: ['parking'], summary: "Declare a shared lot's sharing window with its pass price and overstay rate in integer fen", params: LotParams, body: NewShareWindowBody, response: { 201: AnyObject, ...errors } },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'parking.share-window.create', { lot: req.params.id }, () => passes.createWindow(req.actor, req.params.id, req.body))));

  app.get('/parking/lots/:id/share-windows', {
    schema: { tags: ['parking'], summary: "A shared lot's sharing windows", security: [], params: LotParams, response: { 200: AnyObject, ...errors } },
  }, async (req) => passes.windows(req.params.id));

  app.post('/parking/passes', {
    schema: { tags: ['parking'], summary: 'Buy an off-peak pass (错峰停车证) for a plate and sharing window', body: BuyPassBody, response: { 201: AnyObject, ...errors } },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'parking.pass.buy', { window: req.body.windowId, plate: req.body.plate }, () => passes.buy(req.actor, req.body))));

  app.get('/parking/passes/:id', {
    schema: { tags: ['parking'], summary: 'One pass with its state and recent overstays (its holder, the transport department)', params: PassParams, response: { 200: AnyObject, ...errors } },
  }, async (req) => passes.pass(req.actor, req.params.id));

  app.post('/parking/lots/:id/pass-entries', {
    schema: { tags: ['parking'], summary: "An entry on a pass, from the lot's system; 409 PASS_OUTSIDE_WINDOW or PASS_SUSPENDED when refused", params: LotParams, body: PlateEventBody, response: { 201: AnyObject, ...errors } },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'parking.pass.entry', { lot: req.params.id, plate: req.body.plate }, () => passes.enter(req.actor, req.params.id, req.body))));

  app.post('/parking/lots/:id/pass-exits', {
    schema: { tags: ['parking'], summary: "An exit on a pass, from the lot's system: overstay charged per started hour; the third overstay in 30 days suspends the pass", params: LotParams, body: PlateEventBody, response: { 200: AnyObject, ...errors } },
  }, async (req) => audited(req.actor, 'parking.pass.exit', { lot: req.params.id, plate: req.body.plate }, () => passes.exit(req.actor, req.params.id, req.body)));

  // ── Credit parking (信用停车) ────────────────────────────────────────────────────────────────────────────

  app.put('/parking/credit/scores', {
    schema: { tags: ['parking'], summary: 'Load city credit scores per plate (the transport department, the platform operator)', body: ScoresBody, response: { 200: AnyObject, ...errors } },
  }, async (req) => audited(req.actor, 'parking.credit.scores', { plates: req.body.scores.length }, () => credit.putScores(req.actor, req.body.scores)));

  app.post('/parking/lots/:id/credit-check-in', {
    schema: { tags: ['parking'], summary: "A pay-later check-in, from the lot's system; 403 CREDIT_REFUSED below the score threshold, 409 CREDIT_SUSPENDED over the arrears limit", params: LotParams, body: PlateEventBody, response: { 201: AnyObject, ...errors } },
  }, async (req, reply) => reply.code(201).send(await audited(req.actor, 'parking.credit.check-in', { lot: req.params.id, plate: req.body.plate }, () => credit.checkIn(req.actor, req.params.id, req.body))));

  app.post('/parking/lots/:id/credit-check-out', {
    schema: { tags: ['parking'], summary: "A pay-later check-out, from the lot's system: the tariff's charge in integer fen is appended to the ledger", params: LotParams, body: PlateEventBody, response: { 200: AnyObject, ...errors } },
  }, async (req) => audited(req.actor, 'parking.credit.check-out', { lot: req.params.id, plate: req.body.plate }, () => credit.checkOut(req.actor, req.params.id, req.body)));

  app.post('/parking/credit/settlements', {
    schema: { tags: ['parking'], summary: "Run a settlement: charge every driver's unsettled entries at once (operators)", body: SettleBody, response: { 200: AnyObject, ...errors } },
  }, async (req) => audited(req.actor, 'parking.credit.settle', {}, () => credit.settleAs(req.actor, req.body.at)));

  app.post('/parking/credit/settlements/:id/returned', {
    schema: {
      tags: ['parking'],
      summary: "Record that the payment channel returned a settlement's collection (扣款失败): its amount is arrears again, collected by the next run (operators)",
      params: PassParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: AnyObject, ...errors },
    },
  }, async (req) => audited(req.actor, 'parking.credit.returned', { settlement: req.params.id, reason: req.body.reason }, () => credit.returned(req.actor, req.params.id, req.body.reason)));

  app.get('/parking/credit/accounts/:plate', {
    schema: { tags: ['parking'], summary: "A driver's pay-later account: state, balance, ledger sum and entries (operators)", params: PlateParams, response: { 200: AnyObject, ...errors } },
  }, async (req) => credit.account(req.actor, req.params.plate));
};
