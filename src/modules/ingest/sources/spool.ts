// Spools an uploaded body (HTTP stream or file stream) to a temporary file that DuckDB's parallel readers can scan:
// CSV → UTF-8 CSV, JSON array → NDJSON, XLSX → UTF-8 CSV, NDJSON and Parquet copied after validation.
// Memory stays bounded: bytes are validated and written chunk by chunk, never buffered whole.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCsvHeader, sniffDelimiter } from './csv-header.ts';
import { findInvalidGb18030, looksLikeUtf8, Utf8StreamValidator } from './encoding.ts';
import { JsonArraySplitter } from './json-array.ts';
import { SourceError } from './source-error.ts';
import { inspectZip, orderedXlsxStream, verifyZip, xlsxToCsv, type ZipExtent, type ZipSummary } from './xlsx.ts';

export { SourceError } from './source-error.ts';
export type { SourceErrorCode } from './source-error.ts';

/** Input formats the spooler accepts. */
export type SourceFormat = 'csv' | 'ndjson' | 'json' | 'parquet' | 'xlsx';

/** A spooled temporary file ready for DuckDB (read_csv / read_json / read_parquet) plus what was learned while writing it. */
export interface SpoolResult {
  /** Absolute path of the temporary file (random name inside opts.dir). */
  path: string;
  /** Format of the file at `path`: CSV is always UTF-8 without BOM, NDJSON has one compact object per line. */
  format: 'csv' | 'ndjson' | 'parquet';
  /** Detected text encoding of the source (csv: utf-8 or gb18030, ndjson/json: utf-8); null for parquet and xlsx. */
  encoding: 'utf-8' | 'gb18030' | null;
  /** Bytes read from the input. */
  bytesIn: number;
  /** CSV header cells (csv/xlsx), parsed with RFC 4180 quoting; null for ndjson/parquet. */
  header: string[] | null;
  /**
   * Number of data records: ndjson = non-empty lines, json = objects, xlsx = non-empty rows below the header; csv = non-empty
   * physical lines minus the header line (exact unless fields contain quoted line breaks, which are counted as extra lines).
   */
  lines: number | null;
  /** Deletes the temporary file (idempotent). */
  cleanup(): Promise<void>;
}

/** Options for {@link spoolSource}. */
export interface SpoolOptions {
  /** Declared format of the input. */
  format: SourceFormat;
  /** Directory for temporary files (created if missing). */
  dir: string;
  /** Maximum number of input bytes; more fails with BODY_TOO_LARGE (413) as soon as the limit is crossed. */
  maxBytes: number;
  /** Maximum bytes of one CSV/NDJSON line (excluding its line break), JSON object or XLSX row as CSV; more fails with LINE_TOO_LONG (413). */
  maxLineBytes: number;
  /** XLSX only: the worksheet to import (default: the first worksheet in workbook order). */
  sheet?: string;
  /** Aborts reading and writing; the promise then rejects with signal.reason and the temp file is removed. */
  signal?: AbortSignal;
}

const HEAD_BYTES = 64 * 1024;
const STAGING_BYTES = 1024 * 1024;
const READ_AHEAD_BYTES = 1024 * 1024;
const DECODE_SLICE_BYTES = 64 * 1024; // Node's ICU-backed TextDecoder is ~2x slower on larger inputs
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const XLSX_EXPANSION_RATIO = 32;
const XLSX_MIN_EXPANDED_LIMIT = 256 * 1024 * 1024;
const XLSX_MAX_SHARED_STRINGS = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------------
// Input

