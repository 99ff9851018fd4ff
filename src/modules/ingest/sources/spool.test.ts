import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvQuote, parseCsvHeader, sniffDelimiter } from './csv-header.ts';
import { findInvalidUtf8, Utf8StreamValidator } from './encoding.ts';
import { SourceError, spoolSource, type SourceFormat, type SpoolResult } from './spool.ts';
import { formatDate, formatNumber } from './xlsx.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enc = new TextEncoder();
const MB = 1024 * 1024;

/** Yields `data` in chunks of 1, 2, 3, 1, 2, 3 … bytes so multi-byte characters straddle chunk boundaries. */
async function* tiny(data: Uint8Array): AsyncGenerator<Uint8Array> {
  let i = 0;
  let k = 0;
  while (i < data.length) {
    const n = (k++ % 3) + 1;
    yield data.slice(i, i + n);
    i += n;
  }
}

async function* whole(data: Uint8Array, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
}

function spool(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  format: SourceFormat,
  extra: { maxBytes?: number; maxLineBytes?: number; sheet?: string; signal?: AbortSignal } = {},
): Promise<SpoolResult> {
  return spoolSource(input, { format, dir, maxBytes: extra.maxBytes ?? 64 * MB, maxLineBytes: extra.maxLineBytes ?? MB, ...extra });
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SourceError);
    return e as SourceError;
  }
  throw new Error('expected a SourceError');
}

async function expectDirEmpty(): Promise<void> {
  expect(await readdir(dir)).toEqual([]);
}

async function text(r: SpoolResult): Promise<string> {
  return readFile(r.path, 'utf8');
}

// GBK / GB18030 byte sequences, checked against the decoder in the first test.
const GBK = {
  城市: [0xb3, 0xc7, 0xca, 0xd0],
  人口: [0xc8, 0xcb, 0xbf, 0xda],
  厦门: [0xcf, 0xc3, 0xc3, 0xc5],
  福州: [0xb8, 0xa3, 0xd6, 0xdd],
  思明区: [0xcb, 0xbc, 0xc3, 0xf7, 0xc7, 0xf8],
} as const;

function gbkBytes(parts: Array<string | readonly number[]>): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(...(typeof p === 'string' ? enc.encode(p) : p));
  return Uint8Array.from(out);
}

describe('csv-header', () => {
  it('parses RFC 4180 quoting and quotes values', () => {
    expect(parseCsvHeader('a,"b,c","d""e",\r\n')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(parseCsvHeader('名称;"人口;万"', ';')).toEqual(['名称', '人口;万']);
    expect(parseCsvHeader('')).toEqual(['']);
    expect(parseCsvHeader('"open')).toEqual(['open']);
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    expect(sniffDelimiter('"x;y",b,c')).toBe(',');
    expect(csvQuote('plain')).toBe('plain');
    expect(csvQuote('a,b')).toBe('"a,b"');
    expect(csvQuote('say "hi"')).toBe('"say ""hi"""');
    expect(csvQuote('two\nlines')).toBe('"two\nlines"');
  });
});

describe('utf-8 validator', () => {
  it('agrees with TextDecoder fatal on edge cases, byte by byte', () => {
    const cases = [
      [0xe4, 0xb8, 0xad], // 中
      [0xf0, 0x9f, 0x98, 0x80], // 😀
      [0xc0, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // surrogate
      [0xf4, 0x90, 0x80, 0x80], // > U+10FFFF
      [0x41, 0xe4, 0xb8], // truncated
      [0x80],
    ];
    for (const c of cases) {
      const bytes = Buffer.from(c);
      let ok = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        ok = false;
      }
      const v = new Utf8StreamValidator();
      let bad = -1;
      for (let i = 0; i < bytes.length && bad === -1; i++) bad = v.push(bytes.subarray(i, i + 1));
      if (bad === -1) bad = v.end();
      expect(bad === -1, `case ${bytes.toString('hex')}`).toBe(ok);
      expect(findInvalidUtf8(bytes) === -1).toBe(ok);
    }
  });

  it('formats numbers without exponent', () => {
    expect(formatNumber(1e-7)).toBe('0.0000001');
    expect(formatNumber(1.5e21)).toBe('1500000000000000000000');
    expect(formatNumber(-2.5e-8)).toBe('-0.000000025');
    expect(formatNumber(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatNumber(-0)).toBe('0');
    expect(formatDate(new Date(Date.UTC(1899, 11, 30, 8, 30)))).toBe('08:30:00');
    expect(formatDate(new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 500)))).toBe('2024-02-29T23:59:59.500');
  });
});

