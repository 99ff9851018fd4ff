import type { Store } from '../../store/store.ts';
import type { AuditEntry } from './chain.ts';

type Row = Awaited<ReturnType<AuditRepository['page']>>[number];

/** Converts a stored row back to an entry. */
export function fromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    actorKind: r.actor_kind as AuditEntry['actorKind'],
    actorId: r.actor_id,
    orgCode: r.org_code,
    action: r.action,
    datasetCode: r.dataset_code,
    fields: r.fields === null ? null : (JSON.parse(r.fields) as string[]),
    filter: r.filter,
    grantId: r.grant_id,
    purpose: r.purpose,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    result: r.result as AuditEntry['result'],
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** SQL for the audit trail: append-only entries and signed checkpoints. */
export class AuditRepository {
  constructor(private readonly store: Store) {}

  async head(): Promise<{ seq: number; hash: string } | null> {
    const r = await this.store.db.selectFrom('audit_entries').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r ? { seq: Number(r.seq), hash: r.hash } : null;
  }

  private prepared: import('better-sqlite3').Statement | null = null;

  async insert(e: AuditEntry): Promise<void> {
    const row = {
      seq: e.seq, at: e.at, actor_kind: e.actorKind, actor_id: e.actorId, org_code: e.orgCode, action: e.action, dataset_code: e.datasetCode,
      fields: e.fields === null ? null : JSON.stringify(e.fields), filter: e.filter, grant_id: e.grantId, purpose: e.purpose,
      row_count: e.rowCount, result: e.result, detail: e.detail === null ? null : JSON.stringify(e.detail), prev_hash: e.prevHash, hash: e.hash,
    };
    if (this.store.sqlite) {
      // One append per request: on SQLite a statement prepared once, run directly.
      this.prepared ??= this.store.sqlite.prepare(
        `INSERT INTO audit_entries (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')})`,
      );
      this.prepared.run(row);
      return;
    }
    await this.store.db
      .insertInto('audit_entries')
      .values({
        seq: e.seq, at: e.at, actor_kind: e.actorKind, actor_id: e.actorId, org_code: e.orgCode, action: e.action, dataset_code: e.datasetCode,
        fields: e.fields === null ? null : JSON.stringify(e.fields), filter: e.filter, grant_id: e.grantId, purpose: e.purpose,
        row_count: e.rowCount, result: e.result, detail: e.detail === null ? null : JSON.stringify(e.detail), prev_hash: e.prevHash, hash: e.hash,
      })
      .execute();
  }

  /** Entries with seq > after, in stored sequence order. */
  page(after: number, limit: number) {
    return this.store.db.selectFrom('audit_entries').selectAll().where('seq', '>', after).orderBy('seq').limit(limit).execute();
  }

  async hashesUpTo(seqTo: number): Promise<string[]> {
    const rows = await this.store.db.selectFrom('audit_entries').select('hash').where('seq', '<=', seqTo).orderBy('seq').execute();
    return rows.map((r) => r.hash);
  }

  async insertCheckpoint(c: { seqTo: number; at: string; headHash: string; merkleRoot: string; keyId: string; signature: string; frontier: string | null }) {
    await this.store.db
      .insertInto('audit_checkpoints')
      .values({ seq_to: c.seqTo, at: c.at, head_hash: c.headHash, merkle_root: c.merkleRoot, key_id: c.keyId, signature: c.signature, frontier: c.frontier })
      .execute();
  }

  /** Entry hashes with seq in (after, upTo], in order, a page at a time. */
  async *hashesBetween(after: number, upTo: number, pageSize = 50_000): AsyncIterable<string[]> {
    let from = after;
    while (from < upTo) {
      const rows = await this.store.db.selectFrom('audit_entries').select(['seq', 'hash']).where('seq', '>', from).where('seq', '<=', upTo).orderBy('seq').limit(pageSize).execute();
      if (!rows.length) return;
      yield rows.map((r) => r.hash);
      from = Number(rows[rows.length - 1].seq);
    }
  }

  /** Entries matching a search, newest first. */
  search(q: AuditSearch) {
    let s = this.store.db.selectFrom('audit_entries').selectAll();
    if (q.actorId) s = s.where('actor_id', '=', q.actorId);
    if (q.orgCode) s = s.where('org_code', '=', q.orgCode);
    if (q.dataset) s = s.where('dataset_code', '=', q.dataset);
    if (q.action) s = s.where('action', '=', q.action);
    if (q.result) s = s.where('result', '=', q.result);
    if (q.grantId) s = s.where('grant_id', '=', q.grantId);
    if (q.from) s = s.where('at', '>=', q.from);
    if (q.to) s = s.where('at', '<', q.to);
    if (q.before) s = s.where('seq', '<', q.before);
    const scope = q.scopeOrg;
    if (scope) {
      s = s.where((eb) => eb.or([eb('org_code', '=', scope.org), ...(scope.datasets.length ? [eb('dataset_code', 'in', scope.datasets)] : [])]));
    }
    return s.orderBy('seq', 'desc').limit(q.limit).execute();
  }

  async count(): Promise<number> {
    const r = await this.store.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  checkpoints() {
    return this.store.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq_to').execute();
  }
}

/** A search of the trail; all conditions are optional and combine with AND. */
export interface AuditSearch {
  actorId?: string;
  orgCode?: string;
  dataset?: string;
  action?: string;
  result?: string;
  grantId?: string;
  from?: string;
  to?: string;
  /** Only entries about these datasets or by people and systems of this organisation (a provider's view). */
  scopeOrg?: { org: string; datasets: string[] };
  /** Entries with seq below this (paging newest first). */
  before?: number;
  limit: number;
}
