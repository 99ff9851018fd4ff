import type { SpaceType } from './types.ts';

/** One observation of the occupancy history (停车场泊位占用历史): physically occupied places of a type at a time. */
export interface Observation {
  lotId: string;
  spaceType: SpaceType;
  /** Epoch milliseconds. */
  at: number;
  capacity: number;
  occupied: number;
}

/** Whether a Beijing calendar day (YYYY-MM-DD) is a working day; the sharing module's WorkCalendar answers it. */
export type IsWorkingDay = (day: string) => boolean;

/** A prediction of a lot's occupancy share at a time, with its standard deviation. */
export interface Prediction {
  /** Predicted occupied share of the capacity, 0–1. */
  ratio: number;
  /** Standard deviation of that share. */
  sd: number;
  /** Observations behind the seasonal profile used (0 when it fell back to the city-wide profile). */
  support: number;
}

/** Minutes per time-of-day bin of the seasonal profile. */
export const BIN_MINUTES = 15;
const BINS = (24 * 60) / BIN_MINUTES;
const BJ_OFFSET = 8 * 3600_000;
/** Lower bound on the spread, so a lot seen only a few times still admits some doubt. */
const MIN_SD = 0.01;
/** Observations a bin needs before the lot's own profile is trusted over the city-wide one. */
const MIN_SUPPORT = 3;
/** Pairs of observations a fit of τ needs. */
const MIN_PAIRS = 200;
const TAU_GRID = [10, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440];

/** The day kind (0 working day, 1 rest day) and time-of-day bin of an instant, in Beijing time. */
export function dayBin(ms: number, isWorkingDay: IsWorkingDay): { kind: 0 | 1; bin: number } {
  const local = ms + BJ_OFFSET;
  const day = new Date(local).toISOString().slice(0, 10);
  const minute = Math.floor((((local % 86400_000) + 86400_000) % 86400_000) / 60_000);
  return { kind: isWorkingDay(day) ? 0 : 1, bin: Math.floor(minute / BIN_MINUTES) };
}

/** Running mean and variance per bin (Welford), three numbers per bin: count, mean, sum of squared deviations. */
class Profile {
  readonly s = new Float64Array(BINS * 2 * 3);

  add(kind: number, bin: number, y: number): void {
    const i = (kind * BINS + bin) * 3;
    const n = this.s[i] + 1;
    const d = y - this.s[i + 1];
    this.s[i] = n;
    this.s[i + 1] += d / n;
    this.s[i + 2] += d * (y - this.s[i + 1]);
  }

  get(kind: number, bin: number): { n: number; mean: number; sd: number } {
    const i = (kind * BINS + bin) * 3;
    const n = this.s[i];
    return { n, mean: this.s[i + 1], sd: n > 1 ? Math.sqrt(this.s[i + 2] / (n - 1)) : 0 };
  }
}

/** The standard normal cumulative distribution (Abramowitz–Stegun 7.1.26 through erf; error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * The occupancy model behind guidance (车位诱导), stated in docs/PARKING.md:
 *
 *  - a seasonal profile per lot and space type: the mean μ and spread σ of the occupied share in each 15-minute bin
 *    of the day, separately for working days and rest days (Beijing calendar with holiday and make-up days),
 *    falling back to the city-wide profile of the bin while a lot has fewer than 3 observations there, and to
 *    the other kind of day while only that kind has been seen;
 *  - the present deviation decays towards the profile: ŷ(t+h) = μ(t+h) + (y(t) − μ(t))·e^(−h/τ), with τ fitted on
 *    the history by a grid search minimising the mean absolute error;
 *  - the spread grows with the horizon: s(h)² = σ(t+h)²·(1 − e^(−2h/τ)) + σ_min², so a near arrival is nearly
 *    certain and a far one is as uncertain as the profile itself;
 *  - the chance of at least one free place at arrival for capacity C with R places reserved then:
 *    P = Φ((C·(1 − ŷ) − R − 0.5) / (C·s)).
 */
export class OccupancyModel {
  private readonly lots = new Map<string, Profile>();
  private readonly city = new Map<SpaceType, Profile>();
  private observations = 0;
  /** Decay time of a deviation from the profile, in minutes. */
  tau = 60;
  /**
   * Day kind and bin per minute, memoised: guidance asks the same two instants for every lot it ranks. Forgotten
   * every ten minutes, so a change of the work calendar (a new holiday) is picked up.
   */
  private readonly bins = new Map<number, { kind: 0 | 1; bin: number }>();
  private binsSince = Date.now();

  constructor(private readonly isWorkingDay: IsWorkingDay) {}

  /** How many observations the model has folded in. */
  get size(): number {
    return this.observations;
  }

  /** Folds one observation into the lot's and the city's profiles. */
  add(o: Observation): void {
    if (!(o.capacity > 0)) return;
    const y = Math.min(1, Math.max(0, o.occupied / o.capacity));
    const { kind, bin } = this.binOf(o.at);
    const key = `${o.lotId}\u0000${o.spaceType}`;
    let p = this.lots.get(key);
    if (!p) this.lots.set(key, (p = new Profile()));
    p.add(kind, bin, y);
    let c = this.city.get(o.spaceType);
    if (!c) this.city.set(o.spaceType, (c = new Profile()));
    c.add(kind, bin, y);
    this.observations++;
  }

