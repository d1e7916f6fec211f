// The city-wide free seats per school form and year (below the free-seats view of seats.js), each
// row saying how many of its units' capacity reports are older than the calendar allows.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, icon } from './dom.js';
import { fmtTime, formName } from './format.js';

// "▲ 2 old (oldest 25/11 08:10)" for a row counting old reports, else null.
export function oldNote(row) {
  if (!row.old_units) return null;
  return el('span', { cls: 'old-mark sub', title: t('oldSeatsHint') }, icon('old'),
    ' ' + t('oldUnitsOf', { n: row.old_units, t: row.oldest_report_at ? fmtTime(row.oldest_report_at) : '–' }));
}

export function renderCapacity() {
  const c = state.capacity;
  if (!c) return;
  $('capacity-note').textContent = c.city.length ? t('capacityExcluded', { n: c.excluded_units }) : t('noCapacity');
  const table = $('capacity-city');
  table.replaceChildren();
  table.append(el('thead', {}, el('tr', {}, ...['colForm', 'colYear', 'colEnrolled', 'colSeatsNow', 'colSeats72', 'colUnitCount', 'colAge']
    .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })))));
  const body = el('tbody');
  for (const r of c.city) {
    const tr = el('tr', {}, el('td', { text: formName(r.form) }), el('td', { cls: 'num', text: r.year ? r.year : '–' }),
      el('td', { cls: 'num', text: r.enrolled }), el('td', { cls: 'num', text: r.seats_now }),
      el('td', { cls: 'num', text: r.seats_72h }), el('td', { cls: 'num', text: r.units }),
      el('td', { cls: 'c-age' }, oldNote(r) || el('span', { cls: 'sub', text: t('allFresh') })));
    if (r.old_units) tr.classList.add('old');
    body.append(tr);
  }
  table.append(body);
}
