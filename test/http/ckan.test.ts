// CKAN compatibility: every action's request parameters and response envelope, the error envelopes, an
// unmodified CKAN client library (okfn's ckan.js), and the datastore_search_sql sandbox under attack.
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceId } from '../../src/modules/ckan/ids.ts';
import { testApp, tokenFor } from '../helpers.ts';

interface Envelope { help: string; success: boolean; result?: any; error?: { __type: string; message: string } }

let app: FastifyInstance;
let close: () => Promise<void>;
let open: { code: string; rid: string; count: number };
let conditional: { code: string; rid: string };
let closed: string;

const call = async (action: string, params: Record<string, unknown> = {}, opts: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}) => {
  const method = opts.method ?? 'GET';
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const r = await app.inject(method === 'GET'
    ? { url: `/api/3/action/${action}?${qs}`, headers: opts.headers }
    : { method: 'POST', url: `/api/3/action/${action}`, payload: params, headers: opts.headers });
  return { status: r.statusCode, body: r.json() as Envelope, headers: r.headers };
};

beforeAll(async () => {
  const t = await testApp({ demo: 'small', env: { XMCITY_SQL_TIMEOUT_MS: '1500', XMCITY_SQL_MAX_ROWS: '50' } });
  app = t.app;
  close = t.close;
  const all = await app.platform.catalogue.all();
  const hosp = all.find((d) => d.openType === 'open' && d.name.includes('医'))!;
  open = { code: hosp.code, rid: resourceId(hosp.code, 'datastore'), count: hosp.validRecords };
  const cond = all.find((d) => d.openType === 'conditional')!;
  conditional = { code: cond.code, rid: resourceId(cond.code, 'datastore') };
  closed = all.find((d) => d.openType === 'closed')!.code;
});
afterAll(async () => close());