  private binOf(ms: number): { kind: 0 | 1; bin: number } {
    const minute = Math.floor(ms / 60_000);
    let b = this.bins.get(minute);
    if (!b) {
      if (this.bins.size > 20_000 || Date.now() - this.binsSince > 600_000) {
        this.bins.clear();
        this.binsSince = Date.now();
      }
      b = dayBin(ms, this.isWorkingDay);
      this.bins.set(minute, b);
    }
    return b;
  }

  /** The seasonal profile at an instant: the lot's own where it has support, else the city's; null when nothing is known. */
  profile(lotId: string, spaceType: SpaceType, ms: number): { mean: number; sd: number; n: number } | null {
    const { kind, bin } = this.binOf(ms);
    const lot = this.lots.get(`${lotId}\u0000${spaceType}`);
    const own = lot?.get(kind, bin);
    if (own && own.n >= MIN_SUPPORT) return own;
    const cityOf = (k: number) => {
      const c = this.city.get(spaceType)?.get(k, bin);
      return c && c.n > 0 ? c : this.city.get('standard')?.get(k, bin);
    };
    const city = cityOf(kind);
    if (city && city.n > 0) return { ...city, n: 0 };
    // Only the other kind of day seen so far (a short history: a weekend, no working day yet): the same hour of
    // that kind, the lot's own or the city's, is better than nothing.
    const other = lot?.get(1 - kind, bin);
    if (other && other.n >= MIN_SUPPORT) return { ...other, n: 0 };
    const cityOther = cityOf(1 - kind);
    if (cityOther && cityOther.n > 0) return { ...cityOther, n: 0 };
    return null;
  }

  /**
   * The occupied share predicted at `atMs`, knowing the share `current` observed at `nowMs` (null when the lot's
   * feed is silent: the profile alone answers).
   */
  predict(lotId: string, spaceType: SpaceType, nowMs: number, current: number | null, atMs: number): Prediction {
    const h = Math.max(0, (atMs - nowMs) / 60_000);
    const target = this.profile(lotId, spaceType, atMs);
    if (!target) {
      // Nothing learnt yet: persistence with a spread that grows to one half over a few hours.
      const ratio = current ?? 0.5;
      return { ratio, sd: Math.max(MIN_SD, current === null ? 0.3 : Math.min(0.5, 0.3 * Math.sqrt(h / 120))), support: 0 };
    }
    const decay = Math.exp(-h / this.tau);
    let ratio = target.mean;
    let sd = Math.sqrt(target.sd ** 2 + MIN_SD ** 2);
    if (current !== null) {
      const here = this.profile(lotId, spaceType, nowMs);
      ratio = target.mean + (current - (here?.mean ?? target.mean)) * decay;
      sd = Math.sqrt(target.sd ** 2 * (1 - decay * decay) + MIN_SD ** 2);
    }
    return { ratio: Math.min(1, Math.max(0, ratio)), sd, support: target.n };
  }

  /** The chance of at least one free place for a capacity with `reserved` places held by reservations then. */
  static pFree(capacity: number, reserved: number, p: Prediction): number {
    if (capacity <= 0) return 0;
    const expectedFree = capacity * (1 - p.ratio) - reserved;
    return normalCdf((expectedFree - 0.5) / Math.max(0.4, capacity * p.sd));
  }

  /** The places expected free: capacity × (1 − ŷ) − reserved, rounded down, never below 0. */
  static expectedFree(capacity: number, reserved: number, p: Prediction): number {
    return Math.max(0, Math.floor(capacity * (1 - p.ratio) - reserved + 1e-9));
  }

  /**
   * Fits τ on series of observations (each lot and type in time order): for every pair of observations h apart
   * within the grid's horizons, the mean absolute error of the decayed prediction; the τ with the least error wins.
   */
  fitTau(series: Observation[][], horizons = [15, 30, 60, 120]): number {
    const before = this.tau;
    let best = { tau: this.tau, mae: Infinity };
    for (const tau of TAU_GRID) {
      this.tau = tau;
      const e = this.errors(series, horizons, 4000);
      // Too few pairs h apart (one snapshot of a big city, unaligned pushes) say nothing about τ: keep it.
      if (e.length < MIN_PAIRS) {
        this.tau = before;
        return before;
      }
      const mae = e.reduce((s, x) => s + x.model, 0) / Math.max(1, e.length);
      if (mae < best.mae) best = { tau, mae };
    }
    this.tau = best.tau;
    return best.tau;
  }

