// The one HTTP client of the web shell. Every call to the server goes through here:
// it builds /api/v1 URLs (or /api/3 for the CKAN Action API the portal searches with), parses the error envelope
// `{ error: { code, message, details? } }` (CKAN's `{ success: false, error: { __type, message } }` too),
// shows an ElMessage (in the reader's language for the codes the catalogue knows) and throws ApiError.
// A 401 AUTH_REQUIRED / SESSION_EXPIRED goes to the sign-in handler main.ts installs (→ /login?redirect=…).
// The session itself is an HTTP-only cookie the browser sends; this module never sees it.
import { ElMessage } from 'element-plus';
import { i18n } from '../i18n';

export const API_BASE = '/api/v1';
/** The CKAN Action API (/api/3/action/…), answered in CKAN's envelope `{ success, result }`. */
export const CKAN_BASE = '/api/3';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type Query = Record<string, QueryValue>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not show an ElMessage on failure (the caller handles it). */
  silent?: boolean;
  /** Leave a 401 to the caller instead of sending the user to the sign-in page (default true). */
  signInOn401?: boolean;
  /** Another API root than /api/v1 (CKAN_BASE). */
  base?: string;
}

/** Codes that mean "sign in (again)". */
export const SIGN_IN_CODES: ReadonlySet<string> = new Set(['AUTH_REQUIRED', 'SESSION_EXPIRED']);

let signInHandler: ((err: ApiError) => void) | null = null;

/** Installs what happens when a request needs a signed-in person (main.ts: clear the session, go to /login). */
export function setSignInHandler(handler: (err: ApiError) => void): void {
  signInHandler = handler;
}

/** `/api/v1` (or `base`) + path + query string; empty values (undefined, null, '', []) are left out. */
export function apiUrl(path: string, query?: Query, base = API_BASE): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(','));
    } else {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return `${base}${path}${qs ? `?${qs}` : ''}`;
}

function t(key: string, named?: Record<string, unknown>): string {
  return named ? i18n.global.t(key, named) : i18n.global.t(key);
}

/**
 * Turns a non-2xx response body (text) into an ApiError, tolerating non-envelope bodies. A Retry-After header
 * (CKAN's 429 carries no details) fills in `details.retryAfterSeconds`.
 */
function toApiError(status: number, statusText: string, text: string, retryAfter: string | null = null): ApiError {
  const err = parseError(status, statusText, text);
  const wait = Number(retryAfter);
  if (retryAfter === null || !Number.isFinite(wait) || retryAfterSeconds(err) !== null) return err;
  const details = typeof err.details === 'object' && err.details ? err.details : {};
  return new ApiError(err.status, err.code, err.message, { ...details, retryAfterSeconds: wait });
}

function parseError(status: number, statusText: string, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; __type?: unknown; message?: unknown; details?: unknown } };
    if (body && typeof body.error === 'object' && body.error) {
      // CKAN names the kind of error in `__type` ("Not Found Error", "Search Query Error", …); its rate limit is the
      // platform's TOO_MANY_REQUESTS, so it reads the same in both APIs.
      const ckanType = typeof body.error.__type === 'string' ? body.error.__type : null;
      const code =
        typeof body.error.code === 'string' ? body.error.code : status === 429 && ckanType ? 'TOO_MANY_REQUESTS' : (ckanType ?? `HTTP_${status}`);
      const message = typeof body.error.message === 'string' && body.error.message ? body.error.message : statusText;
      return new ApiError(status, code, message, body.error.details);
    }
  } catch {
    // not JSON: fall through
  }
  return new ApiError(status, `HTTP_${status}`, statusText || t('errors.http', { status }));
}

function retryAfterSeconds(err: ApiError): number | null {
  const d = err.details as { retryAfterSeconds?: unknown } | undefined;
  const n = Number(d?.retryAfterSeconds);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** `err` as an ApiError: itself when it is one, else a network error (no answer came). */
export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, 'NETWORK', t('errors.network'));
}

