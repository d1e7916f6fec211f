// Times, ages and numbers as the board shows them: times in Stockholm's zone in the language in
// use, ages that move on between answers, '–' for what is not known.
import { hasText, lang, t } from './i18n.js';
import { state } from './state.js';

const stockholm = (opts) => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'sv-SE',
  { timeZone: 'Europe/Stockholm', ...opts });
export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  const today = stockholm({ year: 'numeric', month: '2-digit', day: '2-digit' });
  const sameDay = today.format(d) === today.format(new Date());
  return sameDay ? stockholm({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d)
    : stockholm({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
}
export function fmtAge(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min';
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h ' + (m % 60) + ' min';
  return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
}
// A past picture's ages are counted to its moment and stand still.
export const ageNow = (ageS) => (ageS === null || ageS === undefined) ? null
  : ageS + (state.asOf ? 0 : (Date.now() - state.fetchedAt) / 1000);
export const n = (v) => (v === null || v === undefined) ? '–' : String(v);
export const formName = (f) => (hasText('form_' + f) ? t('form_' + f) : f);
export const testName = (name) => (hasText('test_' + name) ? t('test_' + name) : name);
export const levelName = (l) => (l === 'unchanged' || !l ? t('levelUnchanged') : t('level_' + l));
export const providerLabel = (id, names) => (names && names[id] ? names[id] + ' (' + id + ')' : id);
export const classLabel = (form, year) => formName(form) + (year ? ' ' + t('yearN', { y: year }) : '');
