import { Type } from '@fastify/type-provider-typebox';

/** A space type (车位类型). */
export const SpaceTypeSchema = Type.Union([Type.Literal('standard'), Type.Literal('ev'), Type.Literal('accessible'), Type.Literal('large')]);

const Count = Type.Integer({ minimum: 0, maximum: 100_000 });
const Clock = Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$', description: 'HH:MM, Beijing time' });
const Time = Type.String({ minLength: 10, maxLength: 40, description: 'ISO 8601 time, e.g. 2025-06-02T14:00:00+08:00; Beijing time when no offset is given' });

/** A lot id in a path. */
export const LotParams = Type.Object({ id: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }) });
/** A reservation id in a path. */
export const ReservationParams = Type.Object({ id: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }) });

/** The body that registers a lot. */
export const NewLotBody = Type.Object({
  id: Type.Optional(Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' })),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  district: Type.String({ pattern: '^[0-9]{6}$', description: 'district adcode (行政区划代码)' }),
  kind: Type.Union([Type.Literal('garage'), Type.Literal('street'), Type.Literal('shared')]),
  operator: Type.String({ minLength: 1, maxLength: 100 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  capacity: Type.Object({ standard: Type.Optional(Count), ev: Type.Optional(Count), accessible: Type.Optional(Count), large: Type.Optional(Count) }, { additionalProperties: false }),
  reservablePercent: Type.Integer({ minimum: 0, maximum: 100, description: 'share of each space type bookable per time slice' }),
  tariff: Type.Array(Type.Object({ from: Clock, to: Clock, fenPerHour: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }), { minItems: 1, maxItems: 48, description: 'time-of-day bands covering the whole day, integer fen per hour' }),
  // The array first: with the validator's array coercion, a null branch tried first would unwrap a one-period list.
  openingHours: Type.Optional(Type.Union([Type.Array(Type.Object({ days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }), from: Clock, to: Clock }), { maxItems: 28 }), Type.Null()])),
  systemCode: Type.String({ minLength: 1, maxLength: 64, description: "the lot's own connected system, the only one that may push its occupancy" }),
});

/** A push of counts and/or entry and exit events from a lot's system. */
export const OccupancyBody = Type.Object({
  at: Type.Optional(Time),
  counts: Type.Optional(Type.Object({ standard: Type.Optional(Count), ev: Type.Optional(Count), accessible: Type.Optional(Count), large: Type.Optional(Count) }, { additionalProperties: false })),
  events: Type.Optional(Type.Array(Type.Object({ kind: Type.Union([Type.Literal('entry'), Type.Literal('exit')]), spaceType: Type.Optional(SpaceTypeSchema), at: Type.Optional(Time) }), { maxItems: 10_000 })),
});

/** A window of a space type at a lot: what a quote and a hold ask about. */
export const WindowQuery = Type.Object({ spaceType: SpaceTypeSchema, start: Time, end: Time });

/** The body that holds a place. */
export const HoldBody = Type.Object({
  lotId: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }),
  spaceType: SpaceTypeSchema,
  start: Time,
  end: Time,
  plate: Type.Optional(Type.String({ minLength: 2, maxLength: 12, description: 'licence plate, e.g. 闽D12345' })),
});

/** Filters of the open feed. */
export const FeedQuery = Type.Object({
  district: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
  bbox: Type.Optional(Type.String({ maxLength: 100, description: 'minLon,minLat,maxLon,maxLat' })),
  near: Type.Optional(Type.String({ maxLength: 60, description: 'lon,lat' })),
  radius: Type.Optional(Type.Integer({ minimum: 1, maximum: 50_000, description: 'metres around near (default 1000)' })),
});

const Plate = Type.String({ minLength: 2, maxLength: 12, description: 'licence plate, e.g. 闽D12345' });
const Fen = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'integer fen (分)' });

/** A pass id in a path. */
export const PassParams = Type.Object({ id: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }) });
/** A plate in a path. */
export const PlateParams = Type.Object({ plate: Plate });

/** The body that declares a shared lot's sharing window (错时共享时段). */
export const NewShareWindowBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  periods: Type.Array(
    Type.Object({ days: Type.Union([Type.Literal('workday'), Type.Literal('restday')]), from: Clock, to: Clock }, { additionalProperties: false }),
    { minItems: 1, maxItems: 14, description: 'on working or rest days (the work calendar decides holidays and make-up days); to ≤ from ends the next day' },
  ),
  priceFen: Fen,
  overstayFenPerHour: Fen,
  places: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: "places shared in the window: passes valid at the same time are sold up to this number (default: the lot's standard places)" })),
});

/** The body that buys a pass. */
export const BuyPassBody = Type.Object({ windowId: Type.String({ minLength: 2, maxLength: 40, pattern: '^[A-Za-z0-9-]+$' }), plate: Plate, validFrom: Type.Optional(Time) });

/** An entry or exit of a plate reported by a lot's system. */
export const PlateEventBody = Type.Object({ plate: Plate, at: Type.Optional(Time) });

/** City credit scores per plate. */
export const ScoresBody = Type.Object({ scores: Type.Array(Type.Object({ plate: Plate, score: Type.Integer({ minimum: 0, maximum: 1000 }) }), { minItems: 1, maxItems: 10_000 }) });

/** When a settlement run counts up to (default now). */
export const SettleBody = Type.Object({ at: Type.Optional(Time) });

/** A guidance request (车位诱导). */
export const GuidanceQuerySchema = Type.Object({
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  arrive: Type.Optional(Time),
  stayMinutes: Type.Optional(Type.Integer({ minimum: 15, maximum: 1440 })),
  spaceType: Type.Optional(SpaceTypeSchema),
  maxWalk: Type.Optional(Type.Integer({ minimum: 50, maximum: 5000, description: 'metres of walking at most' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
});

/** How far back a lot's occupancy history goes. */
export const HistoryQuery = Type.Object({ hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168 })) });

/** Where credit scores come from: a hub dataset with plate and score fields, read under the parking system's grant. */
export const CreditSyncBody = Type.Object({
  dataset: Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }),
  plateField: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  scoreField: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
});
