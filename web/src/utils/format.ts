// Locale-aware formatting helpers. They read the current i18n locale (a ref), so
// calling them from a template re-renders when the language changes.
import { currentLocale } from '../i18n';

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const locale = currentLocale();
  const id = `${locale}|${key}`;
  let f = nf.get(id);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    nf.set(id, f);
  }
  return f;
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function formatNumber(n: number | null | undefined): string {
  if (isNil(n) || Number.isNaN(n)) return '—';
  return numberFormat('int', { maximumFractionDigits: 2 }).format(n);
}

/** 12.3亿 / 1.2B — for headline figures. */
export function formatCompact(n: number | null | undefined): string {
  if (isNil(n) || Number.isNaN(n)) return '—';
  return numberFormat('compact', { notation: 'compact', maximumFractionDigits: 2 }).format(n);
}

export function formatPercent(fraction: number, digits = 1): string {
  return numberFormat(`pct${digits}`, { style: 'percent', maximumFractionDigits: digits, minimumFractionDigits: digits }).format(fraction);
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
export function formatBytes(n: number | null | undefined): string {
  if (isNil(n) || Number.isNaN(n)) return '—';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${numberFormat('bytes', { maximumFractionDigits: v >= 100 || i === 0 ? 0 : 1 }).format(v)} ${BYTE_UNITS[i]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (isNil(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 2026-11-29 21:24 in the browser's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const REL_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "3 小时前" / "3 hours ago"; null when the time is missing. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string | null {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  let value = (t - now) / 1000;
  const rtf = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' });
  for (const [unit, size] of REL_STEPS) {
    if (Math.abs(value) < size) return rtf.format(Math.round(value), unit);
    value /= size;
  }
  return rtf.format(Math.round(value), 'year');
}

/** The localised name of an entity that carries `name` (zh) and `nameEn`. */
export function localName(entity: { name: string; nameEn?: string | null } | null | undefined): string {
  if (!entity) return '';
  return currentLocale() === 'en' && entity.nameEn ? entity.nameEn : entity.name;
}

/** Render any record value as text for a table cell. */
export function cellText(v: unknown): string {
  if (isNil(v)) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Integer fen (分) as yuan: 1250 → "¥12.50", −600 → "−¥6.00". */
export function formatYuan(fen: number | null | undefined): string {
  if (isNil(fen) || Number.isNaN(fen)) return '—';
  return `${fen < 0 ? '−' : ''}¥${numberFormat('yuan', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Math.abs(fen) / 100)}`;
}
