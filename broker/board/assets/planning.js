// The planning tab: the takeover plan for the units failing now (optionally with the what-if
// marks) and the N-1 ranking of providers and districts; both computed by the broker.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, emptyRow, headRow, icon, okBadge, simpleTable, stateBadge, tile } from './dom.js';
import { classLabel, fmtTime, formName } from './format.js';
import { api } from './api.js';

const CONTINGENCY_EVERY_MS = 10000;  // the ranking is heavy: at most this often per page
const REASONS = {
  'sending unit has no coordinates': 'reason_no_coordinates',
  'no seats within max-km': 'reason_no_seats',
  'not enough seats within max-km': 'reason_seats_taken',
};

// Fetches the plan (and, when due or the horizon changed, the ranking) and shows them.
export async function loadPlanning(force) {
  const q = '?horizon=' + $('p-horizon').value + '&what_if=' + ($('p-whatif').checked ? '1' : '0');
  const wantRanking = force || !state.contingency || Date.now() - state.contingencyAt > CONTINGENCY_EVERY_MS ||
    state.contingencyHorizon !== $('p-horizon').value;
  const [plan, ranking] = await Promise.all([api('/api/plan' + q),
    wantRanking ? api('/api/contingency?horizon=' + $('p-horizon').value) : Promise.resolve(state.contingency)]);
  state.plan = plan;
  if (wantRanking) {
    state.contingency = ranking;
    state.contingencyAt = Date.now();
    state.contingencyHorizon = $('p-horizon').value;
  }
  state.cityError = null;
  renderPlanning();
}

export function renderPlanning() {
  const p = state.plan;
  $('plan-note').classList.remove('error');
  $('plan-note').textContent = state.session && state.session.role === 'operator' ? t('planWhatIfHint') : '';
  if (p) {
    const tt = p.totals;
    const summary = $('plan-summary');
    summary.replaceChildren(
      tile(p.failing_units.length ? 's-closed' : '', p.failing_units.length, 'closed', t('sum_failingUnits')),
      tile('', tt.pupils_to_place, null, t('sum_toPlace')),
      tile('s-normal', tt.placed, 'normal', t('sum_placed')),
      tile(tt.unplaced ? 's-closed' : '', tt.unplaced, tt.unplaced ? 'closed' : 'normal', t('sum_unplaced')),
      tile('', Math.round(tt.pupil_km), null, t('sum_pupilKm')));
    const names = new Map(p.failing_units.map((u) => [u.code, u.name]));
    const unitCell = (code, name) => el('td', {}, el('span', { text: name || code }), name ? el('span', { cls: 'sub', text: code }) : null);
    simpleTable($('plan-failing'), ['colUnit', 'colWhy'], p.failing_units.map((u) => {
      const why = el('td', {});
      if (u.closed) why.append(el('span', { cls: 'sub' }, stateBadge('closed')));
      if (u.provider_cannot_continue) why.append(el('span', { cls: 'sub res-bad', text: t('why_cannot_continue') }));
      if (u.what_if) why.append(el('span', { cls: 'sub whatif-on', text: t('why_what_if') }));
      if (!u.has_capacity_report) why.append(el('span', { cls: 'sub' }, icon('unknown'), ' ' + t('noCapacityReport')));
      return el('tr', { data: { code: u.code } }, unitCell(u.code, u.name), why);
    }), t('planNoFailing'));
    simpleTable($('plan-placements'), ['colFrom', 'colClass', 'colTo', 'colPupilsN', 'colKm'], p.placements.map((x) =>
      el('tr', { data: { from: x.from_unit, to: x.to_unit } }, unitCell(x.from_unit, names.get(x.from_unit)),
        el('td', { text: classLabel(x.form, x.year) }), unitCell(x.to_unit, x.to_name),
        el('td', { cls: 'num', text: x.pupils }), el('td', { cls: 'num', text: x.km.toFixed(1) + ' km' }))),
    t('planNoPlacements'));
    simpleTable($('plan-unplaced'), ['colFrom', 'colClass', 'colPupilsN', 'colReason'], p.unplaced.map((x) =>
      el('tr', { data: { from: x.from_unit } }, unitCell(x.from_unit, names.get(x.from_unit)),
        el('td', { text: classLabel(x.form, x.year) }), el('td', { cls: 'num res-bad', text: x.pupils }),
        el('td', {}, icon('closed'), ' ' + (REASONS[x.reason] ? t(REASONS[x.reason]) : x.reason)))),
    t('planNothingUnplaced'));
  }
  const c = state.contingency;
  const cols = ['colRank', 'colScope', 'colName', 'colAffected', 'colPlaced', 'colUnplacedN', 'colMissingSeats'];
  headRow('contingency-head', cols);
  const body = $('contingency-body');
  body.replaceChildren();
  if (!c) return;
  $('contingency-facts').textContent = t('contingencyComputed', { t: fmtTime(c.computed_at), ms: c.computed_ms, n: c.rows.length });
  if (!c.rows.length) { emptyRow(body, cols.length, t('noContingency')); return; }
  for (const r of c.rows) {
    const missing = Object.entries(r.missing_seats_by_form || {}).map(([f, k]) => formName(f) + ' ' + k).join(', ');
    body.append(el('tr', { data: { scope: r.scope, id: r.id } },
      el('td', { cls: 'num', text: r.rank }),
      el('td', { text: t('scope_' + r.scope) }),
      el('td', {}, el('span', { text: r.name || r.id || t('noDistrict') }), r.name ? el('span', { cls: 'sub', text: r.id }) : null),
      el('td', { cls: 'num', text: r.pupils_affected }),
      el('td', { cls: 'num', text: r.placed }),
      el('td', { cls: 'num' }, r.unplaced ? okBadge(false, String(r.unplaced)) : okBadge(true, '0')),
      el('td', { text: missing || t('allPlaced') })));
  }
}
