import { fail } from '../../errors.ts';

/**
 * How many whole-dataset exports run at once: a few per caller (a person or system, or an anonymous address) and a
 * few in all. A download of 100 M rows keeps the engine busy for minutes; request rate limits count requests, not
 * that work, so without this a handful of parallel downloads could hold every core. One server per Store, as for
 * quotas.
 */
export class ExportSlots {
  private readonly byCaller = new Map<string, number>();
  private running = 0;

  constructor(
    private readonly perCaller: number,
    private readonly total: number,
  ) {}

  /** Takes a slot for a caller, or refuses with EXPORTS_BUSY (429); the returned release may be called more than once. */
  take(caller: string): () => void {
    const mine = this.byCaller.get(caller) ?? 0;
    if (mine >= this.perCaller) fail('EXPORTS_BUSY', { reason: `${mine} of your downloads are still running (at most ${this.perCaller} at once); wait for one to finish` }, { retryAfterSeconds: 30 });
    if (this.running >= this.total) fail('EXPORTS_BUSY', { reason: `the platform is serving ${this.running} downloads, its most at once; try again shortly` }, { retryAfterSeconds: 30 });
    this.byCaller.set(caller, mine + 1);
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const left = (this.byCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.byCaller.set(caller, left);
      else this.byCaller.delete(caller);
    };
  }

  /** Exports running now, in all. */
  get inUse(): number {
    return this.running;
  }
}