interface NodeStreamLike {
  on(event: string, listener: (arg: unknown) => void): unknown;
  removeListener(event: string, listener: (arg: unknown) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

function isNodeStream(x: unknown): x is NodeStreamLike {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s.on === 'function' && typeof s.removeListener === 'function' && typeof s.pause === 'function' && typeof s.resume === 'function';
}

/**
 * Reads a Node stream with 'data' events and pause/resume instead of its async iterator, so that on failure the spooler
 * can simply detach and leave the stream paused and intact: destroying an HTTP request would also kill the socket the
 * 413/400 answer must go out on. The caller decides whether to drain (resume) or destroy it.
 */
class StreamPuller {
  private readonly queue: Array<Uint8Array | string> = [];
  private queuedBytes = 0;
  private paused = true;
  private ended = false;
  private failed: { error: unknown } | null = null;
  private wake: (() => void) | null = null;
  private detached = false;

  constructor(private readonly stream: NodeStreamLike) {
    if ((stream as { readableEnded?: unknown }).readableEnded === true) this.ended = true;
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onClose);
    stream.pause();
  }

  private readonly onData = (chunk: unknown): void => {
    const c = chunk as Uint8Array | string;
    this.queue.push(c);
    this.queuedBytes += c.length;
    // Keep the source flowing (reads overlap with validation and writes) until READ_AHEAD_BYTES are queued.
    if (this.queuedBytes >= READ_AHEAD_BYTES && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (error: unknown): void => {
    this.failed ??= { error };
    this.notify();
  };
  private readonly onClose = (): void => {
    if (!this.ended) this.failed ??= { error: new Error('The input stream closed before the upload was complete (the client probably disconnected).') };
    this.notify();
  };

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(): Promise<Uint8Array | string | null> {
    for (;;) {
      const c = this.queue.shift();
      if (c !== undefined) {
        this.queuedBytes -= c.length;
        if (this.paused && !this.ended && !this.detached && this.queuedBytes < READ_AHEAD_BYTES) {
          this.paused = false;
          this.stream.resume();
        }
        return c;
      }
      if (this.failed) throw this.failed.error;
      if (this.ended) return null;
      const woken = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      if (this.paused) {
        this.paused = false;
        this.stream.resume();
      }
      await woken;
    }
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.stream.removeListener('data', this.onData);
    this.stream.removeListener('end', this.onEnd);
    this.stream.removeListener('error', this.onError);
    this.stream.removeListener('close', this.onClose);
    if (!this.ended) {
      this.paused = true;
      this.stream.pause();
      // A late error on an abandoned stream must not become an uncaught exception; the caller's own listeners still see it.
      this.stream.on('error', () => {});
    }
  }
}

/** Pulls Buffers from the input, enforcing maxBytes and honouring the abort signal even while the source is stalled. */
class ChunkSource {
  bytesIn = 0;
  private readonly puller: StreamPuller | null = null;
  private readonly it: AsyncIterator<Uint8Array | string> | null = null;
  private done = false;

  constructor(
    input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
    private readonly maxBytes: number,
    private readonly signal?: AbortSignal,
  ) {
    if (isNodeStream(input)) this.puller = new StreamPuller(input);
    else this.it = (input as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  }

  /**
   * Waits for a chunk, or rejects when the signal aborts first. The abort listener lives for this one wait only:
   * racing every read against one long-lived promise would pile up reactions that keep every chunk alive.
   */
  private untilAborted<T>(p: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private async pull(): Promise<Uint8Array | string | null> {
    if (this.puller) return this.puller.next();
    const r = await (this.it as AsyncIterator<Uint8Array | string>).next();
    return r.done ? null : r.value;
  }

  /** Next chunk, or null at the end of input. */
  async next(): Promise<Buffer | null> {
    if (this.done) return null;
    this.signal?.throwIfAborted();
    const p = this.pull();
    p.catch(() => {});
    const v = await this.untilAborted(p);
    if (v === null) {
      this.done = true;
      return null;
    }
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    this.bytesIn += b.length;
    if (this.bytesIn > this.maxBytes) {
      this.close();
      throw new SourceError(
        'BODY_TOO_LARGE',
        `The upload is larger than the limit of ${this.maxBytes} bytes (reading stopped after ${this.bytesIn} bytes). ` +
          'Split the data into smaller files, or ask an administrator to raise the size limit.',
        { limitBytes: this.maxBytes, bytesRead: this.bytesIn },
      );
    }
    return b;
  }

  /** Reads until at least `target` bytes (or the end) are available and returns them as one buffer. */
  async head(target: number): Promise<{ head: Buffer; ended: boolean }> {
    const parts: Buffer[] = [];
    let total = 0;
    while (total < target) {
      const c = await this.next();
      if (c === null) return { head: Buffer.concat(parts, total), ended: true };
      parts.push(c);
      total += c.length;
    }
    return { head: parts.length === 1 ? parts[0] : Buffer.concat(parts, total), ended: false };
  }

  /**
   * Stops reading: a Node stream is detached and left paused for the caller (drain or destroy it); any other async
   * iterable gets return() so generators run their clean-up.
   */
  close(): void {
    this.done = true;
    this.puller?.detach();
    if (this.it) {
      const it = this.it;
      Promise.resolve()
        .then(() => it.return?.())
        .catch(() => {});
    }
    this.dispose();
  }

  /** Detaches, at the end of a Node stream, the stream listeners. */
  dispose(): void {
    this.puller?.detach();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Output

async function writeFully(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await fh.write(buf, done, length - done, position + done);
    done += bytesWritten;
  }
}

/** Temp-file writer with two 1 MiB staging buffers: one fills while the other is written, giving back-pressure by awaiting. */
class FileSink {
  private readonly bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(STAGING_BYTES), Buffer.allocUnsafe(STAGING_BYTES)];
  private cur = 0;
  private len = 0;
  private position = 0;
  private inflight: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async create(dir: string, ext: string, files: string[]): Promise<FileSink> {
    const path = join(resolve(dir), `spool-${randomUUID()}${ext}`);
    const fh = await open(path, 'wx+', 0o600);
    files.push(path);
    return new FileSink(path, fh);
  }

  async write(b: Buffer): Promise<void> {
    if (b.length === 0) return;
    if (b.length > STAGING_BYTES / 2) {
      // Large chunk: flush what is staged (which fixes its file position) and write the chunk in place; positions are
      // explicit, so this may overlap the staged write still in flight.
      await this.flush();
      const pos = this.position;
      this.position += b.length;
      await writeFully(this.fh, b, b.length, pos);
      return;
    }
    if (this.len + b.length > STAGING_BYTES) await this.flush();
    b.copy(this.bufs[this.cur], this.len);
    this.len += b.length;
  }

  /** Encodes a string as UTF-8 into the output and returns a view of the bytes written (valid until the next write). */
  async writeString(s: string): Promise<Buffer> {
    const worst = s.length * 3;
    if (worst > STAGING_BYTES - this.len) await this.flush();
    if (worst > STAGING_BYTES) {
      const b = Buffer.from(s, 'utf8');
      await this.write(b);
      return b;
    }
    const buf = this.bufs[this.cur];
    const n = buf.write(s, this.len, 'utf8');
    const view = buf.subarray(this.len, this.len + n);
    this.len += n;
    return view;
  }

  private async flush(): Promise<void> {
    if (this.len === 0) return;
    if (this.inflight) await this.inflight;
    const p = writeFully(this.fh, this.bufs[this.cur], this.len, this.position);
    p.catch(() => {});
    this.inflight = p;
    this.position += this.len;
    this.cur ^= 1;
    this.len = 0;
  }

  /** Writes everything staged and waits for it to reach the file. */
  async drain(): Promise<void> {
    await this.flush();
    const p = this.inflight;
    this.inflight = null;
    if (p) await p;
  }

  /** Reads back bytes already drained to the file. */
  async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.drain();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
  }

  /** Closes the file after a failure, ignoring secondary errors. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.resolve(this.inflight).catch(() => {});
    await this.fh.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Line scanning

/**
 * Counts physical lines and non-empty lines with native Buffer.indexOf('\n') jumps and enforces the per-line byte limit;
 * no per-byte JavaScript runs, so quoted line breaks inside CSV fields are counted as line breaks (see README).
 */
class LineScanner {
  pos = 0;
  lineStart = 0;
  physLines = 0;
  nonEmpty = 0;
  private prevByte = -1;

  /** inputBias maps output offsets to input offsets (the skipped BOM length), or is null when they differ (transcoding). */
  constructor(
    private readonly maxLineBytes: number,
    private readonly kind: 'CSV' | 'NDJSON',
    private readonly inputBias: number | null,
  ) {}

  scan(buf: Buffer): void {
    const n = buf.length;
    if (n === 0) return;
    const base = this.pos;
    const max = this.maxLineBytes;
    let lineStart = this.lineStart;
    let nonEmpty = this.nonEmpty;
    let phys = this.physLines;
    let nl = buf.indexOf(LF);
    while (nl !== -1) {
      const abs = base + nl;
      const len = abs - lineStart;
      if (len > max) {
        this.physLines = phys;
        this.lineStart = lineStart;
        this.tooLong();
      }
      if (len > 1 || (len === 1 && (nl > 0 ? buf[nl - 1] : this.prevByte) !== CR)) nonEmpty++;
      phys++;
      lineStart = abs + 1;
      nl = buf.indexOf(LF, nl + 1);
    }
    this.lineStart = lineStart;
    this.nonEmpty = nonEmpty;
    this.physLines = phys;
    this.pos = base + n;
    this.prevByte = buf[n - 1];
    if (this.pos - lineStart > max) this.tooLong();
  }

  /** Accounts for a final line without a trailing line break. */
  finish(): void {
    if (this.pos > this.lineStart) {
      const len = this.pos - this.lineStart;
      if (len > 1 || this.prevByte !== CR) this.nonEmpty++;
      this.physLines++;
      this.lineStart = this.pos;
    }
  }

  /** Number of LF bytes in buf before index `end` (error path only). */
  static countLf(buf: Buffer, end: number): number {
    let c = 0;
    for (let i = buf.indexOf(LF); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) c++;
    return c;
  }

  private tooLong(): never {
    const line = this.physLines + 1;
    const hint =
      this.kind === 'CSV'
        ? 'Check that the file uses LF or CRLF line breaks (CR-only files from old Mac software look like one huge line) and that it really is CSV; ' +
          'otherwise shorten that line or ask an administrator to raise the line limit.'
        : 'Put exactly one JSON object on each line and keep each line under the limit, or ask an administrator to raise the line limit.';
    throw new SourceError(
      'LINE_TOO_LONG',
      `Line ${line} of the ${this.kind} data is longer than the limit of ${this.maxLineBytes} bytes. ${hint}`,
      this.inputBias === null
        ? { line, limitBytes: this.maxLineBytes }
        : { line, offset: this.lineStart + this.inputBias, limitBytes: this.maxLineBytes },
    );
  }
}

/** Returns the first non-blank CSV record of buf (RFC 4180 quotes may span lines); falls back to the first line when a quote never closes. */
function firstRecord(buf: Buffer, complete: boolean): string {
  const n = buf.length;
  let i = 0;
  while (i < n && (buf[i] === LF || (buf[i] === CR && buf[i + 1] === LF))) i += buf[i] === LF ? 1 : 2;
  let q = false;
  for (let j = i; j < n; j++) {
    const b = buf[j];
    if (b === QUOTE) q = !q;
    else if (b === LF && !q) return buf.toString('utf8', i, j);
  }
  if (complete && !q) return buf.toString('utf8', i, n);
  const nl = buf.indexOf(LF, i);
  return buf.toString('utf8', i, nl === -1 ? n : nl);
}

// ---------------------------------------------------------------------------------------------------------------------
// Format handlers

type FormatInfo = Pick<SpoolResult, 'format' | 'encoding' | 'header' | 'lines'>;

type Bom = 'utf-8' | 'gb18030' | 'utf-16' | 'utf-32' | null;

function sniffBom(b: Buffer): Bom {
  if (b.length >= 4 && ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff))) return 'utf-32';
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) return 'utf-16';
  if (b.length >= 4 && b[0] === 0x84 && b[1] === 0x31 && b[2] === 0x95 && b[3] === 0x33) return 'gb18030';
  return null;
}

function wideEncodingError(kind: string, bom: string): SourceError {
  return new SourceError(
    'BAD_ENCODING',
    `The ${kind} data is encoded as ${bom.toUpperCase()} (it starts with a ${bom.toUpperCase()} byte-order mark), which is not supported. ` +
      `Save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited)") and upload again.`,
    { offset: 0, encoding: bom },
  );
}

function binaryError(kind: string, head: Buffer): SourceError {
  const zip = head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
  const hint = zip
    ? 'It looks like a zip archive such as an Excel .xlsx file; upload it with format "xlsx" or export it as CSV UTF-8.'
    : 'It is probably UTF-16 text without a byte-order mark or a binary file; save it as UTF-8 text and upload again.';
  return new SourceError('BAD_ENCODING', `The ${kind} data contains NUL bytes near the start (byte offset ${head.indexOf(0)}). ${hint}`, {
    offset: head.indexOf(0),
  });
}

function emptyError(kind: string, extra = ''): SourceError {
  return new SourceError('EMPTY_BODY', `The ${kind} body is empty${extra}. Send the data in the request body (or pick a non-empty file) and try again.`, {});
}

async function spoolCsv(src: ChunkSource, opts: SpoolOptions, sink: FileSink): Promise<FormatInfo> {
  const { head, ended } = await src.head(HEAD_BYTES);
  if (head.length === 0) throw emptyError('CSV');
  const bom = sniffBom(head);
  if (bom === 'utf-16' || bom === 'utf-32') throw wideEncodingError('CSV', bom);
  let encoding: 'utf-8' | 'gb18030';
  let skip = 0;
  if (bom === 'utf-8') {
    encoding = 'utf-8';
    skip = 3;
  } else if (bom === 'gb18030') {
    encoding = 'gb18030';
    skip = 4;
  } else {
    const sample = head.subarray(0, HEAD_BYTES);
    if (sample.includes(0)) throw binaryError('CSV', sample);
    encoding = looksLikeUtf8(sample, ended && head.length <= HEAD_BYTES) ? 'utf-8' : 'gb18030';
  }
  const scanner = new LineScanner(opts.maxLineBytes, 'CSV', encoding === 'utf-8' ? skip : null);

  if (encoding === 'utf-8') {
    const v = new Utf8StreamValidator();
    const feed = async (chunk: Buffer, skipBytes: number): Promise<void> => {
      const base = v.offset;
      const bad = v.push(chunk);
      if (bad !== -1) {
        const line = scanner.physLines + 1 + LineScanner.countLf(chunk, bad - base);
        throw new SourceError(
          'BAD_ENCODING',
          bom === 'utf-8'
            ? `The CSV starts with a UTF-8 byte-order mark, but byte offset ${bad} (line ${line}) is not valid UTF-8. ` +
                'Part of the file is in another encoding; re-save the whole file as CSV UTF-8 and upload again.'
            : `The CSV is not valid UTF-8 at byte offset ${bad} (line ${line}). The first 64 KiB were valid UTF-8, so the file was read as UTF-8, ` +
                'but it probably mixes encodings (for example UTF-8 and GBK). Re-save the whole file in one encoding (CSV UTF-8 recommended) and upload again.',
          { offset: bad, line, encoding: 'utf-8' },
        );
      }
      const out = skipBytes ? chunk.subarray(skipBytes) : chunk;
      scanner.scan(out);
      await sink.write(out);
    };
    await feed(head, skip);
    for (let c = await src.next(); c !== null; c = await src.next()) await feed(c, 0);
    const bad = v.end();
    if (bad !== -1) {
      throw new SourceError(
        'BAD_ENCODING',
        `The CSV ends in the middle of a UTF-8 character (byte offset ${bad}); the upload is probably truncated. Upload the complete file again.`,
        { offset: bad, line: scanner.physLines + 1, encoding: 'utf-8' },
      );
    }
  } else {
    const decoder = new TextDecoder('gb18030', { fatal: true });
    // Bytes since the last LF (a GB18030 character never contains 0x0A), used only to pinpoint an invalid byte.
    let syncParts: Buffer[] = [];
    let syncOffset = skip;
    let offset = 0;
    const feed = async (chunk: Buffer, skipBytes: number): Promise<void> => {
      offset += skipBytes;
      // Decode in slices so each decoded string fits the sink's staging buffer (no large temporary Buffers).
      for (let i = skipBytes; i < chunk.length; i += DECODE_SLICE_BYTES) await feedSlice(chunk.subarray(i, i + DECODE_SLICE_BYTES));
    };
    const feedSlice = async (body: Buffer): Promise<void> => {
      const bodyOffset = offset;
      offset += body.length;
      let text: string;
      try {
        text = decoder.decode(body, { stream: true });
      } catch {
        const region = Buffer.concat([...syncParts, body]);
        const idx = findInvalidGb18030(region, false);
        const at = idx === -1 ? bodyOffset : syncOffset + idx;
        const line = scanner.physLines + 1 + (at > bodyOffset ? LineScanner.countLf(body, at - bodyOffset) : 0);
        throw new SourceError(
          'BAD_ENCODING',
          `The CSV is neither valid UTF-8 nor valid GB18030/GBK: ${idx === -1 ? 'near' : 'at'} byte offset ${at} (line ${line}) there is a byte sequence ` +
            'that is not a GB18030 character. Re-save the file as CSV UTF-8 and upload again.',
          { offset: at, line, encoding: 'gb18030' },
        );
      }
      const bytes = await sink.writeString(text);
      scanner.scan(bytes);
      const lf = body.lastIndexOf(LF);
      if (lf === -1) syncParts.push(Buffer.from(body));
      else {
        syncParts = [Buffer.from(body.subarray(lf + 1))];
        syncOffset = bodyOffset + lf + 1;
      }
    };
    await feed(head, skip);
    for (let c = await src.next(); c !== null; c = await src.next()) await feed(c, 0);
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw new SourceError(
        'BAD_ENCODING',
        `The CSV ends in the middle of a GB18030 character (byte offset ${offset}); the upload is probably truncated. Upload the complete file again.`,
        { offset, line: scanner.physLines + 1, encoding: 'gb18030' },
      );
    }
    if (rest) scanner.scan(await sink.writeString(rest));
  }

  scanner.finish();
  if (scanner.pos === 0) throw emptyError('CSV', ' (it contains only a byte-order mark)');
  if (scanner.nonEmpty === 0) throw emptyError('CSV', ' (it contains only blank lines)');
  // The header is re-read from the start of the output file instead of being buffered while streaming.
  await sink.drain();
  const want = Math.min(scanner.pos, Math.max(opts.maxLineBytes, HEAD_BYTES) + 2);
  const headerText = firstRecord(await sink.readAt(0, want), want === scanner.pos);
  const header = parseCsvHeader(headerText, sniffDelimiter(headerText));
  return { format: 'csv', encoding, header, lines: scanner.nonEmpty - 1 };
}

async function textHead(src: ChunkSource, kind: string): Promise<{ head: Buffer; skip: number }> {
  const { head } = await src.head(4);
  if (head.length === 0) throw emptyError(kind);
  const bom = sniffBom(head);
  if (bom === 'utf-16' || bom === 'utf-32') throw wideEncodingError(kind, bom);
  if (bom === 'gb18030') {
    throw new SourceError('BAD_ENCODING', `The ${kind} data is encoded as GB18030, but JSON must be UTF-8. Convert it to UTF-8 and upload again.`, {
      offset: 0,
      encoding: 'gb18030',
    });
  }
  const sample = head.subarray(0, HEAD_BYTES);
  if (sample.includes(0)) throw binaryError(kind, sample);
  return { head, skip: bom === 'utf-8' ? 3 : 0 };
}

function jsonUtf8Error(kind: string, offset: number, line?: number): SourceError {
  return new SourceError(
    'BAD_ENCODING',
    `The ${kind} data is not valid UTF-8 at byte offset ${offset}${line === undefined ? '' : ` (line ${line})`}; JSON must be UTF-8. ` +
      'Convert the file to UTF-8 (for example from GBK) and upload again.',
    line === undefined ? { offset, encoding: 'utf-8' } : { offset, line, encoding: 'utf-8' },
  );
}

async function spoolNdjson(src: ChunkSource, opts: SpoolOptions, sink: FileSink): Promise<FormatInfo> {
  const { head, skip } = await textHead(src, 'NDJSON');
  const v = new Utf8StreamValidator();
  const scanner = new LineScanner(opts.maxLineBytes, 'NDJSON', skip);
  const feed = async (chunk: Buffer, skipBytes: number): Promise<void> => {
    const base = v.offset;
    const bad = v.push(chunk);
    if (bad !== -1) throw jsonUtf8Error('NDJSON', bad, scanner.physLines + 1 + LineScanner.countLf(chunk, bad - base));
    const out = skipBytes ? chunk.subarray(skipBytes) : chunk;
    scanner.scan(out);
    await sink.write(out);
  };
  await feed(head, skip);
  for (let c = await src.next(); c !== null; c = await src.next()) await feed(c, 0);
  const bad = v.end();
  if (bad !== -1) throw jsonUtf8Error('NDJSON', bad, scanner.physLines + 1);
  scanner.finish();
  if (scanner.nonEmpty === 0) throw emptyError('NDJSON', ' (it contains no non-empty line)');
  return { format: 'ndjson', encoding: 'utf-8', header: null, lines: scanner.nonEmpty };
}

async function spoolJson(src: ChunkSource, opts: SpoolOptions, sink: FileSink): Promise<FormatInfo> {
  const { head, skip } = await textHead(src, 'JSON');
  const v = new Utf8StreamValidator();
  const splitter = new JsonArraySplitter(opts.maxLineBytes);
  splitter.offset = skip;
  const feed = async (chunk: Buffer, skipBytes: number): Promise<void> => {
    const bad = v.push(chunk);
    if (bad !== -1) throw jsonUtf8Error('JSON', bad);
    await sink.write(splitter.push(skipBytes ? chunk.subarray(skipBytes) : chunk));
  };
  await feed(head, skip);
  for (let c = await src.next(); c !== null; c = await src.next()) await feed(c, 0);
  const bad = v.end();
  if (bad !== -1) throw jsonUtf8Error('JSON', bad);
  splitter.end();
  if (splitter.elements === 0) {
    throw new SourceError('EMPTY_BODY', 'The JSON array is empty, so there are no records to import. Send at least one object.', {});
  }
  return { format: 'ndjson', encoding: 'utf-8', header: null, lines: splitter.elements };
}

/** Copies the input verbatim after checking its first bytes; returns the last 4 bytes written. */
async function copyRaw(src: ChunkSource, sink: FileSink, checkHead: (head: Buffer) => void): Promise<Buffer> {
  const { head } = await src.head(4);
  checkHead(head);
  let tail = Buffer.from(head.subarray(-4));
  await sink.write(head);
  for (let c = await src.next(); c !== null; c = await src.next()) {
    await sink.write(c);
    tail = c.length >= 4 ? Buffer.from(c.subarray(-4)) : Buffer.concat([tail, c]).subarray(-4);
  }
  return tail;
}

async function spoolParquet(src: ChunkSource, sink: FileSink): Promise<FormatInfo> {
  const tail = await copyRaw(src, sink, (head) => {
    if (head.length === 0) throw emptyError('Parquet');
    if (head.length < 4 || head.toString('latin1', 0, 4) !== 'PAR1') {
      throw new SourceError(
        'BAD_PARQUET',
        "The body is not a Parquet file: it does not start with the magic bytes 'PAR1'. Check the format parameter (csv, json, ndjson, xlsx?) or export the data as Parquet again.",
        { offset: 0, expected: 'PAR1' },
      );
    }
  });
  const magic = tail.toString('latin1');
  if (src.bytesIn < 12 || magic !== 'PAR1') {
    const encrypted = magic === 'PARE';
    throw new SourceError(
      'BAD_PARQUET',
      encrypted
        ? 'The Parquet file uses an encrypted footer (magic bytes PARE), which cannot be read. Export it without encryption and upload again.'
        : `The Parquet file does not end with the magic bytes 'PAR1' (size ${src.bytesIn} bytes), so it is truncated or corrupt. Upload the complete file again.`,
      { offset: Math.max(0, src.bytesIn - 4), expected: 'PAR1' },
    );
  }
  return { format: 'parquet', encoding: null, header: null, lines: null };
}

async function spoolXlsx(src: ChunkSource, opts: SpoolOptions, files: string[]): Promise<{ sink: FileSink; result: FormatInfo }> {
  const raw = await FileSink.create(opts.dir, '.xlsx', files);
  try {
    await copyRaw(src, raw, (head) => {
      if (head.length === 0) throw emptyError('XLSX');
      if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return;
      const ole = head.length >= 4 && head.readUInt32BE(0) === 0xd0cf11e0;
      throw new SourceError(
        'BAD_XLSX',
        ole
          ? 'The file is a legacy Excel .xls workbook or a password-protected .xlsx, which cannot be read. Open it in Excel or WPS, remove the password if any, save as .xlsx (or CSV UTF-8) and upload again.'
          : 'The body is not an .xlsx workbook (it is not a zip archive). Check the format parameter, or save the workbook as .xlsx and upload again.',
        { offset: 0 },
      );
    });
    await raw.close();
    const expandedLimit = Math.max(opts.maxBytes * XLSX_EXPANSION_RATIO, XLSX_MIN_EXPANDED_LIMIT);
    const fh = await open(raw.path, 'r');
    let zip: ZipSummary;
    let extents: ZipExtent[];
    try {
      zip = await inspectZip(fh, (await stat(raw.path)).size);
      if (!zip.sizes.has('xl/workbook.xml')) {
        throw new SourceError(
          'BAD_XLSX',
          'The zip archive is not an Excel workbook (xl/workbook.xml is missing); it may be a .docx, .ods or another zip file. Save the data as .xlsx and upload again.',
          { entries: zip.entries },
        );
      }
      const sharedStrings = zip.sizes.get('xl/sharedStrings.xml') ?? 0;
      if (zip.uncompressedBytes > expandedLimit || sharedStrings > XLSX_MAX_SHARED_STRINGS) {
        const limit = zip.uncompressedBytes > expandedLimit ? expandedLimit : XLSX_MAX_SHARED_STRINGS;
        throw new SourceError(
          'BODY_TOO_LARGE',
          `The workbook expands to ${zip.uncompressedBytes} bytes when unzipped${sharedStrings > XLSX_MAX_SHARED_STRINGS ? ` (${sharedStrings} bytes of text cells)` : ''}, ` +
            `more than the allowed ${limit} bytes. Export the data as CSV UTF-8, or split the workbook, and upload again.`,
          { limitBytes: limit, uncompressedBytes: zip.uncompressedBytes, sharedStringsBytes: sharedStrings },
        );
      }
      opts.signal?.throwIfAborted();
      extents = await verifyZip(raw.path, fh, zip, expandedLimit);
    } finally {
      await fh.close();
    }
    const csv = await FileSink.create(opts.dir, '.csv', files);
    try {
      const r = await xlsxToCsv(orderedXlsxStream(raw.path, zip, extents), {
        orderedInput: true,
        sheet: opts.sheet,
        maxLineBytes: opts.maxLineBytes,
        maxOutputBytes: expandedLimit,
        signal: opts.signal,
        write: async (text) => (await csv.writeString(text)).length,
      });
      await csv.close();
      return { sink: csv, result: { format: 'csv', encoding: null, header: r.header, lines: r.rows } };
    } catch (e) {
      await csv.abort();
      throw e;
    }
  } finally {
    await raw.abort();
    await rm(raw.path, { force: true });
    files.splice(files.indexOf(raw.path), 1);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Entry point

/**
 * Streams `input` into a temporary file in `opts.dir` that DuckDB can read in parallel, validating encoding, sizes and
 * structure on the way; throws SourceError (temp files removed) when the data is unusable.
 */
export async function spoolSource(input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, opts: SpoolOptions): Promise<SpoolResult> {
  if (!(opts.maxBytes > 0) || !(opts.maxLineBytes > 0)) throw new TypeError('spoolSource: maxBytes and maxLineBytes must be positive numbers');
  opts.signal?.throwIfAborted();
  await mkdir(opts.dir, { recursive: true });
  const src = new ChunkSource(input, opts.maxBytes, opts.signal);
  const files: string[] = [];
  let sink: FileSink | null = null;
  try {
    let partial: FormatInfo;
    if (opts.format === 'xlsx') {
      const r = await spoolXlsx(src, opts, files);
      sink = r.sink;
      partial = r.result;
    } else {
      const ext = opts.format === 'csv' ? '.csv' : opts.format === 'parquet' ? '.parquet' : '.ndjson';
      sink = await FileSink.create(opts.dir, ext, files);
      if (opts.format === 'csv') partial = await spoolCsv(src, opts, sink);
      else if (opts.format === 'ndjson') partial = await spoolNdjson(src, opts, sink);
      else if (opts.format === 'json') partial = await spoolJson(src, opts, sink);
      else if (opts.format === 'parquet') partial = await spoolParquet(src, sink);
      else throw new TypeError(`spoolSource: unknown format ${String(opts.format)}`);
      await sink.close();
    }
    const path = sink.path;
    return {
      path,
      ...partial,
      bytesIn: src.bytesIn,
      cleanup: () => rm(path, { force: true }),
    };
  } catch (e) {
    src.close();
    await sink?.abort();
    await Promise.all(files.map((f) => rm(f, { force: true }).catch(() => {})));
    throw e;
  } finally {
    src.dispose();
  }
}
