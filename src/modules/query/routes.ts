import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AnyObject, DatasetParams, authErrors as dataErrors } from '../../http/schemas.ts';
import { jsonArray, xlsxWorkbook } from './file-formats.ts';
import type { ExportSlots } from './export-slots.ts';
import type { QueryService } from './service.ts';


const DOWNLOAD_TYPES = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

const CONTENT_TYPES = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
} as const;

/** HTTP routes of record reads: pages, exports, aggregates and the change feed. */
export const queryRoutes: FastifyPluginAsyncTypebox<{ query: QueryService; maxPageSize: number; exports: ExportSlots }> = async (app, { query, maxPageSize, exports }) => {
  /**
   * Streams an export under one of the caller's export slots (a person or system, or an anonymous address), given
   * back when the stream closes — finished, failed or abandoned by the client.
   */
  const exporting = async (req: FastifyRequest, start: () => Promise<{ code: string; stream: AsyncIterable<Uint8Array> }>): Promise<{ code: string; body: Readable }> => {
    const release = exports.take(req.actor.kind === 'anonymous' ? `ip:${req.ip}` : `${req.actor.kind}:${req.actor.id}`);
    try {
      const { code, stream } = await start();
      const body = Readable.from(stream);
      body.once('close', release);
      return { code, body };
    } catch (e) {
      release();
      throw e;
    }
  };

  app.get('/datasets/:code/records', {
    schema: {
      tags: ['query'],
      summary: 'Filtered, sorted, keyset-paged records; or the whole result as NDJSON, CSV or Parquet',
      params: DatasetParams,
      querystring: Type.Object({
        filter: Type.Optional(Type.String({ maxLength: 8192, description: "e.g. district = '350203' and capital >= 100" })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
        fields: Type.Optional(Type.String({ maxLength: 4000 })),
        sort: Type.Optional(Type.String({ maxLength: 1000, description: 'comma-separated; - for descending' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: maxPageSize })),
        offset: Type.Optional(Type.Integer({ minimum: 0 })),
        cursor: Type.Optional(Type.String({ maxLength: 4000 })),
        total: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('estimate'), Type.Literal('none')])),
        format: Type.Union(['json', 'ndjson', 'csv', 'parquet'].map((f) => Type.Literal(f)), { default: 'json' }),
      }),
      response: {
        200: Type.Object({
          items: Type.Array(AnyObject),
          total: Type.Union([Type.Number(), Type.Null()]),
          totalExact: Type.Boolean(),
          nextCursor: Type.Union([Type.String(), Type.Null()]),
        }),
        ...dataErrors,
      },
    },
  }, async (req, reply) => {
    const { format, ...q } = req.query;
    if (format === 'json') {
      const { view: _view, ...page } = await query.records(req.actor, req.params.code, q);
      return page;
    }
    const fmt = format as keyof typeof CONTENT_TYPES;
    const { code, body } = await exporting(req, async () => {
      const { dataset, stream } = await query.export(req.actor, req.params.code, { ...q, limit: req.query.limit }, fmt);
      return { code: dataset.code, stream };
    });
    const ext = fmt === 'ndjson' ? 'ndjson' : fmt;
    return reply
      .type(CONTENT_TYPES[fmt])
      .header('content-disposition', `attachment; filename="${code}.${ext}"`)
      .send(body);
  });

  app.get('/datasets/:code/download.:ext', {
    schema: {
      tags: ['query'],
      summary: 'Download every record you may read as one file (CSV with BOM, JSON array, NDJSON, Parquet, XLSX), streamed',
      params: Type.Intersect([DatasetParams, Type.Object({ ext: Type.Union(['csv', 'json', 'ndjson', 'parquet', 'xlsx'].map((f) => Type.Literal(f))) })]),
      querystring: Type.Object({
        filter: Type.Optional(Type.String({ maxLength: 8192 })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
        fields: Type.Optional(Type.String({ maxLength: 4000 })),
        sort: Type.Optional(Type.String({ maxLength: 1000 })),
      }),
      response: { ...dataErrors },
    },
  }, async (req, reply) => {
    const ext = req.params.ext as 'csv' | 'json' | 'ndjson' | 'parquet' | 'xlsx';
    const lakeFormat = ext === 'json' || ext === 'xlsx' ? 'ndjson' : ext;
    const { code, body } = await exporting(req, async () => {
      const { dataset, stream, fields } = await query.export(req.actor, req.params.code, req.query, lakeFormat);
      return { code: dataset.code, stream: ext === 'json' ? jsonArray(stream) : ext === 'xlsx' ? xlsxWorkbook(stream, fields) : stream };
    });
    return reply
      .type(DOWNLOAD_TYPES[ext])
      .header('content-disposition', `attachment; filename="${code}.${ext}"`)
      .send(body);
  });

  app.get('/datasets/:code/access', {
    schema: {
      tags: ['query'],
      summary: 'What you may see of a dataset: owner or grant, each field clear / partial / hash, withheld fields, row scope, quotas',
      params: DatasetParams,
      response: { 200: AnyObject, ...dataErrors },
    },
  }, async (req) => query.accessOf(req.actor, req.params.code));

  app.get('/datasets/:code/aggregate', {
    schema: {
      tags: ['query'],
      summary: 'Group-by aggregates (count, sum, avg, min, max, count_distinct) with time buckets',
      params: DatasetParams,
      querystring: Type.Object({
        groupBy: Type.Optional(Type.String({ maxLength: 500, description: 'e.g. district,established_on:month' })),
        metrics: Type.Optional(Type.String({ maxLength: 500, description: 'e.g. count,sum:capital' })),
        filter: Type.Optional(Type.String({ maxLength: 8192 })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
        sort: Type.Optional(Type.String({ maxLength: 500 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
      }),
      response: { 200: Type.Object({ items: Type.Array(AnyObject) }), ...dataErrors },
    },
  }, async (req) => query.aggregate(req.actor, req.params.code, req.query));

  app.get('/datasets/:code/changes', {
    schema: {
      tags: ['query'],
      summary: 'Change feed: records written and keys deleted since a batch sequence number or cursor',
      params: DatasetParams,
      querystring: Type.Object({
        since: Type.Optional(Type.Integer({ minimum: 0 })),
        cursor: Type.Optional(Type.String({ maxLength: 4000 })),
        limit: Type.Integer({ minimum: 1, maximum: maxPageSize, default: 1000 }),
      }),
      response: {
        200: Type.Object({ items: Type.Array(AnyObject), nextCursor: Type.String(), more: Type.Boolean(), seq: Type.Integer() }),
        ...dataErrors,
      },
    },
  }, async (req) => query.changes(req.actor, req.params.code, req.query));
};
