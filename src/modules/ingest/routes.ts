import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnyObject, DatasetParams, Paging, authErrors as errorResponses } from '../../http/schemas.ts';
import { csvQuote } from './sources/csv-header.ts';
import type { IngestService } from './service.ts';
import { requireAccess } from '../access/policy.ts';
import type { CatalogueService } from '../catalogue/service.ts';

const IngestResult = Type.Object({
  batchId: Type.String(),
  seq: Type.Integer(),
  status: Type.String(),
  accepted: Type.Integer(),
  valid: Type.Integer(),
  invalid: Type.Integer(),
  deleted: Type.Integer(),
  replayed: Type.Boolean(),
  durationMs: Type.Integer(),
});

/** HTTP routes of ingest: streamed batches, batch history, quarantine and daily counts. */
export const ingestRoutes: FastifyPluginAsyncTypebox<{ ingest: IngestService; catalogue: CatalogueService }> = async (app, { ingest, catalogue }) => {
  // Bodies of this route are streamed to a spool file, never parsed or buffered by Fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  app.post('/datasets/:code/records', {
    schema: {
      tags: ['ingest'],
      summary: 'Push a batch of records (streamed; atomic; idempotent with Idempotency-Key)',
      params: DatasetParams,
      querystring: Type.Object({
        format: Type.Union(['csv', 'ndjson', 'json', 'parquet', 'xlsx'].map((f) => Type.Literal(f)), { default: 'ndjson' }),
        mode: Type.Union(['append', 'upsert', 'delete'].map((f) => Type.Literal(f)), { default: 'append' }),
        sheet: Type.Optional(Type.String({ maxLength: 100 })),
      }),
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 200 })) }),
      response: { 200: IngestResult, ...errorResponses },
    },
  }, async (req, reply) => {
    const body = (req.body as NodeJS.ReadableStream | undefined) ?? req.raw;
    const controller = new AbortController();
    req.raw.on('close', () => {
      if (!req.raw.complete) controller.abort();
    });
    try {
      return await ingest.ingest({
        actor: req.actor,
        dataset: req.params.code,
        format: req.query.format as 'csv',
        mode: req.query.mode as 'append',
        body,
        idempotencyKey: req.headers['idempotency-key'] ?? null,
        source: 'http',
        sheet: req.query.sheet,
        signal: controller.signal,
      });
    } catch (e) {
      // The spooler stops reading at the first problem; let the rest of the body drain so the answer reaches the
      // client, and close the connection after a size refusal rather than read gigabytes more.
      if (!req.raw.complete) {
        if ((e as { status?: number }).status === 413) reply.header('connection', 'close');
        req.raw.resume();
      }
      throw e;
    }
  });

  app.get('/datasets/:code/batches', {
    schema: {
      tags: ['ingest'],
      summary: 'Batches applied to a dataset, newest first',
      params: DatasetParams,
      querystring: Type.Object(Paging),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Integer() }), ...errorResponses },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    await catalogue.get(req.params.code);
    const [rows, total] = await ingest.listBatches(req.params.code, req.query.limit, req.query.offset);
    return {
      items: rows.map((b) => ({
        batchId: b.batch_id, seq: Number(b.seq), source: b.source, format: b.format, mode: b.mode, accepted: Number(b.accepted),
        valid: Number(b.valid), invalid: Number(b.invalid), status: b.status, createdAt: b.created_at, durationMs: Number(b.duration_ms),
      })),
      total,
    };
  });

  app.get('/datasets/:code/quarantine', {
    schema: {
      tags: ['ingest'],
      summary: 'Invalid rows (问题数据) with row number, field, rule and original value',
      params: DatasetParams,
      querystring: Type.Object({
        seq: Type.Optional(Type.Integer({ minimum: 1 })),
        format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
        limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 50 }),
        offset: Type.Integer({ minimum: 0, default: 0 }),
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject), total: Type.Integer() }), ...errorResponses },
    },
  }, async (req, reply) => {
    const { dataset: ds, ...r } = await ingest.quarantine(req.actor, req.params.code, { seq: req.query.seq ?? null, limit: req.query.limit, offset: req.query.offset });
    if (req.query.format === 'csv') {
      const lines = ['\uFEFFseq,row,field,rule,value,errors,record'];
      for (const e of r.items) {
        lines.push([String(e.seq), String(e.row), e.field, e.rule, e.value ?? '', JSON.stringify(e.errors), JSON.stringify(e.record)].map(csvQuote).join(','));
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${ds.code}-quarantine.csv"`)
        .send(lines.join('\r\n') + '\r\n');
    }
    return r;
  });

  app.get('/datasets/:code/daily', {
    schema: {
      tags: ['ingest'],
      summary: 'Valid and invalid records per day',
      params: DatasetParams,
      querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3660, default: 30 }) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ day: Type.String(), valid: Type.Number(), invalid: Type.Number() })) }), ...errorResponses },
    },
  }, async (req) => {
    requireAccess({ actor: req.actor, permission: 'catalogue.read' });
    await catalogue.get(req.params.code);
    return { items: await ingest.daily(req.params.code, req.query.days) };
  });
};
