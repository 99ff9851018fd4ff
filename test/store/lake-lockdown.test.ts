import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/platform.ts';
import { testPlatform } from '../helpers.ts';

describe('the Lake engine is locked down', () => {
  let p: Platform;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ platform: p, close } = await testPlatform());
  });
  afterAll(async () => close());

  it('reads no file outside its own scratch directory', async () => {
    const outside = join(tmpdir(), `xmcity-outside-${process.pid}.parquet`);
    writeFileSync(outside, 'not really parquet');
    await expect(p.lake.sourceColumns(outside)).rejects.toThrow(/disabled by configuration|Permission/);
    rmSync(outside, { force: true });
    await expect(p.lake.sourceColumns('/etc/passwd')).rejects.toThrow(/disabled by configuration|Permission/);
    const inside = join(p.config.dataDir, 'tmp', 'spool', 'x.parquet');
    writeFileSync(inside, 'not really parquet');
    await expect(p.lake.sourceColumns(inside)).rejects.not.toThrow(/disabled by configuration|Permission/);
  });
});
