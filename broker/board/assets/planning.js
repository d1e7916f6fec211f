// The planning tab: the takeover plan for the units failing now (optionally with the what-if
// marks) — per sending year group where its pupils go and whom to call, per receiving unit what
// arrives and how many seats are left, what cannot be placed and why, which units with free seats
// do not receive and why — and the N-1 ranking of
// providers and districts on top of today's situation; both computed by the broker.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, emptyRow, headRow, icon, okBadge, simpleTable, stateBadge, tile, warnBadge } from './dom.js';
import { classLabel, fmtAge, fmtTime, formName } from './format.js';
import { api } from './api.js';

const CONTINGENCY_EVERY_MS = 10000;  // the ranking is heavy: at most this often per page
export const FILLS = ['1', '0.95', '0.9', '0.8'];

const km = (v) => (v === null || v === undefined ? '–' : Number(v).toFixed(1) + ' km');
const flag = (id) => ($(id).checked ? '1' : '0');

// The query both requests share: what counts as failing and receiving, and the seats used.
function planQuery() {
  return 'horizon=' + $('p-horizon').value + '&fill=' + $('p-fill').value +
    '&include_reduced=' + flag('p-reduced') + '&include_closed=' + flag('p-closed');
}

let latestLoad = 0;  // loads overlap when an option changes while one runs: the latest counts

// Fetches the plan (and, when due or the options changed, the ranking) and shows them.
export async function loadPlanning(force) {
  const load = ++latestLoad;
  const q = planQuery();
  const wantRanking = force || !state.contingency || Date.now() - state.contingencyAt > CONTINGENCY_EVERY_MS ||
    state.contingencyQuery !== q;
  const [plan, ranking] = await Promise.all([api('/api/plan?' + q + '&what_if=' + flag('p-whatif')),
    wantRanking ? api('/api/contingency?' + q) : Promise.resolve(state.contingency)]);
  // An answer for options that have changed since must not overwrite the newer one.
  if (load !== latestLoad) return;
  state.plan = plan;
  if (wantRanking) {
    state.contingency = ranking;
    state.contingencyAt = Date.now();
    state.contingencyQuery = q;
  }
  state.cityError = null;
  renderPlanning();
}

const unitCell = (code, name, ...more) => el('td', {}, el('span', { text: name || code }),
  name ? el('span', { cls: 'sub', text: code }) : null, ...more);

// "Beta Friskolor · jour: IT-jour 08-…", or that there is no contact on file; without the
// contact part when `contact` is undefined (a sending unit's own provider).
function providerLine(name, id, contact) {
  if (contact === undefined) return el('span', { cls: 'sub', text: name || id || '' });
  return el('span', { cls: 'sub' }, (name || id || '') + ' · ',
    contact ? t('dutyContact', { c: contact }) : el('span', { cls: 'res-bad', text: t('noDutyContact') }));
}

// Where a figure came from and how old it is: "import, 3 d 2 h" / "rapport, 40 min".
function figureText(x) {
  if (!x.source) return t('noFigure');
  return t('src_' + x.source) + (x.age_s === null || x.age_s === undefined ? '' : ', ' + fmtAge(x.age_s));
}

// The reason for unplaced pupils in words, with its numbers (the broker's English text is kept
// as the tooltip).
function unplacedReason(x, maxKm) {
  const c = classLabel(x.form, x.year);
  let s;
  if (x.code === 'no_coordinates') s = t('reason_no_coordinates');
  else if (x.code === 'beyond_limit' && x.nearest_km !== null && x.nearest_km !== undefined) {
    s = t('reason_beyond_limit', { c, km: Number(x.nearest_km).toFixed(1), limit: maxKm });
  } else if (x.code === 'beyond_limit' || x.code === 'no_seats') s = t('reason_no_seats_anywhere', { c });
  else s = t('reason_seats_taken_n', { c, limit: maxKm });
  if (x.horizon_would_place > 0) s += '; ' + t('reason_horizon', { n: x.horizon_would_place });
  return s;
}

// Why a unit with free seats takes no pupils (the broker's English text is kept as the tooltip).
function excludedReason(x, days) {
  if (x.reason_code === 'no_report') return t(x.source === 'import' ? 'ex_no_report_import' : 'ex_no_report');
  if (x.reason_code === 'old_report') return t('ex_old_report', { d: days });
  const key = 'ex_' + x.reason_code;
  const words = t(key);
  return words === key ? x.reason : words;
}

