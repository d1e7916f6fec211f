// One unit's report form: every field of the unit status and the capacity rows, prefilled from
// the unit's last report, and the payload of only the fields the person changed (a report changes
// what it names; the rest carries forward). Field names are those of `samband-agent last --json`,
// which POST /api/units/UNIT/report takes (agent/report_json.h).
import { t } from './i18n.js';

const OPERATIONAL = ['normal', 'reduced', 'remote', 'closed', 'relocated', 'unknown'];
const OFFERED = ['yes', 'no', 'unknown'];
const ELECTRICITY = ['grid', 'backup', 'none', 'unknown'];
const SUPPLY = ['ok', 'degraded', 'down', 'unknown'];
export const FORMS = ['forskola', 'forskoleklass', 'grundskola', 'gymnasieskola', 'fritidshem',
  'anpassad_grundskola', 'anpassad_gymnasieskola'];

// Sections in page order; each field: key (the JSON path), kind, options and their text keys.
const SECTIONS = [
  { title: 'secStatus', fields: [
    { key: 'operational', kind: 'select', options: OPERATIONAL, text: (v) => 'op_' + v, wide: true },
    { key: 'reason', kind: 'text', max: 200, wide: true },
    { key: 'expected_reopen', kind: 'date' },
    { key: 'valid_until', kind: 'date' },
    { key: 'closed_until', kind: 'date' },
  ] },
  { title: 'secPupils', fields: [
    { key: 'pupils_enrolled', kind: 'count' }, { key: 'pupils_present', kind: 'count' },
    { key: 'staff_total', kind: 'count' }, { key: 'staff_available', kind: 'count' },
  ] },
  { title: 'secCare', fields: [
    { key: 'critical_care', kind: 'select', options: OFFERED, text: (v) => v, wide: true },
    { key: 'special_support', kind: 'select', options: OFFERED, text: (v) => v, wide: true },
  ] },
  { title: 'secSupply', fields: [
    { key: 'electricity', kind: 'select', options: ELECTRICITY, text: (v) => (v === 'unknown' ? 'unknown' : 'el_' + v) },
    { key: 'backup_hours', kind: 'count' },
    ...['heating', 'water', 'food', 'it', 'telephony'].map((r) => ({
      key: 'resources.' + r, label: r, kind: 'select', options: SUPPLY,
      text: (v) => (v === 'unknown' ? 'unknown' : 'sup_' + v) })),
    { key: 'food_days', kind: 'count' },
  ] },
  { title: 'secNote', fields: [{ key: 'note', kind: 'textarea', max: 1000, wide: true }] },
];

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

