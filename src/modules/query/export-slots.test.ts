import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { ExportSlots } from './export-slots.ts';

describe('export slots', () => {
  it('gives each caller a few at once and the platform a few in all; a release is counted once', () => {
    const slots = new ExportSlots(2, 3);
    const a1 = slots.take('ip:1');
    slots.take('ip:1');
    expect(() => slots.take('ip:1')).toThrow(AppError);
    const b1 = slots.take('ip:2');
    let busy: unknown;
    try {
      slots.take('ip:3');
    } catch (e) {
      busy = e;
    }
    expect(busy).toMatchObject({ code: 'EXPORTS_BUSY', status: 429, details: { retryAfterSeconds: 30 } });
    a1();
    a1();
    expect(slots.inUse).toBe(2);
    slots.take('ip:3');
    b1();
    expect(slots.inUse).toBe(2);
  });
});
