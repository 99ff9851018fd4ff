import { CYCLE_SECONDS, type Dataset } from './types.ts';

type Timed = Pick<Dataset, 'lastIngestAt' | 'updateCycle' | 'createdAt'>;

/**
 * When the next push is due by the declared cycle: one cycle (with its grace) after the last push, or after
 * cataloguing when nothing was pushed yet — a dataset registered a minute ago is awaiting its first push, not late.
 */
export function nextDueAt(d: Timed): string {
  return new Date(new Date(d.lastIngestAt ?? d.createdAt).getTime() + CYCLE_SECONDS[d.updateCycle] * 1000).toISOString();
}

/** Whether a dataset keeps its declared update cycle (更新及时): its next push is not overdue at `now`. */
export function isTimely(d: Timed, now = new Date()): boolean {
  return now.getTime() <= new Date(nextDueAt(d)).getTime();
}

/** The timeliness rate (及时率) per organisation: timely datasets over all of its datasets in the list. */
export function timelinessByOrg(datasets: Dataset[], now = new Date()) {
  const by = new Map<string, { orgCode: string; orgName: string; datasets: number; timely: number }>();
  for (const d of datasets) {
    const e = by.get(d.orgCode) ?? { orgCode: d.orgCode, orgName: d.orgName, datasets: 0, timely: 0 };
    e.datasets++;
    if (isTimely(d, now)) e.timely++;
    by.set(d.orgCode, e);
  }
  return [...by.values()].map((e) => ({ ...e, rate: e.datasets ? e.timely / e.datasets : 0 })).sort((a, b) => a.orgCode.localeCompare(b.orgCode));
}
