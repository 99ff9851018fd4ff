// DCAT-AP output, parsed back as RDF: Turtle with N3.js, JSON-LD with jsonld.js, and both must say the same.
import type { FastifyInstance } from 'fastify';
import jsonld from 'jsonld';
import { Parser, type Quad } from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers.ts';

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const HYDRA = 'http://www.w3.org/ns/hydra/core#';

let app: FastifyInstance;
let close: () => Promise<void>;

beforeAll(async () => {
  const t = await testApp({ demo: 'small' });
  app = t.app;
  close = t.close;
  // The parking platform's open datasets: with the bus ridership, three open datasets of one publisher (JTJ).
  await app.platform.parkingHub.datasets();
});
afterAll(async () => close());

const turtle = (body: string) => new Parser({ format: 'text/turtle' }).parse(body);
async function fromJsonLd(body: string): Promise<Quad[]> {
  const nquads = (await jsonld.toRDF(JSON.parse(body), { format: 'application/n-quads' })) as unknown as string;
  return new Parser({ format: 'application/n-quads' }).parse(nquads);
}
/** Triples as comparable strings, blank nodes renamed by the first subject they describe. */
function canonical(quads: Quad[]): string[] {
  return quads.map((q) => `${q.subject.termType === 'BlankNode' ? '_' : q.subject.value} ${q.predicate.value} ${q.object.termType === 'BlankNode' ? '_' : q.object.termType === 'Literal' ? `"${q.object.value}"@${(q.object as { language: string }).language}^^${(q.object as { datatype: { value: string } }).datatype.value}` : q.object.value}`).sort();
}
const objects = (quads: Quad[], s: string, p: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === p).map((q) => q.object.value);

