// XLSX support for the spooler: a zip-bomb guard over the central directory and a streaming first-sheet → CSV converter.
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import ExcelJS from 'exceljs';
import { csvQuote } from './csv-header.ts';
import { SourceError } from './source-error.ts';

const MAX_ZIP_ENTRIES = 100_000;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
const BATCH_CHARS = 256 * 1024;

/** One entry of a zip central directory. */
export interface ZipEntry {
  /** Entry path inside the archive. */
  name: string;
  /** General-purpose flags (bit 0: encrypted, bit 3: data descriptor follows the data). */
  flags: number;
  /** Compression method (0 stored, 8 deflate). */
  method: number;
  /** Declared CRC-32 of the uncompressed data. */
  crc: number;
  /** Declared compressed size. */
  compressedSize: number;
  /** Declared uncompressed size. */
  uncompressedSize: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
}

/** What the central directory of a zip archive declares. */
export interface ZipSummary {
  /** Number of entries in the archive. */
  entries: number;
  /** Sum of the declared uncompressed sizes of all entries. */
  uncompressedBytes: number;
  /** Declared uncompressed size per entry name. */
  sizes: Map<string, number>;
  /** Entries in central-directory order. */
  list: ZipEntry[];
  /** Offset of the central directory (where the last entry must end). */
  centralDirectoryOffset: number;
  /** Size of the whole archive in bytes. */
  size: number;
}

/** Byte range [start, end) of one entry (local header, data and data descriptor) inside the archive. */
export interface ZipExtent {
  /** Entry path inside the archive. */
  name: string;
  /** Offset of the local header. */
  start: number;
  /** Offset just past the entry's data (and data descriptor). */
  end: number;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

function badXlsx(message: string, details: Record<string, unknown> = {}): SourceError {
  return new SourceError('BAD_XLSX', message, details);
}

const TRUNCATED_ZIP =
  'The .xlsx file is not a complete zip archive (its central directory is missing or cut off), so the upload is probably truncated ' +
  'or the file is not really an .xlsx. Open it in Excel or WPS, save it again as .xlsx and upload the whole file.';

const CORRUPT_ZIP =
  'The .xlsx file is corrupt: {what}. Open it in Excel or WPS (which can often repair it), save it again as .xlsx and upload again.';

function corrupt(what: string, details: Record<string, unknown> = {}): SourceError {
  return badXlsx(CORRUPT_ZIP.replace('{what}', what), details);
}

/** Reads the zip central directory (including ZIP64) of an archive of the given size without inflating anything. */
export async function inspectZip(fh: FileHandle, size: number): Promise<ZipSummary> {
  const tailLen = Math.min(size, 22 + 0xffff);
  const tail = await readAt(fh, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw badXlsx(TRUNCATED_ZIP, { reason: 'no end-of-central-directory record' });
  let entries = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAbs = size - tailLen + eocd - 20;
    const loc = locAbs >= 0 ? await readAt(fh, locAbs, 20) : Buffer.alloc(0);
    if (loc.length < 20 || loc.readUInt32LE(0) !== 0x07064b50) throw badXlsx(TRUNCATED_ZIP, { reason: 'bad ZIP64 locator' });
    const z64 = await readAt(fh, Number(loc.readBigUInt64LE(8)), 56);
    if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) throw badXlsx(TRUNCATED_ZIP, { reason: 'bad ZIP64 record' });
    entries = Number(z64.readBigUInt64LE(32));
    cdSize = Number(z64.readBigUInt64LE(40));
    cdOffset = Number(z64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > size) throw badXlsx(TRUNCATED_ZIP, { reason: 'central directory beyond end of file' });
  if (entries > MAX_ZIP_ENTRIES || cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw badXlsx(
      `The .xlsx archive declares ${entries} entries, far more than any real workbook; it was rejected as unsafe. Save the data as CSV and upload that instead.`,
      { entries },
    );
  }
  const cd = await readAt(fh, cdOffset, cdSize);
  const sizes = new Map<string, number>();
  const list: ZipEntry[] = [];
  let total = 0;
  let p = 0;
  for (let e = 0; e < entries; e++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw badXlsx(TRUNCATED_ZIP, { reason: 'corrupt central directory' });
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw badXlsx(TRUNCATED_ZIP, { reason: 'corrupt central directory' });
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    // ZIP64 extended information (extra field 0x0001) holds, in this order, whichever of these overflowed 32 bits.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const sz = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let f = x + 4;
        const fEnd = Math.min(f + sz, xEnd);
        const next = (): number => {
          if (f + 8 > fEnd) throw badXlsx(TRUNCATED_ZIP, { reason: 'bad ZIP64 extra field' });
          const v = Number(cd.readBigUInt64LE(f));
          f += 8;
          return v;
        };
        if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
        break;
      }
      x += 4 + sz;
    }
    sizes.set(entry.name, entry.uncompressedSize);
    list.push(entry);
    total += entry.uncompressedSize;
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, uncompressedBytes: total, sizes, list, centralDirectoryOffset: cdOffset, size };
}