  /**
   * Pairs (observation at t, observation at t + h) of each series and the absolute errors in occupied share of
   * this model, of persistence (ŷ = y(t)) and of the profile alone; at most `cap` pairs per horizon, spread evenly.
   */
  errors(series: Observation[][], horizons: number[], cap = Infinity, toAfter = -Infinity): { h: number; model: number; persistence: number; profile: number; brier: number; hit: boolean }[] {
    const out: { h: number; model: number; persistence: number; profile: number; brier: number; hit: boolean }[] = [];
    const total = series.reduce((s, x) => s + x.length, 0);
    for (const h of horizons) {
      const stride = Number.isFinite(cap) ? Math.max(1, Math.floor(total / cap)) : 1;
      let k = 0;
      for (const s of series) {
        let j = 0;
        for (let i = 0; i < s.length; i++) {
          if (k++ % stride !== 0) continue;
          const from = s[i];
          const want = from.at + h * 60_000;
          while (j < s.length && s[j].at < want) j++;
          if (j >= s.length) break;
          const to = s[j];
          if (to.at !== want || to.at <= toAfter || to.capacity <= 0 || from.capacity <= 0) continue;
          const y0 = from.occupied / from.capacity;
          const y1 = to.occupied / to.capacity;
          const p = this.predict(from.lotId, from.spaceType, from.at, y0, to.at);
          const prof = this.profile(from.lotId, from.spaceType, to.at);
          const pf = OccupancyModel.pFree(to.capacity, 0, p);
          const free = to.occupied < to.capacity ? 1 : 0;
          out.push({ h, model: Math.abs(p.ratio - y1), persistence: Math.abs(y0 - y1), profile: Math.abs((prof?.mean ?? y0) - y1), brier: (pf - free) ** 2, hit: (pf >= 0.5) === (free === 1) });
        }
      }
    }
    return out;
  }
}

/** Per-horizon figures of a held-back evaluation. */
export interface HorizonScore {
  horizonMinutes: number;
  pairs: number;
  /** Mean absolute error of the occupied share (0–1), the model and two baselines. */
  maeModel: number;
  maePersistence: number;
  maeProfile: number;
  /** The same for a lot of the median capacity, in places. */
  maeModelPlaces: number;
  /** Brier score of P(at least one free place) (0 perfect, 0.25 a coin), and the share of right yes/no calls. */
  brierFree: number;
  accuracyFree: number;
}

/** What `evaluate` reports. */
export interface Evaluation {
  trainObservations: number;
  testObservations: number;
  trainFrom: string;
  testFrom: string;
  testTo: string;
  tauMinutes: number;
  horizons: HorizonScore[];
}

/** Groups observations into series per lot and space type, each in time order. */
export function toSeries(obs: Iterable<Observation>): Observation[][] {
  const m = new Map<string, Observation[]>();
  for (const o of obs) {
    const k = `${o.lotId}\u0000${o.spaceType}`;
    const s = m.get(k);
    if (s) s.push(o);
    else m.set(k, [o]);
  }
  const out = [...m.values()];
  for (const s of out) s.sort((a, b) => a.at - b.at);
  return out;
}

/**
 * Measures the model on held-back history: fits profiles and τ on everything before the last `testDays` days and
 * predicts the held-back days from observations h minutes earlier, next to persistence and the bare profile.
 */
export function evaluate(obs: Observation[], isWorkingDay: IsWorkingDay, opts: { testDays?: number; horizons?: number[] } = {}): Evaluation {
  const testDays = opts.testDays ?? 7;
  const horizons = opts.horizons ?? [15, 30, 60, 120, 240];
  if (obs.length === 0) throw new Error('no history to evaluate');
  let min = Infinity;
  let max = -Infinity;
  for (const o of obs) {
    if (o.at < min) min = o.at;
    if (o.at > max) max = o.at;
  }
  const split = max - testDays * 86400_000;
  if (split <= min) throw new Error(`the history spans ${((max - min) / 86400_000).toFixed(1)} days; more than ${testDays} are needed to hold ${testDays} back`);
  const train = obs.filter((o) => o.at <= split);
  const test = obs.filter((o) => o.at > split - Math.max(...horizons) * 60_000);
  const model = new OccupancyModel(isWorkingDay);
  for (const o of train) model.add(o);
  const tau = model.fitTau(toSeries(train));
  const errs = model.errors(toSeries(test), horizons, Infinity, split);
  const caps = obs.map((o) => o.capacity).sort((a, b) => a - b);
  const medianCap = caps[Math.floor(caps.length / 2)];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return {
    trainObservations: train.length,
    testObservations: obs.length - train.length,
    trainFrom: new Date(min).toISOString(),
    testFrom: new Date(split).toISOString(),
    testTo: new Date(max).toISOString(),
    tauMinutes: tau,
    horizons: horizons.map((h) => {
      const e = errs.filter((x) => x.h === h);
      return {
        horizonMinutes: h,
        pairs: e.length,
        maeModel: mean(e.map((x) => x.model)),
        maePersistence: mean(e.map((x) => x.persistence)),
        maeProfile: mean(e.map((x) => x.profile)),
        maeModelPlaces: mean(e.map((x) => x.model)) * medianCap,
        brierFree: mean(e.map((x) => x.brier)),
        accuracyFree: mean(e.map((x) => (x.hit ? 1 : 0))),
      };
    }),
  };
}
