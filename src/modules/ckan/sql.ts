import { AppError } from '../../errors.ts';
import type { Lake, SandboxResult } from '../../lake/lake.ts';
import type { Actor } from '../access/actor.ts';
import type { AccessService } from '../access/service.ts';
import { publicView } from '../access/service.ts';
import type { CatalogueService } from '../catalogue/service.ts';
import { SYSTEM_FIELDS } from '../catalogue/types.ts';
import { packageName, resourceId } from './ids.ts';

/**
 * datastore_search_sql: one read-only SELECT over the openly published datasets (无条件开放) only — each by its
 * DataStore resource id, resource code or package name, with its published fields — checked by the engine's own
 * parser, run with a time limit and a row cap, and audited. Conditional and closed datasets, system tables,
 * files and settings are out of reach (unlike CKAN's ckan/ckan#1871 and #1880).
 */
export class SqlSandbox {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly lake: Lake,
    private readonly access: AccessService,
    private readonly limits: { timeoutMs: number; maxRows: number; maxBytes: number },
  ) {}

  private readonly inFlight = new Set<string>();

  /**
   * Runs a query for a caller (an address or an account): one query at a time per caller, and at most four
   * running or waiting in all, so a few slow queries cannot starve everyone else.
   */
  async run(actor: Actor, sql: string, caller = actor.id): Promise<SandboxResult> {
    if (this.inFlight.has(caller)) throw new AppError('TOO_MANY_REQUESTS', { who: caller, retryAfter: 1 }, { retryAfterSeconds: 1 });
    if (this.inFlight.size >= 4) throw new AppError('TOO_MANY_REQUESTS', { who: 'all callers of datastore_search_sql', retryAfter: 2 }, { retryAfterSeconds: 2 });
    this.inFlight.add(caller);
    try {
      return await this.runOne(actor, sql);
    } finally {
      this.inFlight.delete(caller);
    }
  }

  private async runOne(actor: Actor, sql: string): Promise<SandboxResult> {
    const open = (await this.catalogue.all()).filter((d) => d.openType === 'open');
    const tables = open.flatMap((d) => {
      const spec = { ...d, fields: [...d.fields, ...SYSTEM_FIELDS] };
      const columns = [...publicView(d).fields.map((f) => f.name), '_seq', '_at'];
      return [resourceId(d.code, 'datastore'), d.code, packageName(d.code)].map((name) => ({ name, spec, columns }));
    });
    const base = {
      at: new Date().toISOString(), actorKind: actor.kind, actorId: actor.id, orgCode: actor.orgCode, action: 'records.sql', datasetCode: null,
      fields: null, filter: sql.slice(0, 4000), grantId: null, purpose: null,
    } as const;
    if (sql.length > 20_000) throw new AppError('SQL_REFUSED', { reason: 'the query is longer than 20,000 characters' });
    try {
      const r = await this.lake.sandboxQuery(sql, tables, this.limits);
      // One entry per dataset read, so each provider sees the SQL that touched its data.
      for (const code of r.datasets.length ? r.datasets : [null]) {
        await this.access.record({ ...base, datasetCode: code, rowCount: r.rows.length, result: 'allowed', detail: { actorName: actor.name, truncated: r.truncated, datasets: r.datasets } });
      }
      return r;
    } catch (e) {
      if (e instanceof AppError && e.code !== 'AUDIT_UNAVAILABLE') {
        await this.access.record({ ...base, rowCount: null, result: e.code === 'SQL_REFUSED' ? 'denied' : 'error', detail: { actorName: actor.name, code: e.code, reason: e.message } });
      }
      throw e;
    }
  }
}