/**
 * Inflates every entry once and checks its CRC-32, size and layout against the central directory, so exceljs (whose
 * streaming unzipper can hang instead of failing on corrupt deflate data) only ever sees a consistent archive; the real
 * inflated size is capped at limitBytes regardless of what the headers claim.
 */
export async function verifyZip(path: string, fh: FileHandle, zip: ZipSummary, limitBytes: number): Promise<ZipExtent[]> {
  const entries = [...zip.list].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const extents: ZipExtent[] = [];
  let expectedOffset = 0;
  let inflatedTotal = 0;
  for (const e of entries) {
    const where = { entry: e.name };
    if (e.flags & 1) {
      throw badXlsx('The .xlsx file is encrypted (password-protected). Remove the password in Excel or WPS, save as .xlsx and upload again.', where);
    }
    if (e.method !== 0 && e.method !== 8) {
      throw badXlsx(
        `The .xlsx file uses an unsupported zip compression method (${e.method}) for "${e.name}". Save it again from Excel or WPS as a normal .xlsx and upload again.`,
        { ...where, method: e.method },
      );
    }
    if (e.localHeaderOffset !== expectedOffset) throw corrupt(`unexpected data before the entry "${e.name}"`, where);
    const lh = await readAt(fh, e.localHeaderOffset, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) throw corrupt(`the local header of "${e.name}" is damaged`, where);
    const nameLen = lh.readUInt16LE(26);
    const localName = await readAt(fh, e.localHeaderOffset + 30, nameLen);
    if (localName.toString('utf8') !== e.name) throw corrupt(`the local header of "${e.name}" does not match the central directory`, where);
    const dataStart = e.localHeaderOffset + 30 + nameLen + lh.readUInt16LE(28);
    const dataEnd = dataStart + e.compressedSize;
    if (dataEnd > zip.centralDirectoryOffset) throw corrupt(`the entry "${e.name}" runs past the end of the data`, where);
    let crc = 0;
    let inflated = 0;
    const count = async function (source: AsyncIterable<Buffer>): Promise<void> {
      for await (const chunk of source) {
        crc = crc32(chunk, crc);
        inflated += chunk.length;
        if (inflatedTotal + inflated > limitBytes) {
          throw new SourceError(
            'BODY_TOO_LARGE',
            `The workbook expands to more than ${limitBytes} bytes when unzipped, which exceeds the limit. Export the data as CSV UTF-8, or split the workbook, and upload again.`,
            { limitBytes, entry: e.name },
          );
        }
      }
    };
    if (e.compressedSize > 0) {
      const raw = createReadStream(path, { start: dataStart, end: dataEnd - 1 });
      try {
        if (e.method === 8) await pipeline(raw, createInflateRaw(), count);
        else await pipeline(raw, count);
      } catch (err) {
        if (err instanceof SourceError) throw err;
        throw corrupt(`the compressed data of "${e.name}" is damaged (${err instanceof Error ? err.message : String(err)})`, where);
      }
    }
    if (inflated !== e.uncompressedSize || crc >>> 0 !== e.crc >>> 0) throw corrupt(`the entry "${e.name}" fails its checksum`, where);
    inflatedTotal += inflated;
    expectedOffset = dataEnd;
    if (e.flags & 8) {
      // Data descriptor: optional signature, CRC-32, then 32- or 64-bit sizes.
      const dd = await readAt(fh, dataEnd, 24);
      const o = dd.length >= 4 && dd.readUInt32LE(0) === 0x08074b50 ? 4 : 0;
      if (dd.length < o + 12 || dd.readUInt32LE(o) >>> 0 !== e.crc >>> 0) throw corrupt(`the data descriptor of "${e.name}" is damaged`, where);
      const small = dd.readUInt32LE(o + 4) === e.compressedSize && dd.readUInt32LE(o + 8) === e.uncompressedSize;
      expectedOffset = dataEnd + o + (small ? 12 : 20);
    }
    extents.push({ name: e.name, start: e.localHeaderOffset, end: expectedOffset });
  }
  if (expectedOffset !== zip.centralDirectoryOffset) throw corrupt('there is unexpected data between the last entry and the central directory', {});
  return extents;
}