function whyCell(u) {
  const why = el('td', {});
  if (u.closed) {
    why.append(el('span', { cls: 'sub' }, stateBadge('closed'),
      u.closed_until ? ' ' + t('closedUntil', { d: u.closed_until }) : ''));
  }
  if (u.closed_included) why.append(el('span', { cls: 'sub', text: t('why_closed_included') }));
  if (u.provider_cannot_continue) why.append(el('span', { cls: 'sub res-bad', text: t('why_cannot_continue') }));
  if (u.what_if) why.append(el('span', { cls: 'sub whatif-on', text: t('why_what_if') }));
  if (u.named) why.append(el('span', { cls: 'sub', text: t('why_named') }));
  if (u.unknown_enrolment) why.append(el('span', { cls: 'sub' }, warnBadge(t('unknownEnrolment'))));
  return why;
}

function renderSummary(p) {
  const tt = p.totals;
  const fr = tt.fritidshem || { to_place: 0, placed: 0, unplaced: 0 };
  $('plan-summary').replaceChildren(
    tile(p.failing_units.length ? 's-closed' : '', p.failing_units.length, 'closed', t('sum_failingUnits')),
    tile('', tt.pupils_to_place, null, t('sum_toPlace')),
    tile('s-normal', tt.placed, 'normal', t('sum_placed')),
    tile(tt.unplaced ? 's-closed' : '', tt.unplaced, tt.unplaced ? 'closed' : 'normal', t('sum_unplaced')),
    tile(tt.unknown_enrolment_units ? 's-reduced' : '', tt.unknown_enrolment_units || 0,
      tt.unknown_enrolment_units ? 'reduced' : null, t('sum_unknownEnrolment')),
    tile(fr.unplaced ? 's-closed' : '', fr.placed + ' / ' + fr.to_place, null, t('sum_fritidshem')),
    tile(tt.split_groups ? 's-reduced' : '', tt.split_groups, null, t('sum_splitGroups', { n: tt.pieces })),
    tile('', Math.round(tt.pupil_km), null, t('sum_pupilKm')),
    tile('', km(tt.mean_km) + ' / ' + km(tt.max_km), null, t('sum_meanMaxKm')));
  const s = p.solver || {};
  const solver = s.name ? t(s.optimal ? 'solverOptimal' : 'solverGap',
    { name: s.name, s: Number(s.seconds).toFixed(2), gap: s.gap_pieces }) : '';
  const counts = Object.entries(p.not_receiving || {}).map(([why, n]) => t('nr_' + why, { n })).join(', ');
  const o = p.options || {};
  const horizon = o.horizon_days ? t('planHorizonFact', { d: o.horizon_days, end: o.horizon_end }) : '';
  $('plan-facts').textContent = [horizon, solver, counts ? t('notReceiving', { list: counts }) : '']
    .filter(Boolean).join(' · ');
}

