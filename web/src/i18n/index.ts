import { createI18n } from 'vue-i18n';
import { messages, SUPPORTED_LOCALES } from './messages';
import type { AppLocale, MessageSchema } from './messages';

export type { AppLocale } from './messages';

const STORAGE_KEY = 'xmcity.locale';

function initialLocale(): AppLocale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (SUPPORTED_LOCALES as readonly string[]).includes(saved)) return saved as AppLocale;
  } catch {
    // storage unavailable (private mode): use the default
  }
  return 'zh-CN';
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'zh-CN',
  messages,
  missingWarn: false,
  fallbackWarn: false,
});

document.documentElement.lang = i18n.global.locale.value;

export function currentLocale(): AppLocale {
  return i18n.global.locale.value;
}

export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // ignore
  }
}