function entryRank(name: string): number {
  if (name === '[Content_Types].xml' || name === '_rels/.rels') return 0;
  if (name === 'xl/_rels/workbook.xml.rels') return 1;
  if (name === 'xl/workbook.xml') return 2;
  if (name === 'xl/styles.xml') return 3;
  if (name === 'xl/sharedStrings.xml') return 4;
  if (name.startsWith('xl/worksheets/')) return 6;
  return 5;
}

/**
 * Streams a verified archive with its entries reordered (relationships, workbook, styles and shared strings before the
 * worksheets, then the original central directory), so exceljs's sequential reader parses every sheet directly with
 * names, styles (dates) and strings known, instead of staging sheets in os.tmpdir() or tripping over the entry order.
 */
export function orderedXlsxStream(path: string, zip: ZipSummary, extents: ZipExtent[]): Readable {
  const parts = [...extents].sort((a, b) => entryRank(a.name) - entryRank(b.name) || a.start - b.start);
  async function* bytes(): AsyncGenerator<Buffer> {
    for (const p of parts) if (p.end > p.start) yield* createReadStream(path, { start: p.start, end: p.end - 1 });
    if (zip.size > zip.centralDirectoryOffset) yield* createReadStream(path, { start: zip.centralDirectoryOffset, end: zip.size - 1 });
  }
  return Readable.from(bytes(), { objectMode: false });
}

/** Options for {@link xlsxToCsv}. */
export interface XlsxToCsvOptions {
  /** Worksheet name to convert; the first worksheet (workbook order) when omitted. */
  sheet?: string;
  /** Longest allowed CSV record in bytes (LINE_TOO_LONG beyond). */
  maxLineBytes: number;
  /** Largest allowed CSV output in bytes (BODY_TOO_LARGE beyond). */
  maxOutputBytes: number;
  /** Aborts the conversion between rows. */
  signal?: AbortSignal;
  /** Set when the input (see orderedXlsxStream) guarantees shared strings, styles and the workbook precede the worksheets. */
  orderedInput?: boolean;
  /** Appends UTF-8 CSV text to the output and resolves with the number of bytes written. */
  write(text: string): Promise<number>;
}

/** What {@link xlsxToCsv} produced. */
export interface XlsxToCsvResult {
  /** Header cells (the first non-empty row, trailing empty cells dropped). */
  header: string[];
  /** Number of data rows written (empty rows are skipped). */
  rows: number;
  /** Name of the worksheet that was converted. */
  sheet: string;
}

interface ReaderInternals {
  sharedStrings?: unknown[];
  model?: { sheets?: Array<{ name?: string }> };
  properties?: { model?: { date1904?: boolean } };
  stream?: { destroy?: () => void };
}

interface SheetInternals {
  name?: string;
  iterator?: { destroy?: () => void; on?: (event: 'error', listener: () => void) => unknown };
}

