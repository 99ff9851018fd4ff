import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { fail } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { Actor } from '../access/actor.ts';
import { requireAccess } from '../access/policy.ts';
import type { OrganisationService } from '../organisations/service.ts';
import type { QueryService } from '../query/service.ts';
import type { ParkingHub } from './hub.ts';
import { canonicalPlate, eventTime, normalisePlate, parseInstant } from './inputs.ts';
import { requireLotSystem } from './lot-system.ts';
import type { LotRow } from './repository.ts';
import { PARKING_ORG } from './service.ts';
import { Tariff, type TariffBand } from './tariff.ts';

/** Who may park on credit (信用停车) and when it stops; from the platform configuration. */
export interface CreditSettings {
  /** Lowest city credit score that allows pay-later parking. */
  minScore: number;
  /** Arrears in integer fen above which pay-later parking is suspended until settled. */
  arrearsLimitFen: number;
}

/** A pay-later account's state: active, or suspended for arrears over the limit (lifted by settlement). */
export type CreditState = 'active' | 'suspended';

/** Ledger entries a settlement collects: parking charges, and settlements whose collection was returned. */
const COLLECTABLE = ['charge', 'returned'] as const;

/** One settlement of a driver's unsettled charges. */
export interface Settlement {
  settlementId: string;
  plate: string;
  amountFen: number;
  entries: number;
}

