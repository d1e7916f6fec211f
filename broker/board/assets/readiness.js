// The readiness tab: today's (or the latest) readiness check — who answered, in time or late, and
// which self-tests failed — and the checks before it.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, emptyRow, headRow, icon, modeBadge, okBadge, tile, warnBadge } from './dom.js';
import { fmtAge, fmtTime, testName } from './format.js';
import { api } from './api.js';
import { refreshCity } from './city.js';

const OUTCOME_ORDER = { missing: 0, late: 1, pending: 2, answered: 3 };
const OUTCOME_SHAPE = { answered: 'normal', late: 'reduced', missing: 'closed', pending: 'clock' };
const HISTORY_EVERY_MS = 15000;

function outcomeBadge(o) {
  const s = OUTCOME_SHAPE[o] ? o : 'missing';
  return el('span', { cls: 'badge o-' + s }, icon(OUTCOME_SHAPE[s]), t('out_' + s));
}

// Fetches the check on screen (and, when due, the history) and shows them.
export async function loadReadiness(force) {
  // The history recomputes every listed check: fetched when the tab opens and at most every
  // HISTORY_EVERY_MS; its newest row is kept current from the live check in between.
  const wantHistory = force || !state.readinessHistory || Date.now() - state.historyAt > HISTORY_EVERY_MS;
  const [r, h] = await Promise.all([api('/api/readiness'),
    wantHistory ? api('/api/readiness/history?limit=14&rates=1') : Promise.resolve(state.readinessHistory)]);
  state.readiness = r;
  state.readinessHistory = h;
  if (wantHistory) state.historyAt = Date.now();
  state.readinessAt = Date.now();
  state.cityError = null;
  renderReadiness();
  scheduleDeadline();
}

// A check that is still running changes by itself at its deadline: pending becomes missing.
function scheduleDeadline() {
  clearTimeout(state.deadlineTimer);
  const c = state.readiness && state.readiness.check;
  if (!c || c.deadline_passed) return;
  state.deadlineTimer = setTimeout(() => refreshCity(true), c.seconds_left * 1000 + 1500);
}

