// The server's password rule (src/modules/identity/password.ts), checked before sending so the answer is in the
// reader's language.
import { i18n } from '../i18n';

/** What is wrong with a new password and its repetition, or '' when nothing is: 10 to 200 characters, not only digits or only letters, typed the same twice. */
export function passwordProblem(password: string, confirm: string): string {
  const t = i18n.global.t;
  if (password.length < 10 || password.length > 200 || /^\d+$/.test(password) || /^\p{L}+$/u.test(password)) return t('auth.passwordTooWeak');
  if (password !== confirm) return t('auth.passwordMismatch');
  return '';
}
