import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

/** A request to the hub's HTTP API (path below the server root, e.g. /api/v1/parking/lots). */
export interface HubRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string | Readable;
}

/** What came back: status, headers and the body as text. */
export interface HubResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** Sends one request to the hub: over HTTP (`httpTransport`), or in tests through Fastify's inject. */
export type Transport = (req: HubRequest) => Promise<HubResponse>;

/** An answer other than the one expected, with the hub's stable error code when it sent one. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Requests over keep-alive connections to a hub at a base URL (http or https). */
export function httpTransport(baseUrl: string, opts: { maxSockets?: number } = {}): Transport {
  const base = new URL(baseUrl);
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 }) : new HttpAgent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const send = secure ? httpsRequest : httpRequest;
  const prefix = base.pathname.replace(/\/$/, '');
  return (r) =>
    new Promise<HubResponse>((resolve, reject) => {
      const headers: Record<string, string> = { ...(r.headers ?? {}) };
      if (typeof r.body === 'string') headers['content-length'] = String(Buffer.byteLength(r.body));
      const req = send({ hostname: base.hostname, port: base.port, path: prefix + r.path, method: r.method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (r.body === undefined) req.end();
      else if (typeof r.body === 'string') req.end(r.body);
      else r.body.on('error', (e) => req.destroy(e)).pipe(req);
    });
}

/** A lot as the hub lists it (the part the simulator reads). */
export interface HubLot {
  id: string;
  systemCode: string;
  live: { total: number; free: number | null; state: string; updated: string | null };
}

/** The datasets of the parking platform's own data (GET /api/v1/parking/datasets). */
export interface ParkingDatasets {
  lots: string;
  occupancy: string;
  sessions: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The parts of the hub's HTTP API the parking simulator uses — sign-in, systems, application tokens, lots,
 * occupancy pushes, the parking datasets and batch ingest — with JSON bodies, the error envelope turned into
 * HubError, and waits on 429 (Retry-After) before trying again.
 */
export class HubClient {
  constructor(private readonly transport: Transport) {}

  /** Sends a request; JSON in and out; retries after the server's Retry-After on 429 (up to `retries` times). */
  async call<T>(method: HubRequest['method'], path: string, opts: { auth?: Record<string, string>; json?: unknown; body?: string | (() => Readable); headers?: Record<string, string>; expect?: number[]; retries?: number } = {}): Promise<{ status: number; data: T; headers: HubResponse['headers'] }> {
    const expect = opts.expect ?? [200, 201];
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...(opts.auth ?? {}), ...(opts.headers ?? {}) };
      let body = typeof opts.body === 'function' ? opts.body() : opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = 'application/json';
      }
      const r = await this.transport({ method, path, headers, body });
      if (r.status === 429 && attempt < (opts.retries ?? 20)) {
        await sleep(Math.max(0.2, Number(r.headers['retry-after'] ?? 1)) * 1000);
        continue;
      }
      let data: unknown = null;
      if (r.body) {
        try {
          data = JSON.parse(r.body);
        } catch {
          data = r.body;
        }
      }
      if (!expect.includes(r.status)) {
        const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
        throw new HubError(r.status, err?.code ?? null, `${method} ${path}: HTTP ${r.status}${err ? ` ${err.code}: ${err.message}` : ''}`);
      }
      return { status: r.status, data: data as T, headers: r.headers };
    }
  }

  /** Signs a person in; the session cookie to send with later requests. */
  async signIn(username: string, password: string): Promise<Record<string, string>> {
    const r = await this.call<unknown>('POST', '/api/v1/auth/login', { json: { username, password } });
    const cookie = [r.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('xmc_session='));
    if (!cookie) throw new HubError(r.status, null, 'sign-in answered without a session cookie');
    return { cookie: cookie.split(';')[0] };
  }

  /** Codes of the connected systems registered in the hub. */
  async systemCodes(auth: Record<string, string>): Promise<Set<string>> {
    const r = await this.call<{ items?: { code: string }[] } | { code: string }[]>('GET', '/api/v1/systems', { auth });
    const items = Array.isArray(r.data) ? r.data : (r.data.items ?? []);
    return new Set(items.map((s) => s.code));
  }

  /** Issues an application token for a system; the Authorization header that carries it. */
  async issueToken(auth: Record<string, string>, systemCode: string, scopes: ('ingest' | 'read')[], name: string): Promise<Record<string, string>> {
    const r = await this.call<{ token: string }>('POST', '/api/v1/tokens', { auth, json: { systemCode, name, scopes, expiresInDays: 30 } });
    return { authorization: `Bearer ${r.data.token}` };
  }

  /** Registers a lot; false when a lot with its id exists already. */
  async createLot(auth: Record<string, string>, lot: unknown): Promise<boolean> {
    const r = await this.call<{ error?: { code: string } }>('POST', '/api/v1/parking/lots', { auth, json: lot, expect: [201, 409] });
    if (r.status === 409 && r.data.error?.code !== 'LOT_EXISTS') throw new HubError(409, r.data.error?.code ?? null, `POST /api/v1/parking/lots: ${JSON.stringify(r.data)}`);
    return r.status === 201;
  }

  /** One lot with its live state, or null. */
  async lot(id: string): Promise<HubLot | null> {
    const r = await this.call<HubLot>('GET', `/api/v1/parking/lots/${encodeURIComponent(id)}`, { expect: [200, 404] });
    return r.status === 200 ? r.data : null;
  }

  /** Pushes counts and/or entry and exit events of a lot with its system's token. */
  async pushOccupancy(auth: Record<string, string>, lotId: string, push: unknown): Promise<HubLot> {
    return (await this.call<HubLot>('POST', `/api/v1/parking/lots/${encodeURIComponent(lotId)}/occupancy`, { auth, json: push })).data;
  }

  /** The codes of the parking platform's datasets, or null while the hub has none (or no such route). */
  async parkingDatasets(auth?: Record<string, string>): Promise<ParkingDatasets | null> {
    // As the parking platform's system (or a steward), the hub catalogues them if they are not yet.
    const r = await this.call<ParkingDatasets>('GET', '/api/v1/parking/datasets', { auth, expect: [200, 404] });
    return r.status === 200 && r.data && typeof r.data.occupancy === 'string' ? r.data : null;
  }

  /** Pushes one NDJSON batch into a dataset (append), idempotent under its key; `body` makes the stream (again on a retry). */
  async ingestNdjson(auth: Record<string, string>, code: string, body: () => Readable, idempotencyKey: string): Promise<{ batchId: string; accepted: number; valid: number; invalid: number; replayed: boolean }> {
    const headers = { 'content-type': 'application/x-ndjson', 'idempotency-key': idempotencyKey };
    return (await this.call<{ batchId: string; accepted: number; valid: number; invalid: number; replayed: boolean }>('POST', `/api/v1/datasets/${encodeURIComponent(code)}/records?format=ndjson&mode=append`, { auth, body, headers, expect: [200] })).data;
  }
}