export function renderPlanning() {
  const p = state.plan;
  $('plan-note').classList.remove('error');
  $('plan-note').textContent = state.session && state.session.role === 'operator' ? t('planWhatIfHint') : '';
  if (p) {
    renderSummary(p);
    const names = new Map(p.failing_units.map((u) => [u.code, u.name]));
    simpleTable($('plan-failing'), ['colUnit', 'colWhy'], p.failing_units.map((u) =>
      el('tr', { data: { code: u.code } }, unitCell(u.code, u.name, providerLine(u.provider_name, u.provider_id)),
        whyCell(u))), t('planNoFailing'));
    simpleTable($('plan-closed'), ['colUnit', 'colClosedUntil'], (p.closed_not_planned || []).map((u) =>
      el('tr', { data: { code: u.code } }, unitCell(u.code, u.name),
        el('td', { text: u.closed_until ? t('closedUntil', { d: u.closed_until }) : t('closedNoDate') }))),
    t('planNoClosed'));
    simpleTable($('plan-groups'), ['colFrom', 'colClass', 'colPupilsN', 'colGoesTo', 'colFigure'], (p.groups || []).map((g) => {
      const to = el('td', {});
      for (const d of g.destinations) {
        to.append(el('div', { cls: 'dest', data: { to: d.to_unit } },
          el('span', { text: d.pupils + ' → ' + (d.to_name || d.to_unit) + ' (' + km(d.km) + ')' }),
          providerLine(d.provider_name, d.provider_id, d.duty_contact)));
      }
      if (g.unplaced) to.append(el('div', { cls: 'res-bad', text: t('notPlacedN', { n: g.unplaced }) }));
      return el('tr', { data: { from: g.from_unit, split: g.split ? '1' : '0' } },
        unitCell(g.from_unit, g.from_name || names.get(g.from_unit)),
        el('td', {}, el('span', { text: classLabel(g.form, g.year) }),
          g.split ? el('span', { cls: 'sub' }, warnBadge(t('splitN', { n: g.pieces }))) : null),
        el('td', { cls: 'num', text: g.pupils }), to, el('td', { text: figureText(g) }));
    }), t('planNoPlacements'));
    const receiving = [];
    for (const r of p.receivers || []) {
      r.classes.forEach((c, i) => {
        const from = el('td', {}, ...c.from.map((a) => el('div', {
          text: a.pupils + ' ← ' + (a.from_name || a.from_unit) + ' (' + km(a.km) + ')' })));
        const left = c.headroom_left === null || c.headroom_left === undefined ? '–'
          : Math.round(c.headroom_left * 100) + ' %';
        receiving.push(el('tr', { data: { code: r.code } },
          i === 0 ? unitCell(r.code, r.name, providerLine(r.provider_name, r.provider_id, r.duty_contact)) : el('td', {}),
          el('td', { text: classLabel(c.form, c.year) }), from,
          el('td', { cls: 'num', text: c.seats_before + ' → ' + c.seats_after }),
          el('td', { cls: 'num', text: left }), el('td', { text: figureText(c) })));
      });
    }
    simpleTable($('plan-receivers'), ['colReceiver', 'colClass', 'colArrive', 'colSeatsBeforeAfter', 'colHeadroomLeft', 'colFigure'],
      receiving, t('planNoReceivers'));
    const unplaced = p.unplaced.map((x) =>
      el('tr', { data: { from: x.from_unit } }, unitCell(x.from_unit, x.from_name || names.get(x.from_unit)),
        el('td', { text: classLabel(x.form, x.year) }), el('td', { cls: 'num res-bad', text: x.pupils }),
        el('td', { title: x.reason }, icon('closed'), ' ' + unplacedReason(x, p.options.max_km))));
    for (const u of p.unknown_enrolment || []) {
      unplaced.push(el('tr', { data: { from: u.code, unknown: '1' } }, unitCell(u.code, u.name),
        el('td', { text: '–' }), el('td', { cls: 'num', text: '?' }),
        el('td', {}, icon('unknown'), ' ' + (u.pupils_enrolled_reported !== null && u.pupils_enrolled_reported !== undefined
          ? t('reason_unknown_enrolment_reported', { n: u.pupils_enrolled_reported }) : t('reason_unknown_enrolment')))));
    }
    simpleTable($('plan-unplaced'), ['colFrom', 'colClass', 'colPupilsN', 'colReason'], unplaced, t('planNothingUnplaced'));
    simpleTable($('plan-excluded'), ['colUnit', 'colSeatsFree', 'colDistance', 'colReason'],
      (p.excluded_receivers || []).map((x) => el('tr', { data: { code: x.code, why: x.reason_code } },
        unitCell(x.code, x.name, providerLine(x.provider_name, x.provider_id, x.duty_contact)),
        el('td', { cls: 'num', text: x.seats }), el('td', { cls: 'num', text: km(x.nearest_km) }),
        el('td', { title: x.reason, text: excludedReason(x, p.options.horizon_days) }))),
      t('planNoExcluded'));
  }
  const c = state.contingency;
  const cols = ['colRank', 'colScope', 'colName', 'colAffected', 'colPlaced', 'colUnplacedN', 'colMissingSeats'];
  headRow('contingency-head', cols);
  const body = $('contingency-body');
  body.replaceChildren();
  if (!c) return;
  const base = c.baseline || { failing_units: [] };
  $('contingency-facts').textContent = t('contingencyComputed', { t: fmtTime(c.computed_at), ms: c.computed_ms, n: c.rows.length }) +
    ' ' + t('contingencyBaseline', { n: base.failing_units.length });
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
