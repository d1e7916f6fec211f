// The directives tab: the operator's form (reviewed, then confirmed, before it is signed and sent)
// and every directive sent, with who has it and who acknowledged it.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, emptyRow, headRow, icon, modeBadge, okBadge, warnBadge } from './dom.js';
import { fmtTime, levelName, n, providerLabel } from './format.js';
import { api, HttpError } from './api.js';
import { refreshCity } from './city.js';

// Fetches the directives and shows them.
export async function loadDirectives() {
  state.directives = await api('/api/directives');
  state.cityError = null;
  renderDirectives();
}

export function renderDirectives() {
  const d = state.directives;
  const isOperator = state.session && state.session.role === 'operator';
  $('directive-form').hidden = !isOperator;
  const note = $('directives-note');
  note.classList.remove('error');
  note.textContent = isOperator ? '' : t('directiveOperatorOnly');
  if (!d) return;
  if (isOperator) {
    const sel = $('d-recipients');
    const chosen = new Set([...sel.selectedOptions].map((o) => o.value));
    sel.replaceChildren(...d.enrolled.map((p) => {
      const o = el('option', { text: p.name + ' (' + p.id + ')', attrs: { value: p.id } });
      o.selected = chosen.has(p.id);
      return o;
    }));
  }
  if (d.total > d.directives.length) note.textContent = (note.textContent ? note.textContent + ' ' : '') + t('directivesShown', { n: d.directives.length, t: d.total });
  const cols = ['colDirective', 'colText', 'colLevel', 'colExpires', 'colDelivered', 'colAcked', 'colStillMissing'];
  headRow('directives-head', cols);
  const body = $('directives-body');
  body.replaceChildren();
  if (!d.directives.length) { emptyRow(body, cols.length, t('noDirectives')); return; }
  const names = (ids) => ids.map((id) => providerLabel(id, d.providers)).join(', ');
  for (const x of d.directives) {
    const first = el('td', {}, el('span', { cls: 'strong', text: x.id }), el('span', { cls: 'sub', text: fmtTime(x.issued_at) }));
    if (x.mode !== 'actual') first.append(' ', modeBadge(x.mode));
    const expires = el('td', {}, el('span', { text: fmtTime(x.expires_at) }));
    if (x.expired) expires.append(el('span', { cls: 'old-mark sub' }, icon('old'), ' ' + t('expired')));
    const delivered = x.delivered_to.length;
    const deliveredCell = el('td', {}, delivered === x.recipients ? okBadge(true, t('ofN', { n: delivered, t: x.recipients }))
      : warnBadge(t('ofN', { n: delivered, t: x.recipients })));
    const acked = x.acknowledged_by.length;
    const ackCell = el('td', {});
    if (!x.require_ack) ackCell.append(el('span', { cls: 'sub', text: t('ackNotRequired') }));
    else ackCell.append(acked === x.recipients ? okBadge(true, t('ofN', { n: acked, t: x.recipients }))
      : warnBadge(t('ofN', { n: acked, t: x.recipients })));
    const missing = el('td', { cls: 'c-missing' });
    if (x.missing.length) missing.append(el('span', { cls: 'sub', text: t('notDelivered', { list: names(x.missing) }) }));
    if (x.require_ack && x.not_acknowledged.length) missing.append(el('span', { cls: 'sub', text: t('notAcked', { list: names(x.not_acknowledged) }) }));
    if (!missing.childNodes.length) missing.append(okBadge(true, x.require_ack ? t('everyoneAcked') : t('everyoneHasIt')));
    body.append(el('tr', { data: { directive: x.id } }, first,
      el('td', { cls: 'note c-text', text: x.text }),
      el('td', { text: levelName(x.level) }), expires, deliveredCell, ackCell, missing));
  }
}

function directiveRequest() {
  const some = $('d-to-some').checked;
  const to = some ? [...$('d-recipients').selectedOptions].map((o) => o.value) : 'all';
  const body = { to, text: $('d-text').value, require_ack: $('d-ack').checked, expires: $('d-expires').value, mode: $('d-mode').value };
  if ($('d-level').value !== 'unchanged') body.level = $('d-level').value;
  return body;
}

export function reviewDirective(ev) {
  ev.preventDefault();
  const result = $('d-result');
  result.className = '';
  result.textContent = '';
  const body = directiveRequest();
  if (!body.text.trim()) { result.className = 'error'; result.textContent = t('directiveNeedText'); return; }
  if (Array.isArray(body.to) && !body.to.length) { result.className = 'error'; result.textContent = t('directiveNeedRecipients'); return; }
  const n = Array.isArray(body.to) ? body.to.length : (state.directives ? state.directives.enrolled.length : 0);
  $('d-confirm-text').textContent = t('directiveConfirm', {
    mode: body.mode === 'exercise' ? t('directiveConfirmExercise') : '', n, level: levelName(body.level || 'unchanged'),
    exp: t('exp_' + body.expires), ack: body.require_ack ? t('directiveConfirmAck') : '' });
  state.pendingDirective = body;
  $('d-confirm').hidden = false;
  $('d-send').focus();
}

export async function sendDirective() {
  const body = state.pendingDirective;
  if (!body) return;
  $('d-send').disabled = true;
  const result = $('d-result');
  try {
    const answer = await api('/api/directives', { method: 'POST', body });
    const d = answer.directive;
    result.className = 'ok-text';
    result.textContent = t('directiveSent', { id: d.id, n: d.recipients });
    $('d-text').value = '';
    state.pendingDirective = null;
    $('d-confirm').hidden = true;
    refreshCity(true);
  } catch (e) {
    if (!(e instanceof HttpError && e.status === 401)) {
      result.className = 'error';
      result.textContent = t('directiveFailed', { m: e.message });
    }
  } finally {
    $('d-send').disabled = false;
  }
}
