// The user's own account: who is logged in (and which districts they see), and changing their
// own password (POST /api/password: the old password is required; the user's other sessions end,
// this one stays).
import { t } from './i18n.js';
import { state } from './state.js';
import { $ } from './dom.js';
import { api, HttpError } from './api.js';

// "anna (operatör)" and, for a user limited to districts, " · Bromma, Farsta".
export function whoText() {
  const s = state.session;
  if (!s) return '';
  const d = s.districts || [];
  return s.name + ' (' + t(s.role) + ')' + (d.length ? ' · ' + d.join(', ') : '');
}

// Shows the change-password panel instead of the board (or takes it away again).
export function showAccount(show) {
  state.account = show;
  $('account-view').hidden = !show;
  $(state.wall ? 'wall-view' : 'board-view').hidden = show;
  if (!show) return;
  const d = (state.session && state.session.districts) || [];
  $('account-facts').textContent = t('accountFacts', { who: whoText(), d: d.length ? d.join(', ') : t('allDistricts') });
  $('account-name').value = state.session ? state.session.name : '';
  $('account-result').textContent = '';
  $('account-result').className = '';
  $('account-old').focus();
}

export async function submitPassword(ev) {
  ev.preventDefault();
  const result = $('account-result');
  const say = (text, ok) => { result.textContent = text; result.className = ok ? 'ok-text' : 'error'; };
  const oldPassword = $('account-old').value;
  const newPassword = $('account-new').value;
  if (newPassword !== $('account-repeat').value) { say(t('passwordMismatch'), false); return; }
  $('account-submit').disabled = true;
  try {
    const r = await api('/api/password', { method: 'POST', body: { old_password: oldPassword, new_password: newPassword } });
    for (const id of ['account-old', 'account-new', 'account-repeat']) $(id).value = '';
    const ended = r.sessions_ended;
    say(t(ended === 0 ? 'passwordChanged0' : ended === 1 ? 'passwordChanged1' : 'passwordChanged', { n: ended }), true);
  } catch (e) {
    if (e instanceof HttpError && e.status === 403 && e.body && e.body.error === 'wrong_password') say(t('wrongOldPassword'), false);
    else if (e instanceof HttpError && e.status === 429) say(t('tooMany', { s: (e.body && e.body.retry_after_s) || '?' }), false);
    else if (!(e instanceof HttpError && e.status === 401)) say(t('passwordFailed', { m: e.message }), false);
  } finally {
    $('account-submit').disabled = false;
  }
}