export function renderReadiness() {
  const r = state.readiness;
  if (!r) return;
  const c = r.check;
  $('readiness-facts').classList.remove('error');
  $('readiness-title').textContent = !c ? t('readinessTitle') : c.is_today ? t('readinessToday') : t('readinessLatest');
  const summary = $('readiness-summary');
  summary.replaceChildren();
  const body = $('readiness-body');
  const cols = ['colProvider', 'colOutcome', 'colAnswerTime', 'colSelfTests'];
  if (c && c.require_confirmation) cols.push('colConfirmed');
  cols.push('colRate');
  headRow('readiness-head', cols);
  if (!c) {
    $('readiness-facts').textContent = t('noCheck');
    $('readiness-progress-wrap').hidden = true;
    emptyRow(body, cols.length, t('noCheck'));
  } else {
    const left = Math.max(0, c.seconds_left - (Date.now() - state.readinessAt) / 1000);
    const open = !c.deadline_passed && left > 0;
    const facts = $('readiness-facts');
    facts.replaceChildren(el('span', { text: c.check_id }));
    if (c.mode !== 'actual') facts.append(' ', modeBadge(c.mode));
    facts.append(' · ' + t('checkIssued', { t: fmtTime(c.issued_at) }) + ' · ' + t('checkDeadline', { t: fmtTime(c.deadline) }) + ' · ');
    facts.append(open ? el('span', { cls: 'badge', data: { open: '1' } }, icon('clock'), t('checkOpen', { left: fmtAge(left) }))
      : el('span', { cls: 'badge' }, t('checkClosed')));
    if (c.require_confirmation) facts.append(' · ' + t('checkConfirm'));
    const sm = c.summary;
    $('readiness-progress-wrap').hidden = false;
    $('readiness-progress').max = Math.max(1, sm.providers);
    $('readiness-progress').value = sm.responded;
    $('readiness-progress-text').textContent = t('checkProgress', { n: sm.responded, t: sm.providers });
    summary.append(tile('s-normal', sm.answered, 'normal', t('sum_answered')));
    if (sm.pending || open) summary.append(tile('o-pending', sm.pending, 'clock', t('sum_pending')));
    summary.append(tile(sm.missing ? 's-closed' : '', sm.missing, 'closed', t('sum_missing')));
    summary.append(tile(sm.late ? 's-reduced' : '', sm.late, 'reduced', t('sum_late')));
    summary.append(tile(sm.failed_self_tests ? 's-reduced' : '', sm.failed_self_tests, 'old', t('sum_failed')));
    if (c.require_confirmation) summary.append(tile(sm.unconfirmed ? 's-reduced' : '', sm.unconfirmed, 'reduced', t('sum_unconfirmed')));
    const rates = new Map();
    const h = state.readinessHistory;
    if (h && h.rates && h.rates.check_id === c.check_id) for (const p of h.rates.providers) rates.set(p.provider, p);
    const rows = c.providers.slice().sort((a, b) => (OUTCOME_ORDER[a.outcome] - OUTCOME_ORDER[b.outcome]) ||
      (b.failed_self_tests.length - a.failed_self_tests.length) || a.name.localeCompare(b.name, 'sv'));
    body.replaceChildren();
    if (!rows.length) emptyRow(body, cols.length, t('none'));
    for (const p of rows) {
      const tests = el('td', { cls: 'c-tests' });
      if (p.outcome === 'pending' || p.outcome === 'missing') tests.textContent = '–';
      else if (!p.failed_self_tests.length) tests.append(okBadge(true, t('allTestsPassed')));
      for (const st of (Array.isArray(p.self_tests) ? p.self_tests : []).filter((x) => !x.passed)) {
        tests.append(el('span', { cls: 'sub res-bad' }, icon('reduced'), ' ' + testName(st.name) + (st.detail ? ': ' + st.detail : '')));
      }
      const tr = el('tr', { data: { provider: p.provider, outcome: p.outcome } },
        el('td', {}, el('span', { text: p.name }), el('span', { cls: 'sub', text: p.provider })),
        el('td', { cls: 'c-outcome' }, outcomeBadge(p.outcome)),
        el('td', { cls: 'num', text: p.seconds_to_answer === null ? '–' : fmtAge(p.seconds_to_answer) }),
        tests);
      if (c.require_confirmation) {
        tr.append(el('td', {}, p.confirmed ? okBadge(true, t('yes')) : warnBadge(t('no'))));
      }
      const rate = rates.get(p.provider);
      tr.append(el('td', { cls: 'num', text: rate ? t('rateOf', { p: Math.round(rate.answer_rate_30 * 100), n: rate.checks_counted }) : '–' }));
      body.append(tr);
    }
  }
  renderReadinessHistory();
}

function renderReadinessHistory() {
  const h = state.readinessHistory;
  const cols = ['colCheck', 'colMode', 'colAnswered', 'colLate', 'colMissing', 'colPending', 'colFailed', 'colResult'];
  headRow('readiness-history-head', cols);
  const body = $('readiness-history-body');
  body.replaceChildren();
  if (!h || !h.checks.length) { emptyRow(body, cols.length, t('noHistoryChecks')); return; }
  const live = state.readiness && state.readiness.check;
  for (const listed of h.checks) {
    const c = live && live.check_id === listed.check_id ? live : listed;
    const sm = c.summary;
    const open = !c.deadline_passed;
    const result = open ? el('span', { cls: 'badge' }, icon('clock'), t('resultOpen'))
      : okBadge(sm.all_good, sm.all_good ? t('resultGood') : t('resultBad'));
    body.append(el('tr', { data: { check: c.check_id } },
      el('td', {}, el('span', { text: fmtTime(c.issued_at) }), el('span', { cls: 'sub', text: c.check_id })),
      el('td', {}, modeBadge(c.mode)),
      el('td', { cls: 'num', text: sm.answered + ' / ' + sm.providers }),
      el('td', { cls: 'num', text: sm.late }),
      el('td', { cls: 'num' + (sm.missing ? ' res-bad' : ''), text: sm.missing }),
      el('td', { cls: 'num', text: sm.pending }),
      el('td', { cls: 'num' + (sm.failed_self_tests ? ' res-warn' : ''), text: sm.failed_self_tests }),
      el('td', {}, result)));
  }
}
