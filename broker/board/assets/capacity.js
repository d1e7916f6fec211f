// The free-seats tab: seats per school form and year for the whole city and per district.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el } from './dom.js';
import { formName } from './format.js';

function capacityTable(table, rows) {
  table.replaceChildren();
  table.append(el('thead', {}, el('tr', {}, ...['colForm', 'colYear', 'colEnrolled', 'colSeatsNow', 'colSeats72', 'colUnitCount']
    .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })))));
  const body = el('tbody');
  for (const r of rows) {
    body.append(el('tr', {}, el('td', { text: formName(r.form) }), el('td', { cls: 'num', text: r.year ? r.year : '–' }),
      el('td', { cls: 'num', text: r.enrolled }), el('td', { cls: 'num', text: r.seats_now }),
      el('td', { cls: 'num', text: r.seats_72h }), el('td', { cls: 'num', text: r.units })));
  }
  table.append(body);
}

export function renderCapacity() {
  const c = state.capacity;
  if (!c) return;
  $('capacity-note').textContent = c.city.length ? t('capacityExcluded', { n: c.excluded_units }) : t('noCapacity');
  capacityTable($('capacity-city'), c.city);
  const box = $('capacity-districts');
  box.replaceChildren();
  for (const d of c.districts) {
    const table = el('table');
    capacityTable(table, d.rows);
    const free = d.rows.reduce((s, r) => s + r.seats_now, 0);
    box.append(el('details', { cls: 'district-block' },
      el('summary', { text: (d.district || t('noDistrict')) + ' – ' + free + ' ' + t('colSeatsNow').toLowerCase() }),
      el('div', { cls: 'table-wrap' }, table)));
  }
}