/**
 * The error in the reader's language: codes with an entry under `apiErrors` in the message catalogue are
 * translated (with the wait in minutes or seconds where the server sent Retry-After), others keep the
 * server's message, which names the field, dataset or reason.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return t('errors.network');
  const key = `apiErrors.${err.code}`;
  if (!i18n.global.te(key)) return err.message;
  const seconds = retryAfterSeconds(err) ?? 0;
  return t(key, { seconds, minutes: Math.max(1, Math.ceil(seconds / 60)) });
}

export function notifyError(err: unknown): void {
  if (err instanceof DOMException && err.name === 'AbortError') return;
  // The sign-in handler has already said so and is on its way to the sign-in page.
  if (err instanceof ApiError && err.status === 401 && SIGN_IN_CODES.has(err.code) && signInHandler) return;
  const message = err instanceof ApiError ? t('errors.api', { message: describeError(err), code: err.code }) : t('errors.network');
  ElMessage({ type: 'error', message, grouping: true, showClose: true, duration: 5000 });
}

/** Sends a 401 to the sign-in handler (unless the caller takes it); true when it was handled there. */
function toSignIn(err: unknown, signInOn401: boolean | undefined): boolean {
  if (signInOn401 === false || !signInHandler || !(err instanceof ApiError) || err.status !== 401 || !SIGN_IN_CODES.has(err.code)) return false;
  signInHandler(err);
  return true;
}

function fail(err: unknown, options: { silent?: boolean; signInOn401?: boolean }): never {
  if (!toSignIn(err, options.signInOn401) && !options.silent) notifyError(err);
  throw err;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || options.body instanceof Blob) {
      body = options.body;
    } else {
      body = JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query, options.base), {
      method: options.method ?? 'GET',
      headers,
      body,
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    return fail(new ApiError(0, 'NETWORK', t('errors.network')), options);
  }
  const text = await res.text();
  if (!res.ok) return fail(toApiError(res.status, res.statusText, text, res.headers.get('retry-after')), options);
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fail(new ApiError(res.status, 'BAD_RESPONSE', t('errors.badResponse')), options);
  }
}

/** What a conditional GET answers: the body and its new ETag, or that it has not changed since `etag`. */
export type Revalidated<T> = { changed: true; body: T; etag: string | null } | { changed: false };

/**
 * A GET that sends `If-None-Match: etag` (when given) and reads a 304 as "not changed", for feeds polled every few
 * seconds; otherwise it behaves like request(). The browser's own cache is bypassed so a 304 always reaches here.
 */
export async function revalidate<T>(path: string, etag: string | null, options: Pick<RequestOptions, 'query' | 'signal' | 'silent'> = {}): Promise<Revalidated<T>> {
  const headers: Record<string, string> = { Accept: 'application/json, application/geo+json' };
  if (etag) headers['If-None-Match'] = etag;
  let res: Response;
  try {
    res = await fetch(apiUrl(path, options.query), { headers, signal: options.signal, cache: 'no-store' });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    return fail(new ApiError(0, 'NETWORK', t('errors.network')), options);
  }
  if (res.status === 304) return { changed: false };
  const text = await res.text();
  if (!res.ok) return fail(toApiError(res.status, res.statusText, text, res.headers.get('retry-after')), options);
  try {
    return { changed: true, body: JSON.parse(text) as T, etag: res.headers.get('etag') };
  } catch {
    return fail(new ApiError(res.status, 'BAD_RESPONSE', t('errors.badResponse')), options);
  }
}

export interface UploadOptions {
  query?: Query;
  headers?: Record<string, string>;
  contentType?: string;
  /** Called with the fraction sent, 0..1. */
  onProgress?: (fraction: number, loaded: number, total: number) => void;
  silent?: boolean;
}

export interface UploadHandle<T> {
  promise: Promise<T>;
  abort: () => void;
}

/**
 * POST a file as the raw request body. Uses XMLHttpRequest (not fetch) so the
 * browser reports upload progress.
 */
export function upload<T>(path: string, file: Blob, options: UploadOptions = {}): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('POST', apiUrl(path, options.query));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', options.contentType ?? 'application/octet-stream');
    for (const [k, v] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && options.onProgress) options.onProgress(e.total ? e.loaded / e.total : 1, e.loaded, e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1, file.size, file.size);
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(fail0(new ApiError(xhr.status, 'BAD_RESPONSE', t('errors.badResponse'))));
        }
      } else {
        reject(fail0(toApiError(xhr.status, xhr.statusText, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(fail0(new ApiError(0, 'NETWORK', t('errors.network'))));
    xhr.onabort = () => reject(new DOMException('Upload aborted', 'AbortError'));
    xhr.send(file);
  });
  function fail0(err: ApiError): ApiError {
    if (!toSignIn(err, undefined) && !options.silent) notifyError(err);
    return err;
  }
  return { promise, abort: () => xhr.abort() };
}
