// The exercise and test tab: reports sent as exercise, test or system traffic, which are never
// part of the picture.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, modeBadge, stateBadge } from './dom.js';
import { fmtTime, n } from './format.js';

export function renderExercise() {
  const p = state.picture;
  if (!p) return;
  $('exercise-head').replaceChildren(...['colMode', 'colUnit', 'colProvider', 'colState', 'colPupils', 'colStaff', 'colNote', 'colReported']
    .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
  const body = $('exercise-body');
  body.replaceChildren();
  if (!p.exercise.length) {
    body.append(el('tr', {}, el('td', { text: t('noExercise'), attrs: { colspan: '8' } })));
    return;
  }
  for (const u of p.exercise) {
    body.append(el('tr', { data: { code: u.code, mode: u.mode, state: u.operational } },
      el('td', {}, modeBadge(u.mode)),
      el('td', {}, el('span', { text: u.name || u.code }), el('span', { cls: 'sub', text: u.code })),
      el('td', { text: u.provider_name || u.provider_id }),
      el('td', { cls: 'c-state' }, stateBadge(u.operational)),
      el('td', { cls: 'num', text: n(u.pupils_present) + ' / ' + n(u.pupils_enrolled) }),
      el('td', { cls: 'num', text: n(u.staff_available) + ' / ' + n(u.staff_total) }),
      el('td', { cls: 'note c-note', text: u.note || '' }),
      el('td', { text: fmtTime(u.reported_at) })));
  }
}
