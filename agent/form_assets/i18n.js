// The reporting page's texts, Swedish (default) and English, and the language in use (kept in
// localStorage). Every text on the page comes from here through t(); what the server or the
// city sends is shown as text, never as markup.

const TEXT = {
  sv: {
    title: 'Rapportera läget', skip: 'Hoppa till innehållet', logout: 'Logga ut',
    loginTitle: 'Logga in', userName: 'Användarnamn', password: 'Lösenord', loginButton: 'Logga in',
    wrongCredentials: 'Fel användarnamn eller lösenord.',
    tooMany: 'För många misslyckade försök. Vänta {s} s och försök igen.',
    loginFailed: 'Inloggningen misslyckades: {m}', sessionEnded: 'Sessionen har upphört. Logga in igen.',
    loggedInAs: 'Inloggad som {n}', providerLine: 'Huvudman {p} ({id})', yourUnits: 'Dina enheter',
    noUnits: 'Ditt konto får inte rapportera för någon enhet. Be IT-ansvarig lägga till en.',
    unit: 'Enhet {u}', lastReport: 'Senaste rapport {t}', noReportYet: 'Ingen rapport ännu: välj läge.',
    loading: 'Hämtar …', loadFailed: 'Kunde inte hämta enheten: {m}',
    secStatus: 'Läge', secPupils: 'Elever och personal', secCare: 'Omsorg', secSupply: 'El och försörjning',
    secNote: 'Notering', secCapacity: 'Platser (skolform och årskurs)',
    operational: 'Läge', reason: 'Orsak (om inte normalt)', expected_reopen: 'Väntas öppna igen',
    valid_until: 'Gäller till', closed_until: 'Stängd till och med', pupils_enrolled: 'Inskrivna elever', pupils_present: 'Närvarande elever',
    staff_total: 'Personal totalt', staff_available: 'Tillgänglig personal',
    critical_care: 'Omsorg för barn till samhällsviktig personal', special_support: 'Omsorg för elever i behov av särskilt stöd',
    electricity: 'El', backup_hours: 'Timmar reservkraft kvar', heating: 'Värme', water: 'Vatten', food: 'Mat',
    it: 'IT', telephony: 'Telefoni', food_days: 'Dagar med mat i lager', note: 'Notering (inga namn eller personnummer)',
    countHint: 'Tomt = okänt', dateHint: 'Tomt = inget datum',
    choose: '– välj –',
    op_normal: 'Normal verksamhet', op_reduced: 'Reducerad verksamhet', op_remote: 'Lokalerna stängda, fjärrundervisning',
    op_closed: 'Stängd', op_relocated: 'Omlokaliserad', op_unknown: 'Okänt',
    yes: 'Ja', no: 'Nej', unknown: 'Okänt',
    el_grid: 'Elnät', el_backup: 'Reservkraft', el_none: 'Ingen el',
    sup_ok: 'Fungerar', sup_degraded: 'Begränsad', sup_down: 'Nere',
    form_forskola: 'Förskola', form_forskoleklass: 'Förskoleklass', form_grundskola: 'Grundskola',
    form_gymnasieskola: 'Gymnasieskola', form_fritidshem: 'Fritidshem',
    form_anpassad_grundskola: 'Anpassad grundskola', form_anpassad_gymnasieskola: 'Anpassad gymnasieskola',
    capRow: '{f}, årskurs {y}', enrolled: 'Inskrivna', seats_now: 'Lediga platser nu', seats_72h: 'Lediga inom 72 h',
    noCapacity: 'Inga platser rapporterade ännu.', addRowForm: 'Skolform', addRowYear: 'Årskurs', addRow: 'Lägg till rad',
    badYear: 'Årskurs är 0–13.', rowExists: 'Den raden finns redan.',
    submit: 'Skicka rapport', reset: 'Ångra ändringar',
    nothingChanged: 'Inget är ändrat. Ändra det som gäller nu och skicka igen.',
    changedCount: '{n} ändrade fält skickas; resten står kvar som i förra rapporten.',
    sending: 'Skickar …',
    queuedConnected: 'Köad som nr {seq}: skickas till kommunen nu …',
    queuedOffline: 'Köad som nr {seq}: kommunens server nås inte just nu. Rapporten ligger kvar och skickas när förbindelsen är tillbaka.',
    delivered: 'Levererad: kommunen har tagit emot rapporten (nr {seq}) {t}.',
    refused: 'Avvisad av kommunen (nr {seq}): {r}. {a}',
    invalid: 'Rapporten skickades inte: {m}',
    forbidden: 'Du får inte rapportera för den här enheten.',
    failed: 'Rapporten skickades inte: {m}',
    recent: 'Senaste rapporterna', noRecent: 'Inga rapporter ännu.',
    st_queued: 'köad', st_delivered: 'levererad', st_refused: 'avvisad',
    kind_unit_status: 'läge', kind_capacity: 'platser', kind_continuity: 'fortsättning',
    by: 'av {b}', seqNo: 'nr {s}',
    rs_unit_not_owned: 'enheten hör inte till huvudmannen i kommunens register',
    rs_personal_data: 'texten innehåller något som liknar ett personnummer',
    rs_clock_skew: 'serverns klocka gick fel när rapporten skrevs',
    rs_forbidden: 'meddelandet är inte tillåtet', rs_malformed: 'kommunen kunde inte läsa rapporten',
    language: 'Svenska',
  },
  en: {
    title: 'Report the situation', skip: 'Skip to content', logout: 'Log out',
    loginTitle: 'Log in', userName: 'User name', password: 'Password', loginButton: 'Log in',
    wrongCredentials: 'Wrong user name or password.',
    tooMany: 'Too many failed attempts. Wait {s} s and try again.',
    loginFailed: 'Login failed: {m}', sessionEnded: 'The session has ended. Log in again.',
    loggedInAs: 'Logged in as {n}', providerLine: 'Provider {p} ({id})', yourUnits: 'Your units',
    noUnits: 'Your account may not report for any unit. Ask IT to add one.',
    unit: 'Unit {u}', lastReport: 'Last report {t}', noReportYet: 'No report yet: choose the state.',
    loading: 'Loading …', loadFailed: 'Could not load the unit: {m}',
    secStatus: 'State', secPupils: 'Pupils and staff', secCare: 'Care', secSupply: 'Power and supplies',
    secNote: 'Note', secCapacity: 'Seats (school form and year)',
    operational: 'State', reason: 'Reason (when not normal)', expected_reopen: 'Expected to reopen',
    valid_until: 'Valid until', closed_until: 'Closed until (last day)', pupils_enrolled: 'Pupils enrolled', pupils_present: 'Pupils present',
    staff_total: 'Staff in total', staff_available: 'Staff available',
    critical_care: 'Care for children of critical workers', special_support: 'Care for pupils needing special support',
    electricity: 'Electricity', backup_hours: 'Hours of backup power left', heating: 'Heating', water: 'Water', food: 'Food',
    it: 'IT', telephony: 'Telephony', food_days: 'Days of food in stock', note: 'Note (no names or identity numbers)',
    countHint: 'Empty = unknown', dateHint: 'Empty = no date',
    choose: '– choose –',
    op_normal: 'Normal operation', op_reduced: 'Reduced operation', op_remote: 'Premises closed, remote teaching',
    op_closed: 'Closed', op_relocated: 'Relocated', op_unknown: 'Unknown',
    yes: 'Yes', no: 'No', unknown: 'Unknown',
    el_grid: 'Grid', el_backup: 'Backup power', el_none: 'No power',
    sup_ok: 'Working', sup_degraded: 'Degraded', sup_down: 'Down',
    form_forskola: 'Preschool', form_forskoleklass: 'Preschool class', form_grundskola: 'Compulsory school',
    form_gymnasieskola: 'Upper secondary', form_fritidshem: 'After-school centre',
    form_anpassad_grundskola: 'Adapted compulsory school', form_anpassad_gymnasieskola: 'Adapted upper secondary',
    capRow: '{f}, year {y}', enrolled: 'Enrolled', seats_now: 'Seats free now', seats_72h: 'Seats free within 72 h',
    noCapacity: 'No seats reported yet.', addRowForm: 'School form', addRowYear: 'Year', addRow: 'Add row',
    badYear: 'Year is 0–13.', rowExists: 'That row is already there.',
    submit: 'Send report', reset: 'Undo changes',
    nothingChanged: 'Nothing has changed. Change what holds now and send again.',
    changedCount: '{n} changed fields are sent; the rest stays as in the last report.',
    sending: 'Sending …',
    queuedConnected: 'Queued as no. {seq}: being sent to the city now …',
    queuedOffline: 'Queued as no. {seq}: the city\'s server cannot be reached right now. The report waits and is sent when the link is back.',
    delivered: 'Delivered: the city has received the report (no. {seq}) {t}.',
    refused: 'Refused by the city (no. {seq}): {r}. {a}',
    invalid: 'The report was not sent: {m}',
    forbidden: 'You may not report for this unit.',
    failed: 'The report was not sent: {m}',
    recent: 'Recent reports', noRecent: 'No reports yet.',
    st_queued: 'queued', st_delivered: 'delivered', st_refused: 'refused',
    kind_unit_status: 'state', kind_capacity: 'seats', kind_continuity: 'continuity',
    by: 'by {b}', seqNo: 'no. {s}',
    rs_unit_not_owned: 'the unit is not the provider\'s in the city\'s roster',
    rs_personal_data: 'the text holds what looks like a personal identity number',
    rs_clock_skew: 'the server\'s clock was wrong when the report was signed',
    rs_forbidden: 'the message is not allowed', rs_malformed: 'the city could not read the report',
    language: 'English',
  },
};

let lang = 'sv';
try {
  const kept = localStorage.getItem('samband-form-lang');
  if (kept === 'en' || kept === 'sv') lang = kept;
} catch (e) { /* storage may be off: Swedish */ }

export function language() { return lang; }
export function setLanguage(l) {
  lang = l === 'en' ? 'en' : 'sv';
  try { localStorage.setItem('samband-form-lang', lang); } catch (e) { /* not kept */ }
  document.documentElement.lang = lang;
}
// The text `key` in the language in use, with {name} replaced from `vars`.
export function t(key, vars = {}) {
  const s = (TEXT[lang] && TEXT[lang][key]) || TEXT.sv[key] || key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}
// Fills every element with data-t="key" in `root`.
export function translateStatic(root = document) {
  root.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
}
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'en' ? 'en-GB' : 'sv-SE', { dateStyle: 'short', timeStyle: 'short' });
}
