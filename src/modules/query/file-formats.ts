import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';

/** Rows per XLSX sheet: Excel's limit is 1,048,576 rows, one of them the header. */
export const XLSX_SHEET_ROWS = 1_048_575;

/** Splits a stream of NDJSON chunks into lines. */
async function* lines(ndjson: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of ndjson) {
    rest += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, i);
      rest = rest.slice(i + 1);
      if (line) yield line;
    }
  }
  rest += decoder.decode();
  if (rest.trim()) yield rest;
}

/** Turns an NDJSON stream into one JSON array, streamed. */
export async function* jsonArray(ndjson: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let first = true;
  let buf: string[] = ['['];
  let size = 1;
  for await (const line of lines(ndjson)) {
    buf.push(first ? `\n${line}` : `,\n${line}`);
    first = false;
    size += line.length + 2;
    if (size > 256 * 1024) {
      yield Buffer.from(buf.join(''), 'utf8');
      buf = [];
      size = 0;
    }
  }
  buf.push(first ? ']\n' : '\n]\n');
  yield Buffer.from(buf.join(''), 'utf8');
}

/**
 * Turns an NDJSON stream into an XLSX workbook, streamed: a header row of Chinese labels then field names'
 * values; a new sheet every 1,048,575 rows (Excel's limit). The workbook writer pushes into its own stream, so rows
 * are taken from the source only while the reader keeps up (the output is waited on when it backs up), and when the
 * reader stops (a client that went away) the source is let go at once: otherwise a 100 M-row download abandoned
 * after a minute would go on converting every row into memory nobody reads.
 */
export async function* xlsxWorkbook(ndjson: AsyncIterable<Uint8Array>, columns: { name: string; label: string }[]): AsyncIterable<Uint8Array> {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  let sheet: ExcelJS.Worksheet | null = null;
  let rows = 0;
  let sheets = 0;
  const newSheet = () => {
    sheet?.commit();
    sheets++;
    sheet = wb.addWorksheet(sheets === 1 ? 'data' : `data-${sheets}`);
    sheet.addRow(columns.map((c) => `${c.label} (${c.name})`)).commit();
    rows = 0;
  };
  let stopped = false;
  const drained = () => new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
  const writing = (async () => {
    newSheet();
    for await (const line of lines(ndjson)) {
      if (stopped) return;
      if (rows === XLSX_SHEET_ROWS) newSheet();
      const rec = JSON.parse(line) as Record<string, unknown>;
      sheet!.addRow(columns.map((c) => {
        const v = rec[c.name];
        return v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
      })).commit();
      rows++;
      // The zip stream compresses on later turns of the event loop: give it one every 1,000 rows, so the output
      // fills (and backs up) as rows go in, rather than all at the end of a source that never waits.
      if (rows % 1000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (out.writableNeedDrain) await drained();
    }
    if (stopped) return;
    (sheet as ExcelJS.Worksheet | null)?.commit();
    await wb.commit();
  })();
  writing.catch((e: unknown) => out.destroy(e as Error));
  try {
    for await (const chunk of out) yield chunk as Buffer;
    await writing;
  } finally {
    stopped = true;
    if (!out.destroyed) out.destroy();
    await writing.catch(() => undefined);
  }
}