function pathGet(obj, path) {
  return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

// "2026-03-02T07:00:00Z" -> "2026-03-02" (the local date); '' for none.
function dateOf(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}

function valueOf(field, last) {
  if (!last) return '';
  const v = pathGet(last, field.key);
  if (v === null || v === undefined) return '';
  if (field.kind === 'date') return dateOf(v);
  return String(v);
}

function markChanged(input) {
  input.classList.toggle('changed', input.value !== input.dataset.base);
  input.classList.remove('invalid');
  input.removeAttribute('aria-invalid');
}

// Builds the fields of unit `code` into `form` (ids prefixed with the unit code, so labels stay
// tied to their inputs when several units are on the page).
export function buildFields(form, code) {
  for (const section of SECTIONS) {
    const fs = el('fieldset');
    fs.append(el('legend', {}, t(section.title)));
    const grid = el('div', { class: 'grid' });
    for (const f of section.fields) {
      const id = `u${code}-${f.key.replace('.', '-')}`;
      const wrap = el('div', { class: 'field' + (f.wide ? ' wide' : '') });
      const label = el('label', { for: id }, t(f.label || f.key));
      wrap.append(label);
      let input;
      if (f.kind === 'select') {
        input = el('select', { id, name: f.key });
        input.append(el('option', { value: '' }, t('choose')));
        for (const o of f.options) input.append(el('option', { value: o }, t(f.text(o))));
      } else if (f.kind === 'textarea') {
        input = el('textarea', { id, name: f.key, rows: 3, maxlength: f.max });
      } else if (f.kind === 'date') {
        input = el('input', { id, name: f.key, type: 'date', 'aria-describedby': id + '-hint' });
        wrap.append(input);
        wrap.append(el('span', { class: 'hint', id: id + '-hint' }, t('dateHint')));
        input = null;
      } else if (f.kind === 'count') {
        // Text, not type=number: a mistyped value must reach the agent, which names the field,
        // instead of silently becoming "unknown".
        input = el('input', { id, name: f.key, inputmode: 'numeric', autocomplete: 'off',
          'aria-describedby': id + '-hint' });
        wrap.append(input);
        wrap.append(el('span', { class: 'hint', id: id + '-hint' }, t('countHint')));
        input = null;
      } else {
        input = el('input', { id, name: f.key, maxlength: f.max, autocomplete: 'off' });
      }
      if (input) wrap.append(input);
      const control = wrap.querySelector('input, select, textarea');
      control.dataset.field = f.key;
      control.dataset.kind = f.kind;
      control.dataset.base = '';
      control.addEventListener('input', () => markChanged(control));
      control.addEventListener('change', () => markChanged(control));
      grid.append(wrap);
    }
    fs.append(grid);
    form.append(fs);
  }
  const cap = el('fieldset', { class: 'capacity' });
  cap.append(el('legend', {}, t('secCapacity')));
  cap.append(el('div', { class: 'cap-rows' }));
  const add = el('div', { class: 'cap-new' });
  const formId = `u${code}-newform`;
  const yearId = `u${code}-newyear`;
  const formWrap = el('div', { class: 'field' });
  formWrap.append(el('label', { for: formId }, t('addRowForm')));
  const formSel = el('select', { id: formId });
  for (const f of FORMS) formSel.append(el('option', { value: f }, t('form_' + f)));
  formWrap.append(formSel);
  const yearWrap = el('div', { class: 'field' });
  yearWrap.append(el('label', { for: yearId }, t('addRowYear')));
  const yearIn = el('input', { id: yearId, inputmode: 'numeric', autocomplete: 'off' });
  yearWrap.append(yearIn);
  const addBtn = el('button', { type: 'button' }, t('addRow'));
  const addMsg = el('p', { class: 'error', role: 'alert' });
  addBtn.addEventListener('click', () => {
    addMsg.textContent = '';
    const year = yearIn.value.trim();
    if (!/^\d{1,2}$/.test(year) || Number(year) > 13) { addMsg.textContent = t('badYear'); yearIn.focus(); return; }
    const rows = cap.querySelector('.cap-rows');
    if (rows.querySelector(`[data-row="${formSel.value}:${Number(year)}"]`)) { addMsg.textContent = t('rowExists'); return; }
    const row = capacityRow(code, { form: formSel.value, year: Number(year), enrolled: '', seats_now: '', seats_72h: '' }, true);
    rows.append(row);
    rows.querySelector('.cap-none')?.remove();
    row.querySelector('input').focus();
    yearIn.value = '';
  });
  add.append(formWrap, yearWrap, addBtn);
  cap.append(add, addMsg);
  form.append(cap);
}

function capacityRow(code, entry, isNew) {
  const key = `${entry.form}:${entry.year}`;
  const row = el('div', { class: 'cap-row', 'data-row': key, 'data-new': isNew ? '1' : undefined });
  const titleId = `u${code}-cap-${entry.form}-${entry.year}`;
  row.append(el('p', { class: 'cap-title', id: titleId }, t('capRow', { f: t('form_' + entry.form), y: entry.year })));
  const grid = el('div', { class: 'grid' });
  for (const k of ['enrolled', 'seats_now', 'seats_72h']) {
    const id = `${titleId}-${k}`;
    const wrap = el('div', { class: 'field' });
    wrap.append(el('label', { for: id }, t(k)));
    const input = el('input', { id, inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': titleId });
    input.value = entry[k] === '' || entry[k] === undefined ? '' : String(entry[k]);
    input.dataset.base = isNew ? '\u0000new' : input.value;
    input.dataset.cap = k;
    input.addEventListener('input', () => markChanged(input));
    wrap.append(input);
    grid.append(wrap);
  }
  row.append(grid);
  return row;
}

// Sets every field of `form` (and the baselines changes are measured from) to `last`, the
// unit's last report as GET /api/units/UNIT gives it (null fields: not reported).
export function fillFields(form, code, last) {
  const status = last && last.operational ? last : null;
  form.querySelectorAll('[data-field]').forEach((input) => {
    const field = { key: input.dataset.field, kind: input.dataset.kind };
    input.value = valueOf(field, status);
    input.dataset.base = input.value;
    markChanged(input);
  });
  const rows = form.querySelector('.cap-rows');
  rows.replaceChildren();
  const entries = (last && last.capacity && last.capacity.entries) || [];
  if (entries.length === 0) rows.append(el('p', { class: 'muted cap-none' }, t('noCapacity')));
  for (const e of entries) rows.append(capacityRow(code, e, false));
}

function countValue(v) {
  const s = v.trim();
  if (s === '') return null;
  return /^\d+$/.test(s) ? Number(s) : s;  // a mistyped count goes as text: the agent names it
}

// The changes as a report body, with `inputs` (field path -> input) for showing an error on the
// field the agent names. Empty body: nothing changed.
export function collectChanges(form) {
  const body = {};
  const inputs = {};
  form.querySelectorAll('[data-field]').forEach((input) => {
    if (input.value === input.dataset.base) return;
    const key = input.dataset.field;
    const kind = input.dataset.kind;
    let v = input.value;
    if (kind === 'count') v = countValue(v);
    else if (kind !== 'select' && v.trim() === '') v = null;  // emptied: cleared
    if (key.startsWith('resources.')) {
      body.resources = body.resources || {};
      body.resources[key.slice('resources.'.length)] = v;
    } else {
      body[key] = v;
    }
    inputs[key] = input;
    inputs[key.replace('resources.', '')] = input;
  });
  const rows = [];
  form.querySelectorAll('.cap-row').forEach((row) => {
    const cells = [...row.querySelectorAll('[data-cap]')];
    if (!cells.some((c) => c.value !== c.dataset.base)) return;
    const [form_, year] = row.dataset.row.split(':');
    const entry = { form: form_, year: Number(year) };
    for (const c of cells) {
      const v = countValue(c.value);
      entry[c.dataset.cap] = v === null ? '' : v;  // a capacity row needs every number
      inputs[`capacity[${rows.length}].${c.dataset.cap}`] = c;
    }
    inputs[`capacity[${rows.length}]`] = cells[0];
    rows.push(entry);
  });
  if (rows.length) {
    body.capacity = rows;
    inputs.capacity = form.querySelector('[data-cap]');
  }
  return { body, inputs };
}
