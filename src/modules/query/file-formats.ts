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
 * values; a new sheet every 1,048,575 rows (Excel's limit).
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
  const writing = (async () => {
    newSheet();
    for await (const line of lines(ndjson)) {
      if (rows === XLSX_SHEET_ROWS) newSheet();
      const rec = JSON.parse(line) as Record<string, unknown>;
      sheet!.addRow(columns.map((c) => {
        const v = rec[c.name];
        return v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean);
      })).commit();
      rows++;
    }
    (sheet as ExcelJS.Worksheet | null)?.commit();
    await wb.commit();
  })();
  writing.catch((e: unknown) => out.destroy(e as Error));
  for await (const chunk of out) yield chunk as Buffer;
  await writing;
}