function columnLetter(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

function expandExponent(s: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const exp = Number(m[4]);
  if (exp < -30 || exp > 30) return s; // absurd magnitudes keep exponent notation, which DuckDB still parses
  const digits = m[2] + (m[3] ?? '');
  const point = m[2].length + exp;
  if (point <= 0) return `${m[1]}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return m[1] + digits + '0'.repeat(point - digits.length);
  return `${m[1]}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Formats a number as a plain shortest round-trip decimal (no exponent for magnitudes between 1e-30 and 1e30). */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '';
  if (x === 0) return '0';
  const s = String(x);
  return s.includes('e') ? expandExponent(s) : s;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Formats a spreadsheet date (a naive wall-clock time stored as UTC) as YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.sss] when it has a time part, or HH:MM:SS for a time-only cell. */
export function formatDate(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) return '';
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const h = d.getUTCHours();
  const mi = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  const ms = d.getUTCMilliseconds();
  if (h === 0 && mi === 0 && s === 0 && ms === 0) return date;
  const time = `${pad(h)}:${pad(mi)}:${pad(s)}${ms ? `.${pad(ms, 3)}` : ''}`;
  // A time-only cell (serial below 1) sits on Excel's day zero, 1899-12-30: emit just the time of day.
  return date === '1899-12-30' ? time : `${date}T${time}`;
}

function isDateFormat(fmt: string | undefined): boolean {
  if (!fmt) return false;
  const stripped = fmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, '');
  return /[ymdhsb]/i.test(stripped) && !/^general$/i.test(stripped.trim());
}

function serialToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 86_400_000));
}

/** Turns an exceljs cell value into CSV text: dates as ISO, numbers as plain decimals, rich text joined, formulas as their cached result, hyperlinks as their text, errors and empties as ''. */
export function formatCellValue(value: ExcelJS.CellValue, numFmt?: string, date1904 = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return formatDate(value);
  if ('richText' in value) return value.richText.map((r) => r.text ?? '').join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const r = value.result;
    if (typeof r === 'number' && isDateFormat(numFmt)) return formatDate(serialToDate(r, date1904));
    return r === undefined ? '' : formatCellValue(r, numFmt, date1904);
  }
  if ('hyperlink' in value) return formatCellValue(value.text as ExcelJS.CellValue, numFmt, date1904);
  return ''; // { error: '#N/A' } and unresolved shared strings carry no usable value
}

/** Streams one worksheet of an .xlsx file (read with exceljs WorkbookReader) as RFC 4180 CSV through opts.write. */
export async function xlsxToCsv(input: string | Readable, opts: XlsxToCsvOptions): Promise<XlsxToCsvResult> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // needed to recognise date-formatted numbers
    hyperlinks: 'ignore', // a hyperlink cell then reads as its display text
    entries: 'ignore',
  });
  const internals = reader as unknown as ReaderInternals;
  // exceljs parses a worksheet in place only once shared strings exist; a workbook without xl/sharedStrings.xml would
  // otherwise stage every sheet in a temp file. Safe only when the input order guarantees that file comes first if present.
  if (opts.orderedInput && internals.sharedStrings === undefined) internals.sharedStrings = [];
  let result: XlsxToCsvResult | null = null;
  let pickedUnnamed = false;
  let seen = 0;
  let ownFailure = false;
  const write = async (text: string): Promise<number> => {
    try {
      return await opts.write(text);
    } catch (e) {
      ownFailure = true;
      throw e;
    }
  };
  // A failure inside the chosen sheet is remembered while the remaining sheets are skipped, so exceljs still runs the
  // clean-up of the temp files it made for deferred sheets.
  let failure: { error: unknown } | null = null;
  try {
    for await (const ws of reader) {
      const sheet = ws as unknown as SheetInternals;
      const name = sheet.name ?? `Sheet${seen + 1}`;
      const names = (internals.model?.sheets ?? []).map((x) => x.name);
      // Default: the first sheet in workbook order; if exceljs could not resolve names, the first sheet it yields.
      const wanted = opts.sheet ?? (names.includes(name) ? names[0] : undefined);
      const isTarget =
        result === null && failure === null && (wanted !== undefined ? name === wanted : opts.sheet === undefined && !pickedUnnamed);
      if (isTarget && wanted === undefined) pickedUnnamed = true;
      seen++;
      if (isTarget) {
        const staged = typeof sheet.iterator?.destroy === 'function'; // exceljs staged this sheet in a temp file
        try {
          result = await convertSheet(ws, name, internals.properties?.model?.date1904 === true, opts, write);
        } catch (error) {
          failure = { error };
        }
        // Parsed in place (the normal case with ordered input): nothing to clean up, so stop reading the archive.
        if (!staged || opts.signal?.aborted) break;
        if (failure === null) continue;
      }
      // Release the temp-file stream exceljs opened for this sheet; the listener keeps a late open error
      // (the file is unlinked right after) from becoming an uncaught exception.
      sheet.iterator?.on?.('error', () => {});
      sheet.iterator?.destroy?.();
    }
    if (failure !== null) throw failure.error;
  } catch (e) {
    if (e instanceof SourceError || ownFailure || opts.signal?.aborted) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw badXlsx(
      `The .xlsx file could not be read (${reason}). It may be corrupt, password-protected or not really an .xlsx; ` +
        'open it in Excel or WPS, save it again as .xlsx (or export CSV UTF-8) and upload again.',
      { reason },
    );
  } finally {
    internals.stream?.destroy?.();
  }
  if (result === null) {
    const names = (internals.model?.sheets ?? []).map((s) => s.name).filter((s): s is string => typeof s === 'string');
    if (opts.sheet !== undefined) {
      throw badXlsx(
        `The workbook has no worksheet named "${opts.sheet}". Available worksheets: ${names.map((s) => `"${s}"`).join(', ') || '(none)'}. Pass one of these names.`,
        { sheet: opts.sheet, sheets: names },
      );
    }
    throw badXlsx('The workbook contains no worksheet. Add the data to a worksheet, save as .xlsx and upload again.', { sheets: names });
  }
  return result;
}

