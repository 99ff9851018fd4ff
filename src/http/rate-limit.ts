/**
 * Requests per minute per caller (fixed one-minute windows), for anonymous visitors by IP address and for
 * application tokens by token. One process keeps the counts; a cluster would move them to a shared store.
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; n: number }>();

  constructor(private readonly perMinute: number) {}

  /** Counts a request; returns the seconds to wait when the caller is over its limit, else 0. */
  hit(key: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      if (this.windows.size > 50_000) this.sweep(now);
      this.windows.set(key, { start: now, n: 1 });
      return 0;
    }
    if (w.n >= this.perMinute) return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
    w.n++;
    return 0;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}