describe('CKAN Action API shapes', () => {
  it('answers status_show and site_read in the CKAN envelope', async () => {
    const s = await call('status_show');
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ success: true, result: { ckan_version: expect.stringMatching(/^2\./), extensions: expect.arrayContaining(['datastore']) } });
    expect(s.body.help).toMatch(/\/api\/3\/action\/help_show\?name=status_show$/);
    expect((await call('site_read')).body.result).toBe(true);
  });

  it('lists packages, and never a closed dataset', async () => {
    const names: string[] = (await call('package_list')).body.result;
    expect(names).toContain(open.code.toLowerCase());
    expect(names).toContain(conditional.code.toLowerCase());
    expect(names).not.toContain(closed.toLowerCase());
    expect((await call('package_list', { limit: 2, offset: 1 })).body.result).toEqual(names.slice(1, 3));
  });

  it('searches packages with q, fq, rows, start, sort and facets', async () => {
    const all = (await call('package_search', { rows: 1000 })).body.result;
    expect(all.count).toBe(all.results.length);
    const byName = (await call('package_search', { q: '医疗', 'facet.field': ['organization', 'res_format', 'groups', 'tags'], 'facet.limit': 2 })).body.result;
    expect(byName.results.map((p: { name: string }) => p.name)).toContain(open.code.toLowerCase());
    expect(Object.keys(byName.facets.res_format).length).toBe(2);
    expect(byName.search_facets.organization.items[0]).toMatchObject({ name: 'wjw', display_name: '厦门市卫生健康委员会', count: expect.any(Number) });
    const fq = (await call('package_search', { fq: 'organization:wjw res_format:CSV' })).body.result;
    expect(fq.results.every((p: { organization: { name: string } }) => p.organization.name === 'wjw')).toBe(true);
    const either = (await call('package_search', { fq: 'organization:(wjw OR jtj)', rows: 100 })).body.result;
    const orgsOf = (r: { results: { organization: { name: string } }[] }) => new Set(r.results.map((p) => p.organization.name));
    expect(orgsOf(either)).toEqual(new Set(['wjw', 'jtj']));
    expect(either.count).toBe((await call('package_search', { fq: 'organization:wjw' })).body.result.count + (await call('package_search', { fq: 'organization:jtj' })).body.result.count);
    // Solr's other spelling of the same thing.
    expect((await call('package_search', { fq: 'organization:wjw OR organization:jtj', rows: 100 })).body.result.count).toBe(either.count);
    const sorted = (await call('package_search', { sort: 'name desc', rows: 3, start: 1 })).body.result;
    const names = all.results.map((p: { name: string }) => p.name).sort().reverse();
    expect(sorted.results.map((p: { name: string }) => p.name)).toEqual(names.slice(1, 4));
    expect(sorted.sort).toBe('name desc');
  });

  it('shows a package with CKAN fields, its organization, tags, groups and resources', async () => {
    const p = (await call('package_show', { id: open.code.toLowerCase() })).body.result;
    expect(p).toMatchObject({
      name: open.code.toLowerCase(), type: 'dataset', state: 'active', private: false, isopen: true, license_id: 'cc-by', num_resources: 5,
      organization: { name: 'wjw', is_organization: true, type: 'organization' },
    });
    expect(p.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect((await call('package_show', { id: p.id })).body.result.name).toBe(p.name);
    // Conditionally open data is not open-licensed: it is used under an approved application's agreement.
    const c = (await call('package_show', { id: conditional.code })).body.result;
    expect(c).toMatchObject({ isopen: false, license_id: 'other-closed', license_url: expect.stringContaining(`/portal/datasets/${conditional.code}`) });
    expect((await call('package_search', { fq: 'license_id:other-closed', rows: 100 })).body.result.results.map((x: { name: string }) => x.name)).toContain(c.name);
    expect(p.resources.map((r: { format: string }) => r.format)).toEqual(['API', 'CSV', 'JSON', 'Parquet', 'XLSX']);
    expect(p.resources[0]).toMatchObject({ id: open.rid, package_id: p.id, datastore_active: true, url_type: 'datastore' });
    expect(p.tags[0]).toMatchObject({ name: expect.any(String), display_name: expect.any(String) });
    expect(p.extras.find((e: { key: string }) => e.key === 'resource_code').value).toBe(open.code);
    const res = (await call('resource_show', { id: p.resources[1].id })).body.result;
    expect(res).toMatchObject({ format: 'CSV', package_id: p.id });
  });

  it('lists and shows organizations, groups and tags', async () => {
    const names: string[] = (await call('organization_list')).body.result;
    expect(names).toContain('wjw');
    const full = (await call('organization_list', { all_fields: true, sort: 'package_count desc', limit: 3 })).body.result;
    expect(full[0].package_count).toBeGreaterThanOrEqual(full[1].package_count);
    const org = (await call('organization_show', { id: 'wjw', include_datasets: true })).body.result;
    expect(org).toMatchObject({ name: 'wjw', title: '厦门市卫生健康委员会' });
    expect(org.packages.map((p: { name: string }) => p.name)).toContain(open.code.toLowerCase());
    const groups = (await call('group_list', { all_fields: true })).body.result;
    expect(groups.find((g: { name: string }) => g.name === 'health')).toMatchObject({ title: '医疗卫生', package_count: expect.any(Number) });
    expect((await call('tag_list', { query: '医' })).body.result).toEqual(expect.arrayContaining(['医院', '医疗']));
  });

  it('searches the DataStore with filters, q, fields, sort, limit, offset, include_total and every records_format', async () => {
    const r = (await call('datastore_search', { resource_id: open.rid, limit: 5 })).body.result;
    expect(r).toMatchObject({ resource_id: open.rid, limit: 5, offset: 0, total: open.count, total_was_estimated: false, records_format: 'objects' });
    expect(r.fields.map((f: { id: string }) => f.id)).toEqual(['org_code', 'name', 'level', 'beds', 'district', 'location']);
    expect(r.fields.find((f: { id: string }) => f.id === 'beds').type).toBe('int8');
    const f = (await call('datastore_search', { resource_id: open.rid, filters: { district: ['350203', '350206'] }, fields: 'name,district', sort: 'name asc', limit: 1000 })).body.result;
    expect(f.records.every((x: { district: string }) => ['350203', '350206'].includes(x.district))).toBe(true);
    expect(Object.keys(f.records[0])).toEqual(['name', 'district']);
    expect([...f.records.map((x: { name: string }) => x.name)]).toEqual([...f.records.map((x: { name: string }) => x.name)].sort());
    const lists = (await call('datastore_search', { resource_id: open.rid, fields: ['name', 'beds'], records_format: 'lists', limit: 3, offset: 2 })).body.result;
    expect(lists.records[0]).toHaveLength(2);
    const objects = (await call('datastore_search', { resource_id: open.rid, fields: ['name', 'beds'], limit: 3, offset: 2 })).body.result;
    expect(lists.records).toEqual(objects.records.map((x: { name: string; beds: number }) => [x.name, x.beds]));
    const csv = (await call('datastore_search', { resource_id: open.rid, fields: 'name,beds', records_format: 'csv', limit: 3, offset: 2 })).body.result;
    expect(csv.records).toBe(objects.records.map((x: { name: string; beds: number }) => `${x.name},${x.beds}`).join('\n') + '\n');
    const noTotal = (await call('datastore_search', { resource_id: open.rid, include_total: false, limit: 1 })).body.result;
    expect(noTotal.total).toBeUndefined();
    const q = (await call('datastore_search', { resource_id: open.rid, q: objects.records[0].name })).body.result;
    expect(q.records.map((x: { name: string }) => x.name)).toContain(objects.records[0].name);
    const byAlias = (await call('datastore_search', { resource_id: open.code, limit: 1 })).body.result;
    expect(byAlias.total).toBe(open.count);
  });

  it('pages through every record by offset and by the _links.next cursor, with the same result', async () => {
    const collect = async (useLinks: boolean) => {
      const seen: string[] = [];
      let params: Record<string, unknown> = { resource_id: open.rid, limit: 17, sort: 'org_code' };
      for (let i = 0; i < 50; i++) {
        const r = (await call('datastore_search', params)).body.result;
        seen.push(...r.records.map((x: { org_code: string }) => x.org_code));
        if (r.records.length < 17) break;
        params = useLinks ? Object.fromEntries(new URLSearchParams(r._links.next.split('?')[1])) : { ...params, offset: Number(params.offset ?? 0) + 17 };
      }
      return seen;
    };
    const byOffset = await collect(false);
    expect(byOffset.length).toBe(open.count);
    expect(await collect(true)).toEqual(byOffset);
  });

  it('answers datastore_info with the fields and the count', async () => {
    const r = (await call('datastore_info', { id: open.rid })).body.result;
    expect(r.meta).toMatchObject({ id: open.rid, count: open.count, aliases: [open.code] });
    expect(r.fields[1]).toMatchObject({ id: 'name', type: 'text', info: { label: '机构名称' } });
  });

  it('takes POSTed JSON bodies as CKAN clients send them', async () => {
    const r = await call('datastore_search', { resource_id: open.rid, filters: { level: '诊所' }, limit: 2 }, { method: 'POST' });
    expect(r.body.success).toBe(true);
    expect(r.body.result.records.every((x: { level: string }) => x.level === '诊所')).toBe(true);
    expect(r.body.result.filters).toEqual({ level: '诊所' });
    const get = await call('datastore_search', { resource_id: open.rid, filters: { level: '诊所' }, q: '诊所', sort: 'level desc', limit: 1 });
    expect(get.body.result).toMatchObject({ filters: { level: '诊所' }, q: '诊所', sort: 'level desc' });
  });
});

