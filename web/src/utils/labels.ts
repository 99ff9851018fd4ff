// Readable labels for codes the server sends (category codes, rule names, …), via the message catalogue.
import { i18n } from '../i18n';
import { messages } from '../i18n/messages';

/** Category codes known to the catalogue, in order ('01' … '12'; object keys would put '10' to '12' first). */
export const CATEGORY_CODES = Object.keys(messages['zh-CN'].categories).sort();

function lookup(prefix: string, key: string | null | undefined): string {
  if (key === null || key === undefined || key === '') return '';
  const path = `${prefix}.${key}`;
  return i18n.global.te(path) ? i18n.global.t(path) : key;
}

/** '03' → 市场监管 / Market regulation; unknown values (or names) pass through. */
export function categoryLabel(category: string | null | undefined): string {
  return lookup('categories', category);
}

/** 'idcard' → 身份证号校验失败; unknown rules pass through. */
export function ruleLabel(rule: string | null | undefined): string {
  return lookup('rules', rule);
}

/** 'data_steward' → 数据专员. */
export function roleLabel(role: string | null | undefined): string {
  return lookup('roles', role);
}

/** 'provider_review' → 提供方审批. */
export function requestStatusLabel(status: string | null | undefined): string {
  return lookup('sharing.status', status);
}

/** A workflow step ('pass', 'refuse', …) in words. */
export function eventLabel(action: string | null | undefined): string {
  return lookup('sharing.events', action);
}

/** 'partial' → 部分遮盖; 'partial:3:4' → 部分遮盖（保留前 3 位、后 4 位）. */
export function maskLabel(mask: string | null | undefined): string {
  const m = /^partial:(\d+):(\d+)$/.exec(mask ?? '');
  if (m) return i18n.global.t('masks.custom', { start: Number(m[1]), end: Number(m[2]) });
  return lookup('masks', mask);
}

/** An audit action ('records.read') in words; unknown actions pass through. */
export function auditActionLabel(action: string | null | undefined): string {
  if (!action) return '';
  const key = `audit.actions.${action.replace(/\./g, '_')}`;
  return i18n.global.te(key) ? i18n.global.t(key) : action;
}
