// The free-seats tab: per school form and year, the units that can take pupils now or within
// 72 h, sorted by district and seats, with totals per district and school form (GET /api/seats,
// the same as CSV from /api/seats.csv); filtered by school form, year and district. Seats from a
// capacity report older than the calendar allows say how old they are.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, icon, simpleTable } from './dom.js';
import { ageNow, classLabel, fmtAge, fmtTime, formName } from './format.js';
import { api, withAsOf } from './api.js';
import { oldNote } from './capacity.js';

const NO_DISTRICT = '-';  // the API's district filter for units without one

function query() {
  const q = new URLSearchParams();
  if ($('s-form').value) q.set('form', $('s-form').value);
  if ($('s-year').value) q.set('year', $('s-year').value);
  if ($('s-district').value) q.set('district', $('s-district').value);
  const text = q.toString();
  return text ? '?' + text : '';
}

// Fetches the free seats for the filters on screen and shows them.
export async function loadSeats() {
  const q = query();
  const s = await api('/api/seats' + q);
  state.seats = s;
  state.seatsQuery = q;
  renderSeats();
}

function fill(id, values, labelOf) {
  const sel = $(id);
  const current = sel.value;
  sel.replaceChildren(el('option', { text: t('all'), attrs: { value: '' } }));
  for (const v of values) sel.append(el('option', { text: labelOf(v), attrs: { value: String(v) } }));
  sel.value = values.map(String).includes(current) ? current : '';
}

function renderFilters(s) {
  fill('s-form', s.forms.map((f) => f.form), formName);
  const form = s.forms.find((f) => f.form === $('s-form').value);
  const years = [...new Set((form ? [form] : s.forms).flatMap((f) => f.years))].sort((a, b) => a - b);
  fill('s-year', years, (y) => (y ? t('yearN', { y }) : '0'));
  fill('s-district', s.districts.map((d) => (d === null ? NO_DISTRICT : d)),
    (d) => (d === NO_DISTRICT ? t('noDistrict') : d));
  const q = query();
  const sep = q ? '&' : '?';
  $('seats-csv').href = withAsOf('/api/seats.csv' + q);
  $('seats-totals-csv').href = withAsOf('/api/seats.csv' + q + sep + 'totals=1');
  $('seats-excel').href = withAsOf('/api/seats.csv' + q + sep + 'excel=1');
}

function ageCell(u) {
  const td = el('td', { cls: 'c-age' });
  td.append(el('span', { cls: 'age', text: fmtAge(ageNow(u.age_school_s ?? u.age_s)), title: fmtTime(u.reported_at) }));
  if (u.old) td.append(el('span', { cls: 'old-mark sub' }, icon('old'), ' ' + t('old')));
  if (u.source === 'import') td.append(el('span', { cls: 'sub', text: t('src_import') }));
  return td;
}

export function renderSeats() {
  const s = state.seats;
  if (!s) return;
  renderFilters(s);
  $('seats-note').textContent = t('capacityExcluded', { n: s.excluded_units });
  $('seats-count').textContent = t('seatsShown', { n: s.units.length });
  const totals = s.totals.map((r) => {
    const tr = el('tr', { data: { district: r.district || '', form: r.form } },
      el('td', { text: r.district || t('noDistrict') }), el('td', { text: formName(r.form) }),
      el('td', { cls: 'num', text: r.seats_now }), el('td', { cls: 'num', text: r.seats_72h }),
      el('td', { cls: 'num', text: r.units }),
      el('td', { cls: 'c-age' }, oldNote(r) || el('span', { cls: 'sub', text: t('allFresh') })));
    if (r.old_units) tr.classList.add('old');
    return tr;
  });
  simpleTable($('seats-totals'), ['colDistrict', 'colForm', 'colSeatsNow', 'colSeats72', 'colUnitCount', 'colAge'],
    totals, t('noSeats'));
  const units = s.units.map((u) => {
    const tr = el('tr', { data: { code: u.code, form: u.form, year: String(u.year) } },
      el('td', { text: u.district || t('noDistrict') }),
      el('td', { cls: 'c-unit' }, el('span', { text: u.name || u.code }), el('span', { cls: 'sub', text: u.code })),
      el('td', {}, el('a', { text: u.provider_name || u.provider_id, attrs: { href: '#provider/' + encodeURIComponent(u.provider_id) } })),
      el('td', { text: classLabel(u.form, u.year) }),
      el('td', { cls: 'num', text: u.seats_now }), el('td', { cls: 'num', text: u.seats_72h }),
      el('td', { cls: 'num', text: u.enrolled }), ageCell(u));
    if (u.old) tr.classList.add('old');
    return tr;
  });
  simpleTable($('seats-units'), ['colDistrict', 'colUnit', 'colProvider', 'colClass', 'colSeatsNow', 'colSeats72', 'colEnrolled', 'colAge'],
    units, t('noSeats'));
}