describe('DCAT-AP catalogue', () => {
  it('serves the catalogue as Turtle and JSON-LD that parse to the same triples', async () => {
    const ttl = await app.inject({ url: '/catalog.ttl' });
    expect(ttl.headers['content-type']).toContain('text/turtle');
    const js = await app.inject({ url: '/catalog.jsonld' });
    expect(js.headers['content-type']).toContain('application/ld+json');
    const a = turtle(ttl.body);
    const b = await fromJsonLd(js.body);
    expect(a.length).toBeGreaterThan(100);
    const strip = (xs: string[]) => xs.map((x) => x.replace(/\/catalog\.(ttl|jsonld)/g, '/catalog.X'));
    expect(strip(canonical(b))).toEqual(strip(canonical(a)));
    // A graph is a set: a publisher of several datasets is stated once, not once per dataset.
    const named = canonical(a).filter((x) => !x.startsWith('_ '));
    expect(named.length).toBe(new Set(named).size);
    const datasets = a.filter((q) => q.predicate.value === RDF_TYPE && q.object.value === `${DCAT}Dataset`).map((q) => q.subject.value);
    const published = (await app.platform.catalogue.all()).filter((d) => d.openType !== 'closed');
    expect(datasets.length).toBe(published.length);
  });

  it('maps title, description, identifier, dates, frequency, publisher, contact, keywords, theme, place, period and distributions', async () => {
    const d = (await app.platform.catalogue.all()).find((x) => x.openType === 'open' && x.name.includes('医'))!;
    const quads = turtle((await app.inject({ url: `/dataset/${d.code.toLowerCase()}.ttl` })).body);
    const s = `http://localhost:80/dataset/${d.code.toLowerCase()}`;
    expect(objects(quads, s, `${DCT}title`)).toContain(d.name);
    expect(objects(quads, s, `${DCT}description`)).toEqual([d.summary]);
    expect(objects(quads, s, `${DCT}identifier`)).toEqual([d.code]);
    expect(objects(quads, s, `${DCT}issued`)).toEqual([d.createdAt]);
    expect(objects(quads, s, `${DCT}modified`)).toHaveLength(1);
    expect(objects(quads, s, `${DCT}accrualPeriodicity`)).toEqual(['http://publications.europa.eu/resource/authority/frequency/MONTHLY'.replace('MONTHLY', { monthly: 'MONTHLY', daily: 'DAILY', yearly: 'ANNUAL', weekly: 'WEEKLY', hourly: 'HOURLY', quarterly: 'QUARTERLY', realtime: 'CONT' }[d.updateCycle])]);
    expect(objects(quads, s, `${DCAT}keyword`).sort()).toEqual([...d.tags].sort());
    expect(objects(quads, s, `${DCAT}theme`)).toContain('http://publications.europa.eu/resource/authority/data-theme/HEAL');
    const publisher = objects(quads, s, `${DCT}publisher`)[0];
    expect(objects(quads, publisher, 'http://xmlns.com/foaf/0.1/name')).toContain('厦门市卫生健康委员会');
    expect(objects(quads, s, `${DCAT}contactPoint`)).toHaveLength(1);
    const place = objects(quads, s, `${DCT}spatial`)[0];
    expect(objects(quads, place, `${DCT}identifier`)).toEqual(['350200']);
    const period = objects(quads, s, `${DCT}temporal`)[0];
    expect(objects(quads, period, `${DCAT}startDate`)).toEqual([d.createdAt]);
    const dists = objects(quads, s, `${DCAT}distribution`);
    expect(dists).toHaveLength(5);
    const downloads = dists.flatMap((x) => objects(quads, x, `${DCAT}downloadURL`));
    expect(downloads.map((u) => u.split('.').pop()).sort()).toEqual(['csv', 'json', 'parquet', 'xlsx']);
    for (const x of dists) {
      expect(objects(quads, x, `${DCAT}accessURL`)).toHaveLength(1);
      expect(objects(quads, x, `${DCAT}mediaType`)[0]).toMatch(/^https:\/\/www\.iana\.org\/assignments\/media-types\//);
      expect(objects(quads, x, `${DCT}format`)[0]).toMatch(/file-type\/(CSV|JSON|PARQUET|XLSX)$/);
      expect(objects(quads, x, `${DCT}license`)).toEqual(['https://creativecommons.org/licenses/by/4.0/']);
    }
    // The download links work.
    const csv = await app.inject({ url: downloads.find((u) => u.endsWith('.csv'))!.replace('http://localhost:80', '') });
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\r\n').length - 2).toBe(d.validRecords);
  });

  it('pages the catalogue with hydra links and filters by modified_since', async () => {
    const quads = turtle((await app.inject({ url: '/catalog.ttl?page=1' })).body);
    const coll = quads.find((q) => q.predicate.value === RDF_TYPE && q.object.value === `${HYDRA}PagedCollection`)!.subject.value;
    expect(objects(quads, coll, `${HYDRA}itemsPerPage`)).toEqual(['100']);
    expect(objects(quads, coll, `${HYDRA}firstPage`)[0]).toContain('page=1');
    const future = turtle((await app.inject({ url: `/catalog.ttl?modified_since=${new Date(Date.now() + 3600_000).toISOString()}` })).body);
    expect(future.filter((q) => q.object.value === `${DCAT}Dataset`)).toHaveLength(0);
    expect((await app.inject({ url: '/catalog.ttl?page=9' })).json().error.code).toBe('VALIDATION_FAILED');
    for (const bad of ['yesterday', '1', '2026-13-01', '2026-11-30 10:00']) {
      expect((await app.inject({ url: `/catalog.ttl?modified_since=${encodeURIComponent(bad)}` })).json().error.code, bad).toBe('VALIDATION_FAILED');
    }
    // A date alone is that day from Beijing midnight: every dataset was modified since 2000-01-01.
    const all = turtle((await app.inject({ url: '/catalog.ttl?modified_since=2000-01-01' })).body);
    expect(all.filter((q) => q.object.value === `${DCAT}Dataset`).length).toBeGreaterThan(0);
    const closed = (await app.platform.catalogue.all()).find((x) => x.openType === 'closed')!;
    expect((await app.inject({ url: `/dataset/${closed.code}.jsonld` })).statusCode).toBe(404);
  });
});