async function convertSheet(
  ws: ExcelJS.stream.xlsx.WorksheetReader,
  name: string,
  date1904: boolean,
  opts: XlsxToCsvOptions,
  write: (text: string) => Promise<number>,
): Promise<XlsxToCsvResult> {
  let header: string[] | null = null;
  let ncols = 0;
  let rows = 0;
  let batch = '';
  let outBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch === '') return;
    outBytes += await write(batch);
    batch = '';
    if (outBytes > opts.maxOutputBytes) {
      throw new SourceError(
        'BODY_TOO_LARGE',
        `Worksheet "${name}" expands to more than ${opts.maxOutputBytes} bytes of CSV, which exceeds the limit. ` +
          'Split the worksheet into several files or ask an administrator to raise the upload limit.',
        { limitBytes: opts.maxOutputBytes, sheet: name },
      );
    }
  };
  for await (const row of ws as unknown as AsyncIterable<ExcelJS.Row>) {
    const count = row.cellCount;
    const cells: string[] = new Array<string>(count);
    let last = 0;
    for (let c = 1; c <= count; c++) {
      const cell = row.getCell(c);
      const v = formatCellValue(cell.value, cell.numFmt, date1904);
      cells[c - 1] = v;
      if (v !== '') last = c;
    }
    if (last === 0) continue; // empty row
    if (header === null) {
      header = cells.slice(0, last);
      ncols = last;
    } else if (last > ncols) {
      throw badXlsx(
        `Row ${row.number} of worksheet "${name}" has a value in column ${columnLetter(last)}, to the right of the last header column ` +
          `${columnLetter(ncols)}. Add a header for that column in the first row or delete the stray value, then upload again.`,
        { sheet: name, row: row.number, column: columnLetter(last) },
      );
    } else {
      cells.length = ncols;
      rows++;
    }
    let line = '';
    for (let c = 0; c < ncols; c++) line += (c ? ',' : '') + csvQuote(cells[c] ?? '');
    line += '\n';
    if (line.length * 3 > opts.maxLineBytes && Buffer.byteLength(line) - 1 > opts.maxLineBytes) {
      throw new SourceError(
        'LINE_TOO_LONG',
        `Row ${row.number} of worksheet "${name}" becomes a CSV record longer than the limit of ${opts.maxLineBytes} bytes. ` +
          'Shorten the longest cells (e.g. move long text elsewhere) or ask an administrator to raise the line limit.',
        { sheet: name, row: row.number, limitBytes: opts.maxLineBytes },
      );
    }
    batch += line;
    if (batch.length >= BATCH_CHARS) {
      opts.signal?.throwIfAborted();
      await flush();
    }
  }
  await flush();
  if (header === null) {
    throw new SourceError(
      'EMPTY_BODY',
      `Worksheet "${name}" contains no data. Put the column names in the first non-empty row and the records below, or choose another worksheet.`,
      { sheet: name },
    );
  }
  return { header, rows, sheet: name };
}
