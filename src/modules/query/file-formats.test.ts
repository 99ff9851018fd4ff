import { describe, expect, it } from 'vitest';
import { jsonArray, xlsxWorkbook } from './file-formats.ts';

/** An NDJSON source of `n` rows made on demand, counting what was taken and whether it was let go. */
function source(n: number) {
  const state = { pulled: 0, closed: false };
  async function* gen(): AsyncIterable<Uint8Array> {
    try {
      for (let i = 0; i < n; i += 1000) {
        const rows: string[] = [];
        for (let j = i; j < Math.min(n, i + 1000); j++) rows.push(JSON.stringify({ id: j, name: `企业${j}`, capital: j * 1.5 }));
        state.pulled = Math.min(n, i + 1000);
        yield Buffer.from(`${rows.join('\n')}\n`);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, stream: gen() };
}

const COLUMNS = [{ name: 'id', label: '编号' }, { name: 'name', label: '名称' }, { name: 'capital', label: '注册资本' }];

describe('streamed file formats', () => {
  it('an XLSX download that is abandoned lets its source go instead of converting every row', async () => {
    const { state, stream } = source(2_000_000);
    const it = xlsxWorkbook(stream, COLUMNS)[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return?.();
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThan(200_000);
  });

  it('an XLSX reader that stops reading holds the rows back (the writer waits for the output to drain)', async () => {
    const { state, stream } = source(2_000_000);
    const it = xlsxWorkbook(stream, COLUMNS)[Symbol.asyncIterator]();
    await it.next();
    const taken = state.pulled;
    // The first bytes come after a few rows, not after the whole source.
    expect(taken).toBeLessThan(200_000);
    await new Promise((r) => setTimeout(r, 500));
    // Without a reader, at most a little more than the stream's buffer is produced.
    expect(state.pulled - taken).toBeLessThan(100_000);
    await it.return?.();
    expect(state.closed).toBe(true);
  });

  it('a whole small workbook and JSON array still come out complete', async () => {
    let bytes = 0;
    for await (const c of xlsxWorkbook(source(5000).stream, COLUMNS)) bytes += c.length;
    expect(bytes).toBeGreaterThan(10_000);
    const parts: Buffer[] = [];
    for await (const c of jsonArray(source(5000).stream)) parts.push(Buffer.from(c));
    const arr = JSON.parse(Buffer.concat(parts).toString('utf8')) as { id: number }[];
    expect(arr.length).toBe(5000);
    expect(arr[4999].id).toBe(4999);
  });
});