describe('spoolSource csv', () => {
  it('strips a UTF-8 BOM and reports header and record count', async () => {
    const body = '\uFEFF名称,"人口, 万",备注\r\n厦门,530,"含""引号"""\r\n福州,840,\r\n';
    const r = await spool(whole(enc.encode(body)), 'csv');
    expect(r.format).toBe('csv');
    expect(r.encoding).toBe('utf-8');
    expect(r.header).toEqual(['名称', '人口, 万', '备注']);
    expect(r.lines).toBe(2);
    expect(r.bytesIn).toBe(enc.encode(body).length);
    expect(await text(r)).toBe(body.slice(1));
    await r.cleanup();
    await expectDirEmpty();
  });

  it('detects GBK (GB18030) and transcodes to UTF-8, also when fed byte by byte', async () => {
    const gb = new TextDecoder('gb18030');
    expect(gb.decode(Uint8Array.from(GBK.厦门))).toBe('厦门');
    expect(gb.decode(Uint8Array.from(GBK.城市))).toBe('城市');
    expect(gb.decode(Uint8Array.from(GBK.思明区))).toBe('思明区');
    const bytes = gbkBytes([GBK.城市, ',', GBK.人口, ',\n', GBK.厦门, ',530,', GBK.思明区, '\n', GBK.福州, ',840,\n']);
    const expected = '城市,人口,\n厦门,530,思明区\n福州,840,\n';
    for (const input of [whole(bytes), tiny(bytes)]) {
      const r = await spool(input, 'csv');
      expect(r.encoding).toBe('gb18030');
      expect(await text(r)).toBe(expected);
      expect(r.header).toEqual(['城市', '人口', '']);
      expect(r.lines).toBe(2);
      await r.cleanup();
    }
    await expectDirEmpty();
  });

  it('keeps multi-byte characters intact when they are split across chunks', async () => {
    const body = 'city,emoji,note\n厦门,😀,"鼓浪屿\n(换行)"\n福州,𠀀,ok\n';
    const r = await spool(tiny(enc.encode(body)), 'csv');
    expect(r.encoding).toBe('utf-8');
    expect(await text(r)).toBe(body);
    expect(r.lines).toBe(3); // documented: lines counts physical lines, so the quoted line break counts once more
  });

  it('keeps byte order when small and large (> 512 KiB) chunks are mixed', async () => {
    const rows = Array.from({ length: 120_000 }, (_, i) => `${i},厦门企业_${i},"地址, ${i % 97}号"\n`);
    const bytes = enc.encode('id,名称,地址\n' + rows.join(''));
    const sizes = [10, 700_000, 3, 1_200_000, 65_536, 600_000, 1];
    async function* mixed(): AsyncGenerator<Uint8Array> {
      for (let i = 0, k = 0; i < bytes.length; k++) {
        const n = sizes[k % sizes.length];
        yield bytes.subarray(i, i + n);
        i += n;
      }
    }
    const r = await spool(mixed(), 'csv');
    expect(Buffer.compare(await readFile(r.path), Buffer.from(bytes))).toBe(0);
    expect(r.lines).toBe(rows.length);
    const nd = await spool(mixed(), 'ndjson');
    expect(Buffer.compare(await readFile(nd.path), Buffer.from(bytes))).toBe(0);
  });

  it('reads as a Node stream and is readable by DuckDB', async () => {
    const bytes = gbkBytes([GBK.城市, ',pop\n', GBK.厦门, ',5.3\n', GBK.福州, ',8.4\n']);
    const r = await spool(Readable.from([Buffer.from(bytes)]), 'csv');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT * FROM read_csv('${r.path}', header = true) ORDER BY pop`)).getRowObjectsJson();
      expect(rows).toEqual([
        { 城市: '厦门', pop: 5.3 },
        { 城市: '福州', pop: 8.4 },
      ]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('rejects a body over maxBytes with 413, stops reading and removes the temp file', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const chunk = enc.encode('a,b,c\n'.repeat(1000));
      for (;;) {
        pulled++;
        yield chunk;
      }
    }
    const e = await failure(spool(endless(), 'csv', { maxBytes: 100_000 }));
    expect(e.code).toBe('BODY_TOO_LARGE');
    expect(e.status).toBe(413);
    expect(e.details).toMatchObject({ limitBytes: 100_000 });
    expect(e.message).toMatch(/limit of 100000 bytes/);
    expect(pulled).toBe(17); // 17 × 6000 bytes is the first read over the limit
    await expectDirEmpty();
  });

  it('leaves a Node stream paused and intact after a failure so the caller can still answer', async () => {
    const chunk = Buffer.from('a,b,c\n'.repeat(10_000)); // 60 KB
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield chunk;
      })(),
    );
    const e = await failure(spool(stream, 'csv', { maxBytes: 200_000 }));
    expect(e.code).toBe('BODY_TOO_LARGE');
    expect(e.details).toMatchObject({ bytesRead: 240_000 });
    expect(stream.destroyed).toBe(false);
    expect(stream.isPaused()).toBe(true);
    let rest = 0;
    stream.on('data', (c: Buffer) => (rest += c.length));
    stream.resume(); // the caller can drain (or destroy) what the spooler did not read
    await new Promise((resolve) => stream.on('end', resolve));
    expect(rest).toBeGreaterThan(0);
    expect(rest).toBeLessThanOrEqual(100 * 60_000 - 240_000); // at most ~1 MiB read ahead is dropped
    expect(rest).toBeGreaterThanOrEqual(100 * 60_000 - 240_000 - 1024 * 1024 - 60_000);
    await expectDirEmpty();
  });

  it('rejects an over-long line with 413', async () => {
    const body = `a,b\n1,2\n${'x'.repeat(200)},3\n4,5\n`;
    const e = await failure(spool(whole(enc.encode(body), 7), 'csv', { maxLineBytes: 100 }));
    expect(e.code).toBe('LINE_TOO_LONG');
    expect(e.status).toBe(413);
    expect(e.details).toMatchObject({ line: 3, offset: 8, limitBytes: 100 });
    await expectDirEmpty();
    const nd = await failure(spool(whole(enc.encode(`{"a":1}\n{"b":"${'y'.repeat(200)}"}\n`)), 'ndjson', { maxLineBytes: 100 }));
    expect(nd.code).toBe('LINE_TOO_LONG');
    expect(nd.details).toMatchObject({ line: 2 });
    await expectDirEmpty();
  });

  it('fails with BAD_ENCODING naming the offset when invalid UTF-8 appears after the first 64 KiB', async () => {
    const row = 'id,name,城市\n';
    const lines = Math.ceil((70 * 1024) / enc.encode(row).length);
    const prefix = enc.encode(row.repeat(lines));
    const bytes = Buffer.concat([prefix, Buffer.from('9,bad,'), Buffer.from(GBK.厦门), Buffer.from('\n')]);
    const e = await failure(spool(whole(bytes, 4096), 'csv'));
    expect(e.code).toBe('BAD_ENCODING');
    expect(e.status).toBe(400);
    expect(e.details).toMatchObject({ offset: prefix.length + 6, line: lines + 1 });
    expect(e.message).toContain(`byte offset ${prefix.length + 6}`);
    await expectDirEmpty();
  });

  it('names the offset of a byte that is neither UTF-8 nor GB18030', async () => {
    const bytes = gbkBytes([GBK.城市, ',x\n', GBK.厦门, ',1\n', 'ab', [0x81, 0x20], '\n']);
    const e = await failure(spool(tiny(bytes), 'csv'));
    expect(e.code).toBe('BAD_ENCODING');
    expect(e.details).toMatchObject({ offset: 16, line: 3, encoding: 'gb18030' });
    expect(e.message).toMatch(/neither valid UTF-8 nor valid GB18030.*byte offset 16 \(line 3\)/);
    await expectDirEmpty();
  });

  it('rejects UTF-16 with a clear message', async () => {
    const e = await failure(spool(whole(Buffer.from('\uFEFFa,b\n', 'utf16le')), 'csv'));
    expect(e.code).toBe('BAD_ENCODING');
    expect(e.message).toMatch(/UTF-16.*UTF-8/);
    await expectDirEmpty();
  });

  it('takes the header from the first non-blank record, even with quoted line breaks', async () => {
    const r = await spool(tiny(enc.encode('\r\n"名\n称",b;c\r\n1,2\n\n3,4')), 'csv');
    expect(r.header).toEqual(['名\n称', 'b;c']);
    expect(r.lines).toBe(3); // non-empty physical lines minus the header line
    const open = await spool(whole(enc.encode('a,"b\n1,2\n')), 'csv');
    expect(open.header).toEqual(['a', 'b']); // unclosed quote: falls back to the first physical line
    const tabs = await spool(whole(enc.encode('x\ty\n1\t2')), 'csv');
    expect(tabs.header).toEqual(['x', 'y']);
    expect(tabs.lines).toBe(1);
  });

  it('honours an abort signal and removes the temp file', async () => {
    const ac = new AbortController();
    async function* stalled(): AsyncGenerator<Uint8Array> {
      yield enc.encode('a,b\n1,2\n');
      await new Promise(() => {}); // never resolves
    }
    setTimeout(() => ac.abort(), 20);
    await expect(spool(stalled(), 'csv', { signal: ac.signal })).rejects.toThrow(/abort/i);
    await expectDirEmpty();
  });
});

describe('spoolSource json / ndjson', () => {
  it('keeps memory flat for a large streamed body read under an abort signal', async () => {
    const line = Buffer.from(`${JSON.stringify({ id: 1, name: 'x'.repeat(100) })}\n`);
    const chunk = Buffer.concat(Array.from({ length: 512 }, () => line));
    const chunks = Math.ceil((160 * 2 ** 20) / chunk.length);
    const source = Readable.from((function* () {
      for (let i = 0; i < chunks; i++) yield Buffer.from(chunk);
    })());
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 20);
    const base = process.memoryUsage().arrayBuffers;
    const r = await spoolSource(source, { format: 'ndjson', dir, maxBytes: 1e10, maxLineBytes: 4096, signal: new AbortController().signal });
    clearInterval(timer);
    expect(r.lines).toBe(chunks * 512);
    // A body retained in memory would show as ~160 MiB of buffers.
    expect(peak - base).toBeLessThan(48 * 2 ** 20);
    await r.cleanup();
  });

  it('converts a JSON array to NDJSON streamingly', async () => {
    const body =
      '\uFEFF[\n  {"a": {"b": [1, 2, {"c": "x]y}"}]}, "s": "he said \\"[hi]\\" {\\\\"},\n' +
      '  {"n": 12345678901234567890, "t": "中文 \\u5ec8", "e": []}\n]\n';
    const r = await spool(tiny(enc.encode(body)), 'json');
    expect(r.format).toBe('ndjson');
    expect(r.lines).toBe(2);
    const out = await text(r);
    expect(out).toBe('{"a":{"b":[1,2,{"c":"x]y}"}]},"s":"he said \\"[hi]\\" {\\\\"}\n{"n":12345678901234567890,"t":"中文 \\u5ec8","e":[]}\n');
    const objs: unknown[] = out.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(objs[0]).toEqual({ a: { b: [1, 2, { c: 'x]y}' }] }, s: 'he said "[hi]" {\\' });
    expect(objs[1]).toMatchObject({ t: '中文 廈', e: [] });
  });

  it('rejects malformed arrays with MALFORMED_JSON and cleans up', async () => {
    const cases: Array<[string, RegExp, Record<string, unknown>]> = [
      ['[{"a":1},{"b":}]', /Object 2 .* not valid JSON/, { element: 2 }],
      ['[{"a":1},]', /trailing comma/, {}],
      ['[{"a":1} {"b":2}]', /missing comma/, { element: 1 }],
      ['[{"a":1},{"b":"x', /truncated/, {}],
      ['[1,2]', /not an object/, { element: 1 }],
      ['"text"', /array of objects/, { offset: 0 }],
      ['[{"a":1}] x', /after the end/, {}],
      ['[{"a": 1 2}]', /Object 1 .* not valid JSON/, { element: 1 }],
      ['[{"a": tr ue}]', /not valid JSON/, { element: 1 }],
    ];
    for (const [body, message, details] of cases) {
      const e = await failure(spool(whole(enc.encode(body), 3), 'json'));
      expect(e.code, body).toBe('MALFORMED_JSON');
      expect(e.status).toBe(400);
      expect(e.message).toMatch(message);
      expect(e.details).toMatchObject(details);
      await expectDirEmpty();
    }
  });

  it('round-trips random pretty-printed arrays', async () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const strs = ['', 'x', '厦门', 'a"b', 'back\\slash', '[{]}', 'line\nbreak', '😀', ' , : '];
    const value = (depth: number): unknown => {
      const k = rnd(depth > 2 ? 4 : 6);
      if (k === 0) return rnd(2) ? -rnd(1000) / 7 : rnd(1e6);
      if (k === 1) return strs[rnd(strs.length)];
      if (k === 2) return [true, false, null][rnd(3)];
      if (k === 3) return 1e-7 * rnd(10);
      if (k === 4) return Array.from({ length: rnd(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rnd(4) }, (_, i) => [`k${i}${strs[rnd(strs.length)]}`, value(depth + 1)]));
    };
    const objects = Array.from({ length: 300 }, () => ({ id: rnd(1e9), v: value(0), w: value(1) }));
    const body = JSON.stringify(objects, null, 2).replaceAll('\n', '\r\n');
    const r = await spool(whole(enc.encode(body), 97), 'json');
    const lines = (await text(r)).trimEnd().split('\n');
    expect(r.lines).toBe(objects.length);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(objects);
  });

  it('accepts a bare object sequence and rejects an empty array', async () => {
    const r = await spool(whole(enc.encode('{"a":1}\n{"a":2}')), 'json');
    expect(await text(r)).toBe('{"a":1}\n{"a":2}\n');
    expect((await failure(spool(whole(enc.encode(' [ ] ')), 'json'))).code).toBe('EMPTY_BODY');
  });

  it('passes NDJSON through and counts non-empty lines', async () => {
    const body = '{"a":1}\r\n\r\n{"a":"厦门"}\n{"a":3}';
    const r = await spool(tiny(enc.encode(body)), 'ndjson');
    expect(r.lines).toBe(3);
    expect(r.encoding).toBe('utf-8');
    expect(await text(r)).toBe(body);
  });
});

describe('spoolSource parquet / xlsx', () => {
  it('rejects bad parquet magic at the start and at the end', async () => {
    const head = await failure(spool(whole(enc.encode('id,name\n1,x\n')), 'parquet'));
    expect(head.code).toBe('BAD_PARQUET');
    expect(head.message).toMatch(/PAR1/);
    const tail = await failure(spool(whole(enc.encode('PAR1 some bytes but cut off')), 'parquet'));
    expect(tail.code).toBe('BAD_PARQUET');
    expect(tail.message).toMatch(/truncated/);
    await expectDirEmpty();
  });

  it('copies a real parquet file as is', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const src = join(dir, 'src.parquet');
    try {
      await conn.run(`COPY (SELECT range AS id, '厦门' AS city FROM range(1000)) TO '${src}' (FORMAT parquet)`);
      const bytes = await readFile(src);
      const r = await spool(whole(bytes, 1000), 'parquet');
      expect(r.format).toBe('parquet');
      expect(await readFile(r.path)).toEqual(bytes);
      const rows = (await conn.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet('${r.path}')`)).getRowObjectsJson();
      expect(rows).toEqual([{ n: 1000 }]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('converts the first worksheet of an xlsx to UTF-8 CSV', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('统计');
    ws.addRow(['城市', '人口', '日期', '备注', '时间']);
    ws.addRow(['厦门', 5_300_000.5, new Date(Date.UTC(2024, 0, 15)), null, new Date(Date.UTC(2024, 0, 15, 8, 30, 5))]);
    ws.addRow([
      { richText: [{ text: '福州, ' }, { text: '"省会"', font: { bold: true } }] },
      0.0000001,
      { formula: 'DATE(2023,12,31)', result: new Date(Date.UTC(2023, 11, 31)) },
      { text: '官网', hyperlink: 'https://www.xm.gov.cn' },
      null,
    ]);
    ws.addRow([]); // empty row is skipped
    ws.addRow(['泉州', { formula: '1+1', result: 2 }, null, '多\n行', true]);
    wb.addWorksheet('Other').addRow(['x', 'y']);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());

    const r = await spool(whole(bytes, 1000), 'xlsx');
    expect(r.format).toBe('csv');
    expect(r.header).toEqual(['城市', '人口', '日期', '备注', '时间']);
    expect(r.lines).toBe(3);
    expect(r.bytesIn).toBe(bytes.length);
    expect(await text(r)).toBe(
      '城市,人口,日期,备注,时间\n' +
        '厦门,5300000.5,2024-01-15,,2024-01-15T08:30:05\n' +
        '"福州, ""省会""",0.0000001,2023-12-31,官网,\n' +
        '泉州,2,,"多\n行",true\n',
    );
    expect(await readdir(dir)).toEqual([r.path.slice(dir.length + 1)]); // the raw .xlsx is gone

    const other = await spool(whole(bytes), 'xlsx', { sheet: 'Other' });
    expect(await text(other)).toBe('x,y\n');
    expect(other.lines).toBe(0);

    const missing = await failure(spool(whole(bytes), 'xlsx', { sheet: 'Nope' }));
    expect(missing.code).toBe('BAD_XLSX');
    expect(missing.message).toContain('"统计", "Other"');
  });

  it('rejects a value to the right of the last header column', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('S');
    ws.addRow(['a', 'b']);
    ws.addRow([1, 2]);
    ws.getCell('D3').value = 'stray';
    const e = await failure(spool(whole(new Uint8Array(await wb.xlsx.writeBuffer())), 'xlsx'));
    expect(e.code).toBe('BAD_XLSX');
    expect(e.details).toMatchObject({ row: 3, column: 'D' });
    await expectDirEmpty();
  });

  it('rejects non-xlsx and truncated xlsx bodies with BAD_XLSX', async () => {
    const notZip = await failure(spool(whole(enc.encode('a,b\n1,2\n')), 'xlsx'));
    expect(notZip.code).toBe('BAD_XLSX');
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('S').addRow(['a']);
    const bytes = new Uint8Array(await wb.xlsx.writeBuffer());
    const cut = await failure(spool(whole(bytes.subarray(0, bytes.length - 100)), 'xlsx'));
    expect(cut.code).toBe('BAD_XLSX');
    expect(cut.message).toMatch(/truncated/);
    await expectDirEmpty();
  });

  it('rejects empty bodies for every format', async () => {
    for (const format of ['csv', 'ndjson', 'json', 'parquet', 'xlsx'] as const) {
      const e = await failure(spool(whole(new Uint8Array(0)), format));
      expect(e.code, format).toBe('EMPTY_BODY');
      expect(e.status).toBe(400);
    }
    expect((await failure(spool(whole(enc.encode('\uFEFF')), 'csv'))).code).toBe('EMPTY_BODY');
    expect((await failure(spool(whole(enc.encode('\n\r\n\n')), 'csv'))).code).toBe('EMPTY_BODY');
    await expectDirEmpty();
  });
});