/** The next instant, after `nowMs`, at which the Beijing clock reads `hhmm` (HH:MM). */
export function nextDailyRun(nowMs: number, hhmm: string): number {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(hhmm);
  if (!m) throw new Error(`a daily time is HH:MM; ${hhmm} is not`);
  const offset = 8 * 3600_000;
  const dayStart = Math.floor((nowMs + offset) / 86400_000) * 86400_000 - offset;
  const at = dayStart + (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  return at > nowMs ? at : at + 86400_000;
}

function safeFen(v: unknown): number {
  const n = Number(v ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`ledger amount ${String(v)} is not a safe integer of fen`);
  return n;
}

/**
 * Credit parking (信用停车): drivers whose city credit score meets the threshold park first and pay later. Each
 * session's charge (the lot's tariff, integer fen) is appended to an insert-only ledger in the same transaction
 * that raises the account's balance, so the entries always sum to the balance; a settlement run collects all of a
 * driver's unsettled entries at once (by the driver's bound payment, 免密支付) and appends one negative entry for them.
 * When the payment channel reports a collection returned (扣款失败), the settlement is re-opened by a positive
 * 'returned' entry, which is arrears again and is collected by the next run. Arrears over the limit suspend pay-later
 * until settled.
 *
 * Scores are kept in the Store table `parking_credit_scores`, loaded by the credit system's operator.
 */
export class CreditService {
  constructor(
    private readonly store: Store,
    private readonly orgs: OrganisationService,
    private readonly settings: CreditSettings,
    private readonly source: { hub: ParkingHub; query: QueryService } | null = null,
  ) {}

  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;

  /**
   * Loads the city credit scores (白鹭分) from a hub dataset: read page by page as the parking platform's own
   * system, so the read needs that system's grant on the dataset and is audited like any other; only the plate and
   * score fields are asked for. Rows whose score is not an integer 0–1000 are skipped and counted.
   */
  async syncScores(actor: Actor, input: { dataset: string; plateField?: string; scoreField?: string }) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    if (!this.source) fail('CREDIT_SOURCE', { dataset: input.dataset, reason: 'no hub reader is configured' });
    const reader = await this.source.hub.actor();
    const plateField = input.plateField ?? 'plate';
    const scoreField = input.scoreField ?? 'score';
    const now = new Date().toISOString();
    let loaded = 0;
    let skipped = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.source.query.records(reader, input.dataset, { fields: `${plateField},${scoreField}`, limit: 5000, cursor, total: 'none' });
      for (const name of [plateField, scoreField]) {
        const shown = page.view.fields.find((x) => x.name === name)?.shown;
        if (shown !== 'clear') fail('CREDIT_SOURCE', { dataset: input.dataset, reason: `the parking system's grant shows ${name} ${shown ? `as ${shown}` : 'not at all'}; the provider must share it in clear` });
      }
      const rows: { plate: string; score: number }[] = [];
      for (const r of page.items as Record<string, unknown>[]) {
        const plate = typeof r[plateField] === 'string' ? (canonicalPlate(r[plateField] as string) ?? '') : '';
        const score = Number(r[scoreField]);
        if (!plate || !Number.isInteger(score) || score < 0 || score > 1000) skipped++;
        else rows.push({ plate, score });
      }
      await this.store.db.transaction().execute(async (tx) => {
        for (const s of rows) {
          await tx.insertInto('parking_credit_scores').values({ plate: s.plate, score: s.score, updated_at: now })
            .onConflict((oc) => oc.column('plate').doUpdateSet({ score: s.score, updated_at: now })).execute();
        }
      });
      loaded += rows.length;
      if (!page.nextCursor || page.items.length === 0) break;
      cursor = page.nextCursor;
    }
    return { dataset: input.dataset, loaded, skipped, at: now };
  }

  /** Loads city credit scores per plate (the transport department's stewards, the platform operator). */
  async putScores(actor: Actor, scores: { plate: string; score: number }[]) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    const now = new Date().toISOString();
    const rows = scores.map((s) => {
      if (!Number.isInteger(s.score) || s.score < 0 || s.score > 1000) fail('VALIDATION_FAILED', { reason: `score of ${s.plate} must be an integer 0–1000` });
      return { plate: normalisePlate(s.plate), score: s.score };
    });
    await this.store.db.transaction().execute(async (tx) => {
      for (const s of rows) {
        await tx.insertInto('parking_credit_scores').values({ plate: s.plate, score: s.score, updated_at: now })
          .onConflict((oc) => oc.column('plate').doUpdateSet({ score: s.score, updated_at: now })).execute();
      }
    });
    return { loaded: scores.length };
  }

  /** A pay-later check-in (入场) reported by the lot's system; refused below the score threshold or while suspended. */
  async checkIn(actor: Actor, lotId: string, input: { plate: string; at?: string }) {
    const lot = await this.requireLot(lotId);
    await requireLotSystem(this.orgs, actor, lot);
    const plate = normalisePlate(input.plate);
    const iso = new Date(eventTime(input.at)).toISOString();
    const s = await this.store.db.selectFrom('parking_credit_scores').select('score').where('plate', '=', plate).executeTakeFirst();
    const score = s ? Number(s.score) : null;
    if (score === null || score < this.settings.minScore) fail('CREDIT_REFUSED', { min: this.settings.minScore, plate, score: score ?? 'no score' });
    await this.store.db.insertInto('parking_credit_accounts').values({ plate, state: 'active', balance_fen: 0, updated_at: iso })
      .onConflict((oc) => oc.column('plate').doNothing()).execute();
    const a = await this.accountRow(plate);
    if (a.state === 'suspended') fail('CREDIT_SUSPENDED', { plate, arrearsFen: safeFen(a.balance_fen), limitFen: this.settings.arrearsLimitFen });
    const id = `cs-${randomBytes(6).toString('hex')}`;
    // One open session per plate is a unique index: of two check-ins racing, the database keeps one.
    const ins = await this.store.db.insertInto('parking_credit_sessions').values({ id, lot_id: lot.id, plate, entered_at: iso, exited_at: null, charge_fen: null })
      .onConflict((oc) => oc.doNothing()).executeTakeFirst();
    if (Number(ins.numInsertedOrUpdatedRows ?? 0) !== 1) fail('PARKING_SESSION_STATE', { plate, reason: 'is already parked on credit', lot: lot.id });
    this.source?.hub.session({ session_id: id, kind: 'credit', lot_id: lot.id, space_type: null, plate, starts_at: iso, ends_at: null, status: 'parked', amount_fen: 0 });
    return { sessionId: id, plate, lotId: lot.id, enteredAt: iso, score };
  }

  /**
   * A pay-later check-out (出场) reported by the lot's system: the tariff's price for the stay is appended to the
   * ledger and added to the balance in one transaction; a balance over the arrears limit suspends the account.
   */
  async checkOut(actor: Actor, lotId: string, input: { plate: string; at?: string }) {
    const lot = await this.requireLot(lotId);
    await requireLotSystem(this.orgs, actor, lot);
    const plate = normalisePlate(input.plate);
    const t = eventTime(input.at);
    const iso = new Date(t).toISOString();
    const open = await this.store.db.selectFrom('parking_credit_sessions').selectAll().where('lot_id', '=', lot.id).where('plate', '=', plate).where('exited_at', 'is', null).executeTakeFirst();
    if (!open) fail('PARKING_SESSION_STATE', { plate, reason: 'has no open credit session', lot: lot.id });
    if (iso < open.entered_at) fail('VALIDATION_FAILED', { reason: 'the check-out is before the check-in' });
    const charge = Tariff.parse(JSON.parse(lot.tariff) as TariffBand[]).priceFen(Date.parse(open.entered_at), t);
    const limit = this.settings.arrearsLimitFen;
    const done = await this.store.db.transaction().execute(async (tx) => {
      const u = await tx.updateTable('parking_credit_sessions').set({ exited_at: iso, charge_fen: charge }).where('id', '=', open.id).where('exited_at', 'is', null).executeTakeFirst();
      if (Number(u.numUpdatedRows) !== 1) return false;
      await tx.insertInto('parking_credit_ledger').values({ id: `le-${randomBytes(8).toString('hex')}`, plate, kind: 'charge', amount_fen: charge, session_id: open.id, settlement_id: null, created_at: iso }).execute();
      await tx.updateTable('parking_credit_accounts')
        .set({
          balance_fen: sql<number>`balance_fen + ${charge}`,
          state: sql<string>`CASE WHEN balance_fen + ${charge} > ${limit} THEN 'suspended' ELSE state END`,
          updated_at: iso,
        })
        .where('plate', '=', plate)
        .execute();
      return true;
    });
    if (!done) fail('PARKING_SESSION_STATE', { plate, reason: 'has no open credit session', lot: lot.id });
    const a = await this.accountRow(plate);
    this.source?.hub.session({ session_id: open.id, kind: 'credit', lot_id: lotId, space_type: null, plate, starts_at: open.entered_at, ends_at: iso, status: 'completed', amount_fen: charge });
    return { sessionId: open.id, plate, enteredAt: open.entered_at, exitedAt: iso, chargeFen: charge, balanceFen: safeFen(a.balance_fen), state: a.state as CreditState };
  }

  /**
   * Settles every driver's unsettled charges recorded up to `now` (统一结算): per driver, in one transaction, the
   * charges are marked settled (each at most once, by primary key), one negative entry of their sum is appended and
   * the balance lowered by it; an account back within the arrears limit is reinstated.
   */
  async settle(now: Date = new Date()): Promise<{ settlements: Settlement[]; totalFen: number }> {
    const at = now.toISOString();
    const unsettled = sql<boolean>`NOT EXISTS (SELECT 1 FROM parking_credit_settled s WHERE s.entry_id = l.id)`;
    const plates = await this.store.db
      .selectFrom('parking_credit_ledger as l').select('l.plate').distinct()
      .where('l.kind', 'in', COLLECTABLE).where('l.created_at', '<=', at).where(unsettled)
      .orderBy('l.plate').execute();
    const settlements: Settlement[] = [];
    const limit = this.settings.arrearsLimitFen;
    for (const { plate } of plates) {
      const settlementId = `st-${randomBytes(8).toString('hex')}`;
      const s = await this.store.db.transaction().execute(async (tx) => {
        await tx.insertInto('parking_credit_settled').columns(['entry_id', 'settlement_id'])
          .expression(tx.selectFrom('parking_credit_ledger as l').select(['l.id', sql<string>`${settlementId}`.as('settlement_id')])
            .where('l.plate', '=', plate).where('l.kind', 'in', COLLECTABLE).where('l.created_at', '<=', at).where(unsettled))
          // A run racing this one (the daily run and an operator's) settles each charge once: the later insert skips it.
          .onConflict((oc) => oc.column('entry_id').doNothing())
          .execute();
        const sum = await tx.selectFrom('parking_credit_ledger as l').innerJoin('parking_credit_settled as s', 's.entry_id', 'l.id')
          .select([(eb) => eb.fn.sum<string>('l.amount_fen').as('fen'), (eb) => eb.fn.countAll<number>().as('n')])
          .where('s.settlement_id', '=', settlementId).executeTakeFirstOrThrow();
        const amount = safeFen(sum.fen);
        const n = Number(sum.n);
        if (n === 0) return null;
        await tx.insertInto('parking_credit_ledger').values({ id: `le-${randomBytes(8).toString('hex')}`, plate, kind: 'settlement', amount_fen: -amount, session_id: null, settlement_id: settlementId, created_at: at }).execute();
        await tx.updateTable('parking_credit_accounts')
          .set({
            balance_fen: sql<number>`balance_fen - ${amount}`,
            state: sql<string>`CASE WHEN balance_fen - ${amount} > ${limit} THEN state ELSE 'active' END`,
            updated_at: at,
          })
          .where('plate', '=', plate)
          .execute();
        return { settlementId, plate, amountFen: amount, entries: n };
      });
      if (s) settlements.push(s);
    }
    return { settlements, totalFen: settlements.reduce((a, s) => a + s.amountFen, 0) };
  }

  /**
   * Settles automatically every day at `hhmm` Beijing time (统一结算日程) until stop(): the run is the same as an
   * operator's, recorded in the audit trail by `onRun`.
   */
  startSchedule(hhmm: string, onRun: (r: { settlements: Settlement[]; totalFen: number } | Error) => void = () => undefined): void {
    this.stopSchedule();
    this.scheduled = true;
    const next = () => {
      if (!this.scheduled) return; // stopped while a run was going
      const wait = nextDailyRun(Date.now(), hhmm) - Date.now();
      this.timer = setTimeout(() => {
        void this.settle().then(onRun, (e: Error) => onRun(e)).finally(next);
      }, wait);
      this.timer.unref();
    };
    next();
  }

  /** Stops the daily settlement. */
  stopSchedule(): void {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Records that the payment channel returned a settlement's collection (扣款失败): a positive 'returned' entry of its
   * amount, in the same transaction as the balance, re-opens it as arrears (suspending pay-later over the limit); the
   * next run collects it again. A settlement is returned at most once (a unique index decides, so a retried report
   * changes nothing).
   */
  async returned(actor: Actor, settlementId: string, reason: string) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    const st = await this.store.db.selectFrom('parking_credit_ledger').selectAll().where('settlement_id', '=', settlementId).where('kind', '=', 'settlement').executeTakeFirst();
    if (!st) fail('SETTLEMENT_NOT_FOUND', { id: settlementId });
    const amount = -safeFen(st.amount_fen);
    const at = new Date().toISOString();
    const limit = this.settings.arrearsLimitFen;
    const entryId = `le-${randomBytes(8).toString('hex')}`;
    const done = await this.store.db.transaction().execute(async (tx) => {
      const ins = await tx.insertInto('parking_credit_ledger')
        .values({ id: entryId, plate: st.plate, kind: 'returned', amount_fen: amount, session_id: null, settlement_id: settlementId, created_at: at })
        .onConflict((oc) => oc.doNothing()).executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0) !== 1) return false;
      await tx.updateTable('parking_credit_accounts')
        .set({
          balance_fen: sql<number>`balance_fen + ${amount}`,
          state: sql<string>`CASE WHEN balance_fen + ${amount} > ${limit} THEN 'suspended' ELSE state END`,
          updated_at: at,
        })
        .where('plate', '=', st.plate)
        .execute();
      return true;
    });
    if (!done) fail('SETTLEMENT_RETURNED', { id: settlementId });
    const a = await this.accountRow(st.plate);
    return { settlementId, plate: st.plate, returnedFen: amount, reason: reason.slice(0, 200), entryId, balanceFen: safeFen(a.balance_fen), state: a.state as CreditState };
  }

  /** Runs a settlement on an operator's request (the transport department's stewards, the platform operator). */
  async settleAs(actor: Actor, at?: string) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    const nowMs = Date.now();
    if (at === undefined) return this.settle(new Date(nowMs));
    // Any cutoff in the past (a month's end, say); none ahead of the clock, where charges are still to come.
    const cutoff = parseInstant(at, 'at');
    if (cutoff > nowMs) fail('VALIDATION_FAILED', { reason: `at ${at} is in the future; a settlement covers charges recorded up to now at the latest` });
    return this.settle(new Date(cutoff));
  }

  /** A driver's pay-later account: state, balance, the ledger sum (always equal to it) and the latest entries. */
  async account(actor: Actor, plate: string) {
    requireAccess({ actor, permission: 'parking.manage', orgs: [PARKING_ORG] });
    plate = normalisePlate(plate);
    const a = await this.store.db.selectFrom('parking_credit_accounts').selectAll().where('plate', '=', plate).executeTakeFirst();
    if (!a) fail('CREDIT_ACCOUNT_NOT_FOUND', { plate });
    const sum = await this.store.db.selectFrom('parking_credit_ledger').select((eb) => eb.fn.sum<string>('amount_fen').as('fen')).where('plate', '=', plate).executeTakeFirstOrThrow();
    const entries = await this.store.db.selectFrom('parking_credit_ledger').selectAll().where('plate', '=', plate).orderBy('created_at', 'desc').orderBy('id').limit(100).execute();
    return {
      plate, state: a.state as CreditState, balanceFen: safeFen(a.balance_fen), ledgerSumFen: safeFen(sum.fen), arrearsLimitFen: this.settings.arrearsLimitFen,
      entries: entries.map((e) => ({ id: e.id, kind: e.kind, amountFen: safeFen(e.amount_fen), sessionId: e.session_id, settlementId: e.settlement_id, at: e.created_at })),
    };
  }

  // ── Internals ───────────────────────────────────────────────────────────────────────────────────────────

  private accountRow(plate: string) {
    return this.store.db.selectFrom('parking_credit_accounts').selectAll().where('plate', '=', plate).executeTakeFirstOrThrow();
  }

  private async requireLot(id: string): Promise<LotRow> {
    const lot = await this.store.db.selectFrom('parking_lots').selectAll().where('id', '=', id).executeTakeFirst();
    if (!lot) fail('LOT_NOT_FOUND', { id });
    return lot;
  }
}
