import { CYCLE_SECONDS, type Dataset } from './types.ts';

/** Whether a dataset kept its declared update cycle (更新及时): pushed within the cycle (with its grace) of now. */
export function isTimely(d: Pick<Dataset, 'lastIngestAt' | 'updateCycle'>, now = new Date()): boolean {
  if (!d.lastIngestAt) return false;
  return now.getTime() - new Date(d.lastIngestAt).getTime() <= CYCLE_SECONDS[d.updateCycle] * 1000;
}

/** When the next push is due by the declared cycle (null when nothing was ever pushed). */
export function nextDueAt(d: Pick<Dataset, 'lastIngestAt' | 'updateCycle'>): string | null {
  if (!d.lastIngestAt) return null;
  return new Date(new Date(d.lastIngestAt).getTime() + CYCLE_SECONDS[d.updateCycle] * 1000).toISOString();
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