describe('CKAN error envelopes', () => {
  it.each([
    ['an unknown action', 'nope', {}, 400, 'Bad Request'],
    ['a missing id', 'package_show', {}, 409, 'Validation Error'],
    ['an unknown package', 'package_show', { id: 'no-such-thing' }, 404, 'Not Found Error'],
    ['a closed dataset', 'package_show', { id: 'CLOSED' }, 404, 'Not Found Error'],
    ['an unknown resource', 'datastore_search', { resource_id: '00000000-0000-5000-8000-000000000000' }, 404, 'Not Found Error'],
    ['too many rows', 'package_search', { rows: 1001 }, 409, 'Validation Error'],
    ['a bad integer', 'package_search', { rows: 'many' }, 409, 'Validation Error'],
    ['an unknown search field', 'package_search', { fq: 'colour:red' }, 409, 'Search Query Error'],
    ['an unknown sort', 'package_search', { sort: 'colour asc' }, 409, 'Search Query Error'],
    ['bad filters JSON', 'datastore_search', { resource_id: 'OPEN', filters: '{nope' }, 409, 'Validation Error'],
    ['a filter on an unknown field', 'datastore_search', { resource_id: 'OPEN', filters: { colour: 'red' } }, 409, 'Validation Error'],
    ['a filter value that is an object', 'datastore_search', { resource_id: 'OPEN', filters: { level: { a: 1 } } }, 409, 'Validation Error'],
    ['an OR between different fields', 'package_search', { fq: 'organization:wjw OR tags:x' }, 409, 'Search Query Error'],
    ['an unclosed parenthesis', 'package_search', { q: 'organization:(' }, 409, 'Search Query Error'],
    ['a field with no value', 'package_search', { fq: 'organization:' }, 409, 'Search Query Error'],
    ['an unclosed quote', 'package_search', { q: '"医疗' }, 409, 'Search Query Error'],
    ['a query longer than 2,000 characters', 'package_search', { q: 'a'.repeat(80_000) }, 409, 'Search Query Error'],
    ['a bad records_format', 'datastore_search', { resource_id: 'OPEN', records_format: 'xml' }, 409, 'Validation Error'],
    ['a conditional dataset without a token', 'datastore_search', { resource_id: 'CONDITIONAL' }, 403, 'Authorization Error'],
  ])('answers %s with success: false and CKAN\'s __type', async (_n, action, params, status, type) => {
    const p = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v === 'CLOSED' ? closed.toLowerCase() : v === 'OPEN' ? open.rid : v === 'CONDITIONAL' ? conditional.rid : v]));
    const r = await call(action, p);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ success: false, error: { __type: type, message: expect.any(String) } });
    expect(r.body.result).toBeUndefined();
  });

  it('answers help_show for every action an envelope links to', async () => {
    const env = (await call('package_search', { rows: 1 })).body as Envelope & { help: string };
    const help = new URL(env.help);
    expect(help.pathname).toBe('/api/3/action/help_show');
    const r = await app.inject({ url: `${help.pathname}${help.search}` });
    expect(r.json()).toMatchObject({ success: true, result: expect.stringContaining('fq') });
    expect((await call('help_show', { name: 'nope' })).status).toBe(404);
  });

  it('answers bodies the HTTP layer refuses in the envelope too: too large (413), an unreadable type (415)', async () => {
    const big = await app.inject({ method: 'POST', url: '/api/3/action/package_search', payload: JSON.stringify({ q: 'x'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } });
    expect([big.statusCode, big.json().success, big.json().error?.__type]).toEqual([413, false, 'Bad Request']);
    const xml = await app.inject({ method: 'POST', url: '/api/3/action/package_search', payload: '<q>x</q>', headers: { 'content-type': 'application/xml' } });
    expect([xml.statusCode, xml.json().success, xml.json().error?.__type]).toEqual([415, false, 'Bad Request']);
    // A long search is refused at once, not scanned for seconds (the old pattern was quadratic in its length).
    const t0 = Date.now();
    const long = await app.inject({ method: 'POST', url: '/api/3/action/package_search', payload: { q: 'a'.repeat(500_000) } });
    expect([long.statusCode, long.json().error?.__type]).toEqual([409, 'Search Query Error']);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('reads a conditional dataset with the application token of a grant, sent the CKAN way', async () => {
    const token = await tokenFor(app, 'SCJGJ-REG', ['read']);
    for (const headers of [{ authorization: token }, { 'x-ckan-api-key': token }, { 'x-app-token': token }] as Record<string, string>[]) {
      const r = await call('datastore_search', { resource_id: conditional.rid, limit: 1 }, { headers });
      expect(r.body.success).toBe(true);
    }
    const bad = await call('datastore_search', { resource_id: open.rid }, { headers: { authorization: 'not-a-token' } });
    expect([bad.status, bad.body.error?.__type]).toEqual([403, 'Authorization Error']);
  });
});

describe('datastore_search_sql sandbox', () => {
  const sql = (q: string) => call('datastore_search_sql', { sql: q });

  it('runs one read-only SELECT over open datasets by resource id, code or name', async () => {
    const r = (await sql(`SELECT level, count(*) AS n FROM "${open.rid}" GROUP BY level ORDER BY n DESC, level`)).body.result;
    expect(r.fields).toEqual([{ id: 'level', type: 'text' }, { id: 'n', type: 'int8' }]);
    expect(r.records.reduce((s: number, x: { n: number }) => s + x.n, 0)).toBe(open.count);
    const joined = (await sql(`WITH a AS (SELECT district, count(*) AS n FROM "${open.code}" GROUP BY district) SELECT sum(n) AS total FROM a`)).body.result;
    expect(joined.records).toEqual([{ total: open.count }]);
  });

  it('caps the rows it returns', async () => {
    const r = (await sql(`SELECT * FROM "${open.rid}"`)).body.result;
    expect(r.records.length).toBe(50);
    expect(r.records_truncated).toBe(true);
  });

  // Each refusal must come from the sandbox's own check (its message says refused), not from the engine failing to
  // find a name: a test that passed on "table does not exist" would pass with no sandbox at all.
  it.each([
    ['reading a file', "SELECT * FROM read_csv('/etc/passwd')"],
    ['reading a file as a scalar', "SELECT content FROM read_text('/etc/passwd')"],
    ['globbing files', "SELECT * FROM glob('/*')"],
    ['a file path as a table', "SELECT * FROM '/etc/passwd'"],
    ['COPY to a file', `COPY (SELECT 1) TO '/tmp/x.csv'`],
    ['ATTACH', "ATTACH '/tmp/evil.db' AS evil"],
    ['PRAGMA', 'PRAGMA database_list'],
    ['INSTALL', 'INSTALL httpfs'],
    ['LOAD', 'LOAD httpfs'],
    ['SET', "SET enable_external_access = true"],
    ['two statements', `SELECT 1 FROM "RID"; SELECT 2`],
    ['a write', `DELETE FROM "RID"`],
    ['DDL', 'CREATE TABLE t (a INT)'],
    ['the catalogue', 'SELECT * FROM duckdb_tables()'],
    ['information_schema', 'SELECT * FROM information_schema.tables'],
    ['pg_catalog', 'SELECT * FROM pg_catalog.pg_tables'],
    ['sqlite_master', 'SELECT * FROM sqlite_master'],
    ['the batch log', 'SELECT * FROM _batches'],
    ['the quarantine', 'SELECT * FROM _quarantine'],
    ['a dataset table by its qualified engine name', 'SELECT * FROM main.ds_xm_05_wjw_00001'],
    ['the open dataset by its engine name', 'SELECT * FROM OPEN_TABLE'],
    ['a conditional dataset by its engine name', 'SELECT * FROM CONDITIONAL_TABLE'],
    ['a closed dataset by its engine name', 'SELECT * FROM CLOSED_TABLE'],
    ['SHOW TABLES', 'SHOW TABLES'],
    ['SHOW ALL TABLES inside a query', "SELECT name, column_names FROM (SHOW ALL TABLES) WHERE name = 'CLOSED_TABLE'"],
    ['DESCRIBE of a closed dataset', 'DESCRIBE CLOSED_TABLE'],
    ['DESCRIBE of the open dataset inside a query', 'SELECT * FROM (DESCRIBE "RID")'],
    ['SUMMARIZE', 'SUMMARIZE "RID"'],
    ['a settings function', "SELECT current_setting('allowed_directories')"],
    ['a qualified function', 'SELECT main.lower(1)'],
    ['a conditional dataset', `SELECT * FROM "CONDITIONAL"`],
    ['a closed dataset', `SELECT * FROM "CLOSED"`],
    ['a closed dataset inside a subquery', `SELECT (SELECT count(*) FROM "CLOSED") FROM "RID"`],
    ['a closed dataset in a UNION', `SELECT * FROM "RID" WHERE 1 = 0 UNION ALL SELECT * FROM "CLOSED"`],
    ['a CTE named after a dataset table, read out of its scope', 'WITH ds_xm_10_szj_00001 AS (SELECT * FROM ds_xm_10_szj_00001) SELECT * FROM ds_xm_10_szj_00001 LIMIT 2'],
    ['a CTE named after the quarantine, referenced from outside its subquery', 'SELECT * FROM (WITH _quarantine AS (SELECT 1) SELECT 1), _quarantine LIMIT 2'],
    ['a CTE named after a catalogue view', 'SELECT * FROM (WITH sqlite_master AS (SELECT 1) SELECT 1), sqlite_master'],
    ['a CTE named after a catalogue function', 'SELECT * FROM (WITH pragma_database_list AS (SELECT 1) SELECT 1), pragma_database_list'],
    ['a CTE named like a file path', `SELECT * FROM (WITH "x.csv" AS (SELECT 1) SELECT 1), "x.csv"`],
    ['a CTE shadowing an open dataset', `WITH "RID" AS (SELECT 1 AS x) SELECT * FROM "RID"`],
  ])('refuses %s with a clear error', async (_n, raw) => {
    const table = (code: string) => `ds_${code.toLowerCase().replace(/-/g, '_')}`;
    const q = raw.replaceAll('OPEN_TABLE', table(open.code)).replaceAll('CONDITIONAL_TABLE', table(conditional.code)).replaceAll('CLOSED_TABLE', table(closed))
      .replaceAll('RID', open.rid).replaceAll('CONDITIONAL', conditional.rid).replaceAll('CLOSED', closed);
    const r = await sql(q);
    expect(r.status, r.body.error?.message).toBe(403);
    expect(r.body.success).toBe(false);
    expect(r.body.error?.message).toMatch(/The SQL was refused: .{15,}/);
  });

  it('stops at its byte cap, keys repeated column names as its fields name them and keeps big integers exact', async () => {
    // 40 rows of 1 MB would be 40 MB of JSON: the rows stop before the 16 MiB cap (and below the row cap of 50).
    const big = await sql(`WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 40) SELECT i, repeat('x', 1000000) AS pad FROM r`);
    expect(big.status, JSON.stringify(big.body.error)).toBe(200);
    expect(big.body.result.records_truncated).toBe(true);
    expect(big.body.result.records.length).toBe(16);
    expect(JSON.stringify(big.body).length).toBeLessThan(17 * 1024 * 1024);
    const r = (await sql('SELECT 1 AS a, 2.5 AS a, 12345678901234567890::HUGEINT AS h, 9007199254740993::BIGINT AS b, 42::BIGINT AS n, 123456789.123456789::DECIMAL(18,9) AS d, 1.25::DECIMAL(5,2) AS e')).body.result;
    expect(r.fields.map((f: { id: string }) => f.id)).toEqual(['a', 'a:1', 'h', 'b', 'n', 'd', 'e']);
    expect(r.records).toEqual([{ a: 1, 'a:1': 2.5, h: '12345678901234567890', b: '9007199254740993', n: 42, d: '123456789.123456789', e: 1.25 }]);
  });

  it('answers a syntax error as one', async () => {
    const r = await sql('SELEC 1');
    expect([r.status, r.body.error?.__type]).toEqual([409, 'Validation Error']);
    expect(r.body.error?.message).toMatch(/could not be run: .*syntax error/i);
  });

  it('refuses a column that is not published and stops a runaway query at its time limit', async () => {
    const unknown = await sql(`SELECT secret_field FROM "${open.rid}"`);
    expect(unknown.body.error?.__type).toBe('Validation Error');
    const t0 = Date.now();
    const runaway = await sql(`SELECT count(*) FROM "${open.rid}" a, "${open.rid}" b, "${open.rid}" c, "${open.rid}" d, "${open.rid}" e, "${open.rid}" f`);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(runaway.body.success).toBe(false);
    expect(runaway.body.error?.message).toMatch(/longer than 1\.5 s/);
    // The engine still answers afterwards.
    expect((await sql(`SELECT count(*) AS n FROM "${open.rid}"`)).body.result.records[0].n).toBe(open.count);
  });

  it('audits every query, refused or not', async () => {
    const entries = await app.platform.audit.search({ action: 'records.sql', limit: 100 });
    expect(entries.some((e) => e.result === 'denied' && e.filter?.includes('read_csv'))).toBe(true);
    expect(entries.some((e) => e.result === 'allowed' && (e.rowCount ?? 0) > 0)).toBe(true);
    // A provider finds the SQL that read its data under its dataset.
    expect(entries.some((e) => e.result === 'allowed' && e.datasetCode === open.code)).toBe(true);
  });
});

describe('an unmodified CKAN client (okfn ckan.js)', () => {
  it('lists, searches, reads and pages records through the real HTTP API', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const CKAN = createRequire(import.meta.url)('ckan') as { Client: new (endpoint: string, key?: string) => { action(name: string, data: unknown, cb: (err: unknown, body: Envelope) => void): void; datastoreQuery(q: unknown, cb: (err: unknown, out: { total: number; fields: unknown[]; hits: unknown[] }) => void): void; datastoreSqlQuery(sql: string, cb: (err: unknown, out: { hits: unknown[] }) => void): void } };
    const client = new CKAN.Client(address);
    const act = (name: string, data: unknown) => new Promise<Envelope>((resolve, reject) => client.action(name, data, (err, body) => (err ? reject(new Error(String(err))) : resolve(body))));
    expect((await act('package_list', {})).result).toContain(open.code.toLowerCase());
    const found = (await act('package_search', { q: '医疗', rows: 5 })).result;
    expect(found.count).toBeGreaterThan(0);
    const pkg = (await act('package_show', { id: found.results[0].name })).result;
    const rid = pkg.resources[0].id;
    const rows: unknown[] = [];
    for (let offset = 0; ; offset += 50) {
      const page = (await act('datastore_search', { resource_id: rid, limit: 50, offset })).result;
      rows.push(...page.records);
      if (page.records.length < 50) break;
    }
    expect(rows.length).toBe(open.count);
    const q = await new Promise<{ total: number; hits: unknown[] }>((resolve, reject) =>
      client.datastoreQuery({ resource_id: rid, size: 5, from: 10, filters: [{ type: 'term', field: 'level', term: '诊所' }] }, (err, out) => (err ? reject(err) : resolve(out))));
    expect(q.hits.length).toBeLessThanOrEqual(5);
    expect(q.total).toBeGreaterThan(0);
    const s = await new Promise<{ hits: unknown[] }>((resolve, reject) => client.datastoreSqlQuery(`SELECT count(*) AS n FROM "${rid}"`, (err, out) => (err ? reject(err) : resolve(out))));
    expect(s.hits).toEqual([{ n: open.count }]);
  });
});
