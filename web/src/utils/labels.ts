// Readable labels for codes the server sends (category codes, rule names, …), via the message catalogue.
import { i18n } from '../i18n';
import { messages } from '../i18n/messages';

/** Category codes known to the catalogue, in order. */
export const CATEGORY_CODES = Object.keys(messages['zh-CN'].categories);

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
