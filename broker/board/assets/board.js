// Samband board: renders the JSON API of docs/api.md and follows /api/events (SSE) to stay live.
// Rules: every piece of provider-supplied text is set with textContent, never parsed as markup;
// state is always shown as a word and a shape, colour only repeats it; no inline script or
// style (the Content-Security-Policy forbids both).
'use strict';

(() => {
  // ---------------------------------------------------------------- texts (sv default, en)
  const TEXT = {
    sv: {
      title: 'Samband – lägesbild', largeText: 'Stor text', normalText: 'Normal text',
      logout: 'Logga ut', loginTitle: 'Logga in', userName: 'Användarnamn', password: 'Lösenord',
      loginButton: 'Logga in', wrongCredentials: 'Fel användarnamn eller lösenord.',
      tooMany: 'För många misslyckade försök. Vänta {s} s och försök igen.',
      loginFailed: 'Inloggningen misslyckades: {m}', sessionEnded: 'Sessionen har upphört. Logga in igen.',
      tabUnits: 'Enheter', tabProviders: 'Huvudmän', tabCapacity: 'Lediga platser',
      tabExercise: 'Övning och test', search: 'Sök', district: 'Stadsdel', provider: 'Huvudman',
      state: 'Läge', schoolForm: 'Skolform', all: 'Alla', noDistrict: '(utan stadsdel)',
      exportCsv: 'Exportera CSV', exportExcel: 'CSV för Excel', unitsShown: '{n} av {t} enheter',
      colUnit: 'Enhet', colProvider: 'Huvudman', colDistrict: 'Stadsdel', colState: 'Läge',
      colPupils: 'Elever närv./inskr.', colStaff: 'Personal tillg./totalt', colPower: 'El',
      colResources: 'Övriga resurser', colNote: 'Notering', colAge: 'Rapportens ålder',
      colLiveness: 'Huvudmannens uppkoppling', colWhatIf: 'Planering',
      colId: 'Org.nr', colLastSeen: 'Senast hörd', colContinuity: 'Fortsättning',
      colUnits: 'Enheter', colMode: 'Trafik', colReported: 'Rapporterad',
      colForm: 'Skolform', colYear: 'Årskurs', colEnrolled: 'Inskrivna', colSeatsNow: 'Lediga nu',
      colSeats72: 'Lediga inom 72 h', colUnitCount: 'Enheter',
      st_normal: 'Normal', st_reduced: 'Reducerad', st_remote: 'Fjärrundervisning',
      st_closed: 'Stängd', st_relocated: 'Omlokaliserad', st_unknown: 'Okänt',
      lv_online: 'Uppkopplad', lv_stale: 'Tyst', lv_offline: 'Frånkopplad', lv_never: 'Aldrig hörd',
      level_normal: 'Normalläge', level_heightened: 'Skärpt beredskap', level_highest: 'Högsta beredskap',
      levelLabel: 'Stadens beredskap', newestReport: 'Senaste rapport', none: 'ingen',
      unitsTotal: 'Enheter', providersTotal: 'Huvudmän',
      el_grid: 'Elnät', el_backup: 'Reservkraft', el_none: 'Ingen el', el_unknown: 'Okänt',
      backupHours: '{h} h kvar',
      res_heating: 'Värme', res_water: 'Vatten', res_food: 'Mat', res_it: 'IT', res_telephony: 'Telefoni',
      sup_ok: 'ok', sup_degraded: 'begränsad', sup_down: 'nere', sup_unknown: 'okänt',
      allOk: 'Allt ok', foodDays: 'mat för {d} dagar', notReported: 'Ingen rapport',
      old: 'gammal', expired: 'utgången', ago: 'sedan', never: 'aldrig',
      cont_ok: 'ok', cont_at_risk: 'Risk', cont_cannot_continue: 'Kan inte fortsätta',
      live: 'Live', notLive: 'Inte live',
      notLiveBanner: 'Inte live: anslutningen till brokern är bruten. Försöker igen … Visar läget från {t}.',
      backToProviders: '← Alla huvudmän', providerUnits: 'Enheter', timeline: 'Rapporter, senaste först',
      showMore: 'Visa fler', noHistory: 'Inga rapporter i arkivet ännu.',
      k_unit_status: 'Lägesrapport', k_capacity: 'Kapacitet', k_continuity: 'Fortsättning',
      k_readiness_answer: 'Svar på beredskapskontroll', k_directive_ack: 'Kvittens av direktiv',
      k_key_rotation: 'Nyckelbyte', k_heartbeat: 'Livstecken', undecodable: 'kan inte avkodas',
      pupilsStaff: 'elever {p}/{e}, personal {a}/{t}', capacityRows: '{n} rader',
      testsPassed: '{p} av {t} självtester godkända', confirmedByPerson: 'bekräftad av en person',
      capacityCity: 'Lediga platser i hela staden', capacityDistricts: 'Per stadsdel',
      capacityExcluded: 'Enheter som är stängda eller har fjärrundervisning räknas inte ({n} st).',
      noCapacity: 'Inga kapacitetsrapporter ännu.',
      exerciseTitle: 'Övnings- och testtrafik',
      exerciseExplain: 'Rapporter skickade som övning, test eller system. De ingår aldrig i lägesbilden.',
      exerciseNote: '{n} enheter har rapporterat övnings- eller testtrafik. Den visas bara under fliken "Övning och test".',
      exerciseNote1: 'En enhet har rapporterat övnings- eller testtrafik. Den visas bara under fliken "Övning och test".',
      mode_exercise: 'Övning', mode_test: 'Test', mode_system: 'System', mode_actual: 'Skarp',
      noExercise: 'Ingen övnings- eller testtrafik.',
      whatIfMark: 'Markera som fallerande', whatIfUnmark: 'Ta bort markering',
      whatIfOn: 'Markerad som fallerande (planering)', whatIfFailed: 'Markeringen misslyckades: {m}',
      generated: 'Uppdaterad {t}', operator: 'operatör', viewer: 'läsare',
      form_forskola: 'Förskola', form_forskoleklass: 'Förskoleklass', form_grundskola: 'Grundskola',
      form_gymnasieskola: 'Gymnasieskola', form_fritidshem: 'Fritidshem',
      form_anpassad_grundskola: 'Anpassad grundskola', form_anpassad_gymnasieskola: 'Anpassad gymnasieskola',
      oldReports: 'Gamla rapporter', pupilsPresent: 'Elever närvarande',
      tabReadiness: 'Beredskapskontroll', tabDirectives: 'Direktiv', tabPlanning: 'Planering',
      loadFailed: 'Kunde inte hämtas: {m}', cancel: 'Avbryt', yes: 'Ja', no: 'Nej',
      readinessToday: 'Dagens beredskapskontroll', readinessLatest: 'Senaste beredskapskontrollen',
      readinessTitle: 'Beredskapskontroll', readinessHistory: 'Tidigare kontroller',
      noCheck: 'Ingen beredskapskontroll har skickats ännu.',
      checkIssued: 'skickad {t}', checkDeadline: 'svar senast {t}',
      checkOpen: 'pågår, {left} kvar', checkClosed: 'avslutad', checkConfirm: 'en person ska bekräfta',
      checkProgress: '{n} av {t} huvudmän har svarat',
      out_answered: 'Svarade i tid', out_late: 'Svarade sent', out_missing: 'Saknas', out_pending: 'Väntar på svar',
      sum_answered: 'Svarade i tid', sum_late: 'Sena svar', sum_missing: 'Saknas', sum_pending: 'Väntar',
      sum_failed: 'Misslyckade självtester', sum_unconfirmed: 'Ej bekräftade',
      colOutcome: 'Utfall', colAnswerTime: 'Svarstid', colSelfTests: 'Självtester', colConfirmed: 'Bekräftad',
      colRate: 'Svar i tid (senaste 30)', colCheck: 'Kontroll', colAnswered: 'I tid', colLate: 'Sena',
      colMissing: 'Saknas', colPending: 'Väntar', colFailed: 'Misslyckade test', colResult: 'Resultat',
      allTestsPassed: 'Alla godkända', rateOf: '{p} % av {n}', noHistoryChecks: 'Inga tidigare kontroller.',
      resultGood: 'Alla svarade, inga fel', resultBad: 'Brister', resultOpen: 'Pågår',
      test_broker_link: 'Anslutning till brokern', test_clock_skew: 'Klockan', test_disk_free: 'Diskutrymme',
      test_outbox_depth: 'Kö att skicka', test_key_file_mode: 'Nyckelfilens rättigheter',
      test_status_age: 'Lägesrapportens ålder', test_duty_contact: 'Jourkontakt',
      directiveNew: 'Skicka direktiv', directiveTo: 'Mottagare', directiveToAll: 'Alla anslutna huvudmän',
      directiveToSome: 'Valda huvudmän', directiveText: 'Text till huvudmännen',
      directiveLevel: 'Stadens beredskapsnivå', directiveExpires: 'Giltigt', directiveMode: 'Trafik',
      directiveAck: 'En person hos varje huvudman ska kvittera', directiveReview: 'Granska och skicka …',
      directiveSend: 'Skicka direktivet', directiveList: 'Skickade direktiv',
      levelUnchanged: 'Oförändrad', expiresIn: '{d}', exp_1h: '1 timme', exp_8h: '8 timmar',
      exp_24h: '24 timmar', exp_3d: '3 dygn', exp_7d: '7 dygn',
      directiveNeedText: 'Skriv vad huvudmännen ska veta eller göra.',
      directiveNeedRecipients: 'Välj minst en huvudman, eller Alla.',
      directiveConfirm: 'Skicka {mode}direktiv till {n} huvudmän? Nivå: {level}. Giltigt {exp}.{ack} Direktivet signeras av staden och kan inte dras tillbaka.',
      directiveConfirmExercise: 'övnings', directiveConfirmAck: ' Kvittens krävs.',
      directiveSent: 'Direktiv {id} är skickat till {n} huvudmän.', directiveFailed: 'Direktivet skickades inte: {m}',
      noDirectives: 'Inga direktiv har skickats.', directivesShown: 'Visar {n} av {t} direktiv.',
      directiveOperatorOnly: 'Bara operatörer kan skicka direktiv; du kan se vilka som har fått och kvitterat dem.',
      colDirective: 'Direktiv', colText: 'Text', colLevel: 'Nivå', colExpires: 'Giltigt till',
      colDelivered: 'Levererat', colAcked: 'Kvitterat', colStillMissing: 'Saknas',
      ofN: '{n} av {t}', ackNotRequired: 'krävs inte', notDelivered: 'Ej levererat: {list}',
      notAcked: 'Ej kvitterat: {list}', everyoneHasIt: 'Alla har fått det', everyoneAcked: 'alla har kvitterat',
      planHorizon: 'Lediga platser', hz_now: 'nu', hz_72h: 'inom 72 h',
      planIncludeWhatIf: 'Räkna med enheter markerade som fallerande (planering)',
      planTitle: 'Övertagandeplan', planFailing: 'Fallerande enheter', planPlacements: 'Placeringar',
      planUnplaced: 'Kan inte placeras', planNoFailing: 'Inga enheter faller just nu.',
      planNoPlacements: 'Inga elever att placera.', planNothingUnplaced: 'Alla elever kan placeras.',
      planWhatIfHint: 'Operatörer markerar enheter som fallerande under fliken Enheter.',
      sum_failingUnits: 'Fallerande enheter', sum_toPlace: 'Elever att placera', sum_placed: 'Placerade',
      sum_unplaced: 'Kan inte placeras', sum_pupilKm: 'Elevkilometer',
      why_closed: 'Stängd', why_cannot_continue: 'Huvudmannen kan inte fortsätta',
      why_what_if: 'Markerad (planering)', noCapacityReport: 'ingen kapacitetsrapport: elevantal okänt',
      colFrom: 'Från', colTo: 'Till', colClass: 'Skolform och årskurs', colPupilsN: 'Elever',
      colKm: 'Avstånd', colReason: 'Orsak', colWhy: 'Varför', yearN: 'år {y}',
      reason_no_coordinates: 'enheten saknar koordinater', reason_no_seats: 'inga platser inom räckhåll',
      reason_seats_taken: 'för få platser inom räckhåll',
      contingencyTitle: 'Sårbarhet: om en huvudman eller stadsdel faller bort',
      contingencyComputed: 'Beräknad {t} ({ms} ms), {n} scenarier.', noContingency: 'Inga scenarier (inga enheter i registret).',
      colRank: 'Rang', colScope: 'Omfattning', colName: 'Namn', colAffected: 'Berörda elever',
      colPlaced: 'Placerade', colUnplacedN: 'Kan inte placeras', colMissingSeats: 'Saknade platser per skolform',
      scope_provider: 'Huvudman', scope_district: 'Stadsdel', allPlaced: 'alla placeras',
      planExplain: 'Elever från stängda enheter, från huvudmän som inte kan fortsätta och från enheter markerade för planering, placerade på lediga platser i samma skolform och årskurs, närmast först. Planen ändrar inga rapporter.',
      contingencyExplain: 'Samma plan för varje huvudman ensam och för varje hel stadsdel, rangordnad efter elever som inte kan placeras.',
    },
    en: {
      title: 'Samband – status board', largeText: 'Large text', normalText: 'Normal text',
      logout: 'Log out', loginTitle: 'Log in', userName: 'User name', password: 'Password',
      loginButton: 'Log in', wrongCredentials: 'Wrong user name or password.',
      tooMany: 'Too many failed attempts. Wait {s} s and try again.',
      loginFailed: 'Login failed: {m}', sessionEnded: 'Your session has ended. Log in again.',
      tabUnits: 'Units', tabProviders: 'Providers', tabCapacity: 'Free seats',
      tabExercise: 'Exercise and test', search: 'Search', district: 'District', provider: 'Provider',
      state: 'State', schoolForm: 'School form', all: 'All', noDistrict: '(no district)',
      exportCsv: 'Export CSV', exportExcel: 'CSV for Excel', unitsShown: '{n} of {t} units',
      colUnit: 'Unit', colProvider: 'Provider', colDistrict: 'District', colState: 'State',
      colPupils: 'Pupils present/enrolled', colStaff: 'Staff available/total', colPower: 'Electricity',
      colResources: 'Other resources', colNote: 'Note', colAge: 'Age of report',
      colLiveness: 'Provider connection', colWhatIf: 'Planning',
      colId: 'Org. no.', colLastSeen: 'Last heard', colContinuity: 'Continuity',
      colUnits: 'Units', colMode: 'Traffic', colReported: 'Reported',
      colForm: 'School form', colYear: 'Year', colEnrolled: 'Enrolled', colSeatsNow: 'Free now',
      colSeats72: 'Free within 72 h', colUnitCount: 'Units',
      st_normal: 'Normal', st_reduced: 'Reduced', st_remote: 'Remote teaching',
      st_closed: 'Closed', st_relocated: 'Relocated', st_unknown: 'Unknown',
      lv_online: 'Online', lv_stale: 'Silent', lv_offline: 'Offline', lv_never: 'Never heard',
      level_normal: 'Normal', level_heightened: 'Heightened readiness', level_highest: 'Highest readiness',
      levelLabel: 'City readiness', newestReport: 'Newest report', none: 'none',
      unitsTotal: 'Units', providersTotal: 'Providers',
      el_grid: 'Grid', el_backup: 'Backup power', el_none: 'No power', el_unknown: 'Unknown',
      backupHours: '{h} h left',
      res_heating: 'Heating', res_water: 'Water', res_food: 'Food', res_it: 'IT', res_telephony: 'Telephony',
      sup_ok: 'ok', sup_degraded: 'degraded', sup_down: 'down', sup_unknown: 'unknown',
      allOk: 'All ok', foodDays: 'food for {d} days', notReported: 'No report',
      old: 'old', expired: 'expired', ago: 'ago', never: 'never',
      cont_ok: 'ok', cont_at_risk: 'At risk', cont_cannot_continue: 'Cannot continue',
      live: 'Live', notLive: 'Not live',
      notLiveBanner: 'Not live: the connection to the broker is lost. Retrying … Showing the picture from {t}.',
      backToProviders: '← All providers', providerUnits: 'Units', timeline: 'Reports, newest first',
      showMore: 'Show more', noHistory: 'No reports in the archive yet.',
      k_unit_status: 'Status report', k_capacity: 'Capacity', k_continuity: 'Continuity',
      k_readiness_answer: 'Readiness check answer', k_directive_ack: 'Directive acknowledgement',
      k_key_rotation: 'Key rotation', k_heartbeat: 'Heartbeat', undecodable: 'does not decode',
      pupilsStaff: 'pupils {p}/{e}, staff {a}/{t}', capacityRows: '{n} rows',
      testsPassed: '{p} of {t} self-tests passed', confirmedByPerson: 'confirmed by a person',
      capacityCity: 'Free seats city-wide', capacityDistricts: 'Per district',
      capacityExcluded: 'Units that are closed or teaching remotely are not counted ({n}).',
      noCapacity: 'No capacity reports yet.',
      exerciseTitle: 'Exercise and test traffic',
      exerciseExplain: 'Reports sent as exercise, test or system traffic. They are never part of the picture.',
      exerciseNote: '{n} units have reported exercise or test traffic. It is shown only under "Exercise and test".',
      exerciseNote1: 'One unit has reported exercise or test traffic. It is shown only under "Exercise and test".',
      mode_exercise: 'Exercise', mode_test: 'Test', mode_system: 'System', mode_actual: 'Actual',
      noExercise: 'No exercise or test traffic.',
      whatIfMark: 'Mark as failing', whatIfUnmark: 'Remove mark',
      whatIfOn: 'Marked as failing (planning)', whatIfFailed: 'Marking failed: {m}',
      generated: 'Updated {t}', operator: 'operator', viewer: 'viewer',
      form_forskola: 'Preschool', form_forskoleklass: 'Preschool class', form_grundskola: 'Compulsory school',
      form_gymnasieskola: 'Upper secondary', form_fritidshem: 'After-school centre',
      form_anpassad_grundskola: 'Adapted compulsory school', form_anpassad_gymnasieskola: 'Adapted upper secondary',
      oldReports: 'Old reports', pupilsPresent: 'Pupils present',
      tabReadiness: 'Readiness check', tabDirectives: 'Directives', tabPlanning: 'Planning',
      loadFailed: 'Could not be loaded: {m}', cancel: 'Cancel', yes: 'Yes', no: 'No',
      readinessToday: "Today's readiness check", readinessLatest: 'Latest readiness check',
      readinessTitle: 'Readiness check', readinessHistory: 'Earlier checks',
      noCheck: 'No readiness check has been sent yet.',
      checkIssued: 'sent {t}', checkDeadline: 'answers due {t}',
      checkOpen: 'running, {left} left', checkClosed: 'closed', checkConfirm: 'a person must confirm',
      checkProgress: '{n} of {t} providers have answered',
      out_answered: 'Answered in time', out_late: 'Answered late', out_missing: 'Missing', out_pending: 'Awaiting answer',
      sum_answered: 'Answered in time', sum_late: 'Late answers', sum_missing: 'Missing', sum_pending: 'Awaiting',
      sum_failed: 'Failed self-tests', sum_unconfirmed: 'Not confirmed',
      colOutcome: 'Outcome', colAnswerTime: 'Time to answer', colSelfTests: 'Self-tests', colConfirmed: 'Confirmed',
      colRate: 'In time (last 30)', colCheck: 'Check', colAnswered: 'In time', colLate: 'Late',
      colMissing: 'Missing', colPending: 'Awaiting', colFailed: 'Failed tests', colResult: 'Result',
      allTestsPassed: 'All passed', rateOf: '{p} % of {n}', noHistoryChecks: 'No earlier checks.',
      resultGood: 'All answered, no failures', resultBad: 'Shortcomings', resultOpen: 'Running',
      test_broker_link: 'Link to the broker', test_clock_skew: 'Clock', test_disk_free: 'Disk space',
      test_outbox_depth: 'Queue to send', test_key_file_mode: 'Key file permissions',
      test_status_age: 'Age of status report', test_duty_contact: 'Duty contact',
      directiveNew: 'Send a directive', directiveTo: 'Recipients', directiveToAll: 'All enrolled providers',
      directiveToSome: 'Selected providers', directiveText: 'Text to the providers',
      directiveLevel: "City's readiness level", directiveExpires: 'Valid for', directiveMode: 'Traffic',
      directiveAck: 'A person at each provider must acknowledge', directiveReview: 'Review and send …',
      directiveSend: 'Send the directive', directiveList: 'Directives sent',
      levelUnchanged: 'Unchanged', expiresIn: '{d}', exp_1h: '1 hour', exp_8h: '8 hours',
      exp_24h: '24 hours', exp_3d: '3 days', exp_7d: '7 days',
      directiveNeedText: 'Write what the providers must know or do.',
      directiveNeedRecipients: 'Choose at least one provider, or All.',
      directiveConfirm: 'Send this {mode}directive to {n} providers? Level: {level}. Valid for {exp}.{ack} It is signed by the city and cannot be withdrawn.',
      directiveConfirmExercise: 'exercise ', directiveConfirmAck: ' Acknowledgement required.',
      directiveSent: 'Directive {id} was sent to {n} providers.', directiveFailed: 'The directive was not sent: {m}',
      noDirectives: 'No directives have been sent.', directivesShown: 'Showing {n} of {t} directives.',
      directiveOperatorOnly: 'Only operators can send directives; you can see who received and acknowledged them.',
      colDirective: 'Directive', colText: 'Text', colLevel: 'Level', colExpires: 'Valid until',
      colDelivered: 'Delivered', colAcked: 'Acknowledged', colStillMissing: 'Missing',
      ofN: '{n} of {t}', ackNotRequired: 'not required', notDelivered: 'Not delivered: {list}',
      notAcked: 'Not acknowledged: {list}', everyoneHasIt: 'Everyone has it', everyoneAcked: 'all acknowledged',
      planHorizon: 'Free seats', hz_now: 'now', hz_72h: 'within 72 h',
      planIncludeWhatIf: 'Include units marked as failing (planning)',
      planTitle: 'Takeover plan', planFailing: 'Failing units', planPlacements: 'Placements',
      planUnplaced: 'Cannot be placed', planNoFailing: 'No units are failing right now.',
      planNoPlacements: 'No pupils to place.', planNothingUnplaced: 'Every pupil can be placed.',
      planWhatIfHint: 'Operators mark units as failing in the Units tab.',
      sum_failingUnits: 'Failing units', sum_toPlace: 'Pupils to place', sum_placed: 'Placed',
      sum_unplaced: 'Cannot be placed', sum_pupilKm: 'Pupil-kilometres',
      why_closed: 'Closed', why_cannot_continue: 'Provider cannot continue',
      why_what_if: 'Marked (planning)', noCapacityReport: 'no capacity report: pupils unknown',
      colFrom: 'From', colTo: 'To', colClass: 'School form and year', colPupilsN: 'Pupils',
      colKm: 'Distance', colReason: 'Reason', colWhy: 'Why', yearN: 'year {y}',
      reason_no_coordinates: 'the unit has no coordinates', reason_no_seats: 'no seats within reach',
      reason_seats_taken: 'not enough seats within reach',
      contingencyTitle: 'Vulnerability: if one provider or district drops out',
      contingencyComputed: 'Computed {t} ({ms} ms), {n} scenarios.', noContingency: 'No scenarios (no units in the roster).',
      colRank: 'Rank', colScope: 'Scope', colName: 'Name', colAffected: 'Pupils affected',
      colPlaced: 'Placed', colUnplacedN: 'Cannot be placed', colMissingSeats: 'Missing seats per school form',
      scope_provider: 'Provider', scope_district: 'District', allPlaced: 'all placed',
      planExplain: 'Pupils of closed units, of providers that cannot continue and of units marked for planning, placed into free seats of the same school form and year, nearest first. The plan changes no report.',
      contingencyExplain: 'The same plan for each provider alone and for each whole district, ranked by pupils who cannot be placed.',
    },
  };
  const STATES = ['closed', 'relocated', 'remote', 'reduced', 'unknown', 'normal'];
  const HEADLINE_STATES = ['normal', 'reduced', 'remote', 'closed', 'relocated', 'unknown'];
  const LIVENESS = ['online', 'stale', 'offline', 'never'];
  const RESOURCES = ['heating', 'water', 'food', 'it', 'telephony'];
  const NO_DISTRICT = '\u2205';  // the filter value for units without a district
  const FORMS = ['forskola', 'forskoleklass', 'grundskola', 'gymnasieskola', 'fritidshem',
    'anpassad_grundskola', 'anpassad_gymnasieskola'];

  let lang = localStorage.getItem('samband.lang') === 'en' ? 'en' : 'sv';
  const t = (key, vars) => {
    let s = (TEXT[lang] && TEXT[lang][key]) || TEXT.sv[key] || key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split('{' + k + '}').join(String(v));
    return s;
  };

  const state = {
    session: null,
    picture: null,
    capacity: null,
    fetchedAt: 0,
    lastGood: 0,
    sort: { key: 'state', dir: 1 },
    previousStates: new Map(),
    provider: null,
    history: [],
    nextBefore: null,
    es: null,
    live: false,
    retry: 0,
    reconnectTimer: 0,
    lastEventAt: 0,
    refreshing: false,
    refreshAgain: false,
    tab: 'units',
    readiness: null,
    readinessHistory: null,
    readinessAt: 0,
    historyAt: 0,
    deadlineTimer: 0,
    directives: null,
    pendingDirective: null,
    plan: null,
    contingency: null,
    contingencyAt: 0,
    contingencyHorizon: null,
    cityBusy: false,
    cityAgain: false,
    cityError: null,
  };

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- DOM helpers (text only)
  function el(tag, opts, ...children) {
    const node = document.createElement(tag);
    if (opts) {
      if (opts.cls) node.className = opts.cls;
      if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
      if (opts.title) node.title = opts.title;
      if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) node.setAttribute(k, v);
      if (opts.data) for (const [k, v] of Object.entries(opts.data)) node.dataset[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  // Shapes, so state never depends on colour alone.
  function icon(shape) {
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('width', '1em');
    svg.setAttribute('height', '1em');
    svg.setAttribute('aria-hidden', 'true');
    const add = (name, attrs) => {
      const n = document.createElementNS(SVG, name);
      for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
      svg.append(n);
    };
    const stroke = { fill: 'none', stroke: 'currentColor', 'stroke-width': '2' };
    switch (shape) {
      case 'normal': case 'online':
        add('circle', { cx: 8, cy: 8, r: 7, fill: 'currentColor' });
        add('path', { d: 'M4.5 8.2 L7 10.7 L11.5 5.5', fill: 'none', stroke: '#fff', 'stroke-width': '2' });
        break;
      case 'reduced': case 'stale': case 'old':
        add('path', { d: 'M8 1 L15 14.5 L1 14.5 Z', fill: 'currentColor' });
        add('path', { d: 'M8 5.5 L8 9.5 M8 11.3 L8 12.8', stroke: '#fff', 'stroke-width': '1.8' });
        break;
      case 'remote':
        add('path', { d: 'M8 0.8 L15.2 8 L8 15.2 L0.8 8 Z', fill: 'currentColor' });
        break;
      case 'closed': case 'offline':
        add('rect', { x: 1, y: 1, width: 14, height: 14, fill: 'currentColor' });
        add('path', { d: 'M4.5 4.5 L11.5 11.5 M11.5 4.5 L4.5 11.5', stroke: '#fff', 'stroke-width': '2' });
        break;
      case 'relocated':
        add('path', { d: 'M1 6 L9 6 L9 2 L15 8 L9 14 L9 10 L1 10 Z', fill: 'currentColor' });
        break;
      case 'never':
        add('path', { d: 'M2 8 L14 8', ...stroke });
        break;
      case 'level':
        add('path', { d: 'M8 1 L14 4 L14 9 C14 12 11 14.5 8 15 C5 14.5 2 12 2 9 L2 4 Z', fill: 'currentColor' });
        break;
      case 'clock':
        add('circle', { cx: 8, cy: 8, r: 6.5, ...stroke });
        add('path', { d: 'M8 4 L8 8.5 L11 10', ...stroke });
        break;
      default: // unknown
        add('circle', { cx: 8, cy: 8, r: 6.5, ...stroke });
        add('path', { d: 'M6 6.2 C6 3.8 10 3.8 10 6.2 C10 7.8 8 7.8 8 9.6 M8 11.4 L8 12.8', ...stroke });
    }
    return svg;
  }

  function stateBadge(op) {
    const s = STATES.includes(op) ? op : 'unknown';
    return el('span', { cls: 'badge s-' + s }, icon(s), t('st_' + s));
  }
  function livenessBadge(l) {
    const s = LIVENESS.includes(l) ? l : 'never';
    return el('span', { cls: 'badge l-' + s }, icon(s), t('lv_' + s));
  }
  function modeBadge(mode) { return el('span', { cls: 'mode-badge', text: t('mode_' + mode) }); }

  const stockholm = (opts) => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'sv-SE',
    { timeZone: 'Europe/Stockholm', ...opts });
  function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    const today = stockholm({ year: 'numeric', month: '2-digit', day: '2-digit' });
    const sameDay = today.format(d) === today.format(new Date());
    return sameDay ? stockholm({ hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d)
      : stockholm({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
  }
  function fmtAge(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min';
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
  }
  const ageNow = (ageS) => (ageS === null || ageS === undefined) ? null
    : ageS + (Date.now() - state.fetchedAt) / 1000;
  const n = (v) => (v === null || v === undefined) ? '–' : String(v);
  const formName = (f) => TEXT[lang]['form_' + f] ? t('form_' + f) : f;

  // ---------------------------------------------------------------- API
  class HttpError extends Error {
    constructor(status, body) { super((body && body.message) || ('HTTP ' + status)); this.status = status; this.body = body; }
  }
  async function api(path, opts = {}) {
    const init = { credentials: 'same-origin', cache: 'no-store', headers: {} };
    if (opts.method) init.method = opts.method;
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers['Content-Type'] = 'application/json';
    }
    if (init.method === 'POST' && state.session) init.headers['X-CSRF-Token'] = state.session.csrf_token;
    const res = await fetch(path, init);
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      if (res.status === 401 && path !== '/api/login') showLogin(t('sessionEnded'));
      throw new HttpError(res.status, body);
    }
    return body;
  }

  // ---------------------------------------------------------------- views
  function showLogin(message) {
    state.session = null;
    stopEvents();
    $('board-view').hidden = true;
    $('login-view').hidden = false;
    $('who').hidden = true;
    $('logout').hidden = true;
    $('level').hidden = true;
    $('live-banner').hidden = true;
    $('live-state').textContent = '';
    $('live-state').className = 'live-state';
    $('login-error').textContent = message || '';
    $('login-name').focus();
  }

  function showBoard() {
    $('login-view').hidden = true;
    $('board-view').hidden = false;
    $('who').hidden = false;
    $('who').textContent = state.session.name + ' (' + t(state.session.role) + ')';
    $('logout').hidden = false;
    route();
    refresh();
    connectEvents();
  }

  function allUnits() {
    const out = [];
    if (!state.picture) return out;
    for (const p of state.picture.providers) for (const u of p.units) out.push(u);
    return out;
  }

  function tile(cls, count, iconShape, label, extra) {
    const div = el('div', { cls: 'tile ' + cls + (extra || '') });
    div.append(el('span', { cls: 'n', text: count }));
    div.append(el('span', { cls: 'label' }, iconShape ? icon(iconShape) : null, label));
    return div;
  }

  function renderHeadline() {
    const p = state.picture;
    const h = $('headline');
    h.replaceChildren();
    if (!p) return;
    const su = p.summary.units;
    for (const s of HEADLINE_STATES) {
      if (s === 'relocated' && !su.relocated) continue;
      const tl = tile('s-' + s, su[s] || 0, s, t('st_' + s));
      tl.dataset.state = s;
      h.append(tl);
    }
    const sp = p.summary.providers;
    let first = true;
    for (const l of LIVENESS) {
      if (l === 'never' && !sp.never) continue;
      h.append(tile('l-' + l, sp[l] || 0, l, t('providersTotal') + ': ' + t('lv_' + l), first ? ' group-start' : ''));
      first = false;
    }
    const level = p.level || 'normal';
    h.append(tile('level-tile', t('level_' + level), 'level', t('levelLabel'), ' wide'));
    h.lastChild.querySelector('.n').classList.add('small');
    const newest = p.newest_report_at;
    h.append(tile('newest', newest ? fmtTime(newest) : t('none'), 'clock', t('newestReport')));
    h.lastChild.querySelector('.n').classList.add('small');
    if (su.old) h.append(tile('s-reduced', su.old, 'old', t('oldReports')));

    const lv = $('level');
    lv.hidden = false;
    lv.className = 'level ' + level;
    lv.replaceChildren(icon('level'), ' ' + t('level_' + level));
  }

  // Columns of the unit table: key, header text key, sort value, cell renderer.
  const SEVERITY = Object.fromEntries(STATES.map((s, i) => [s, i]));
  const LIVE_ORDER = { offline: 0, stale: 1, never: 2, online: 3 };
  function unitColumns(withProvider) {
    const cols = [
      { key: 'unit', head: 'colUnit', sort: (u) => (u.name || u.code).toLowerCase(),
        cell: (u) => el('td', { cls: 'c-unit' }, el('span', { text: u.name || u.code }), u.name ? el('span', { cls: 'sub', text: u.code }) : null) },
    ];
    if (withProvider) {
      cols.push({ key: 'provider', head: 'colProvider', sort: (u) => (u.provider_name || '').toLowerCase(),
        cell: (u) => {
          const a = el('a', { text: u.provider_name, attrs: { href: '#provider/' + encodeURIComponent(u.provider_id) } });
          return el('td', { cls: 'c-provider' }, a, el('span', { cls: 'sub', text: u.provider_id }));
        } });
    }
    cols.push(
      { key: 'district', head: 'colDistrict', sort: (u) => (u.district || '').toLowerCase(),
        cell: (u) => el('td', { cls: 'c-district', text: u.district || '–' }) },
      { key: 'state', head: 'colState', sort: (u) => SEVERITY[u.operational] ?? 9,
        cell: (u) => {
          const td = el('td', { cls: 'c-state' }, stateBadge(u.operational));
          if (u.reason) td.append(el('span', { cls: 'sub', text: u.reason }));
          if (u.expected_reopen) td.append(el('span', { cls: 'sub', text: '→ ' + fmtTime(u.expected_reopen) }));
          return td;
        } },
      { key: 'pupils', head: 'colPupils', sort: (u) => u.pupils_present ?? -1,
        cell: (u) => el('td', { cls: 'num c-pupils', text: n(u.pupils_present) + ' / ' + n(u.pupils_enrolled) }) },
      { key: 'staff', head: 'colStaff', sort: (u) => u.staff_available ?? -1,
        cell: (u) => el('td', { cls: 'num c-staff', text: n(u.staff_available) + ' / ' + n(u.staff_total) }) },
      { key: 'power', head: 'colPower', sort: (u) => u.electricity + (u.backup_hours ?? ''),
        cell: (u) => {
          const td = el('td', { cls: 'c-power' });
          const e = ['grid', 'backup', 'none'].includes(u.electricity) ? u.electricity : 'unknown';
          td.append(el('span', { cls: e === 'none' ? 'res-bad' : e === 'backup' ? 'res-warn' : '', text: t('el_' + e) }));
          if (u.backup_hours !== null && u.backup_hours !== undefined && e !== 'grid') {
            td.append(el('span', { cls: 'sub', text: t('backupHours', { h: u.backup_hours }) }));
          }
          return td;
        } },
      { key: 'resources', head: 'colResources', sort: (u) => RESOURCES.filter((r) => u.resources[r] === 'down').length,
        cell: (u) => {
          const td = el('td', { cls: 'c-resources' });
          if (!u.reported_at) { td.textContent = '–'; return td; }
          const bad = RESOURCES.filter((r) => u.resources[r] === 'degraded' || u.resources[r] === 'down');
          const unknown = RESOURCES.filter((r) => !['ok', 'degraded', 'down'].includes(u.resources[r]));
          if (!bad.length && !unknown.length) td.append(el('span', { text: t('allOk') }));
          if (!bad.length && unknown.length === RESOURCES.length) td.append(el('span', { cls: 'sub', text: t('sup_unknown') }));
          for (const r of bad) {
            const v = u.resources[r];
            td.append(el('span', { cls: 'sub ' + (v === 'down' ? 'res-bad' : v === 'degraded' ? 'res-warn' : ''),
              text: t('res_' + r) + ': ' + t('sup_' + v) }));
          }
          if (unknown.length && unknown.length < RESOURCES.length) {
            td.append(el('span', { cls: 'sub', text: unknown.map((r) => t('res_' + r)).join(', ') + ': ' + t('sup_unknown') }));
          }
          if (u.food_days !== null && u.food_days !== undefined) td.append(el('span', { cls: 'sub', text: t('foodDays', { d: u.food_days }) }));
          return td;
        } },
      { key: 'note', head: 'colNote', sort: (u) => (u.note || '').toLowerCase(),
        cell: (u) => el('td', { cls: 'note c-note', text: u.note || '' }) },
      { key: 'age', head: 'colAge', sort: (u) => u.age_s ?? Infinity,
        cell: (u) => {
          const td = el('td', { cls: 'c-age' });
          if (!u.reported_at) { td.append(el('span', { cls: 'sub', text: t('notReported') })); return td; }
          td.append(el('span', { cls: 'age', text: fmtAge(ageNow(u.age_s)), title: fmtTime(u.reported_at) }));
          if (u.old) td.append(el('span', { cls: 'old-mark sub' }, icon('old'), ' ' + (u.expired ? t('expired') : t('old'))));
          return td;
        } },
      { key: 'liveness', head: 'colLiveness', sort: (u) => LIVE_ORDER[u.liveness] ?? 9,
        cell: (u) => el('td', { cls: 'c-liveness' }, livenessBadge(u.liveness)) },
    );
    if (state.session && state.session.role === 'operator') {
      cols.push({ key: 'whatif', head: 'colWhatIf', sort: (u) => (u.whatif_failing ? 0 : 1),
        cell: (u) => {
          const td = el('td', { cls: 'whatif c-whatif' });
          if (u.whatif_failing) td.append(el('span', { cls: 'whatif-on sub', text: t('whatIfOn') }));
          const b = el('button', { text: u.whatif_failing ? t('whatIfUnmark') : t('whatIfMark'), attrs: { type: 'button' } });
          b.addEventListener('click', () => toggleWhatIf(u.code, !u.whatif_failing, b));
          td.append(b);
          return td;
        } });
    }
    return cols;
  }

  function renderHead(rowId, cols, onSort) {
    const tr = $(rowId);
    tr.replaceChildren();
    for (const c of cols) {
      const th = el('th', { text: t(c.head), cls: 'sortable', attrs: { scope: 'col', tabindex: '0' } });
      if (state.sort.key === c.key) th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
      const go = () => {
        state.sort = { key: c.key, dir: state.sort.key === c.key ? -state.sort.dir : 1 };
        onSort();
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
      tr.append(th);
    }
  }

  function sortUnits(units, cols) {
    const col = cols.find((c) => c.key === state.sort.key) || cols[0];
    const dir = state.sort.dir;
    return units.slice().sort((a, b) => {
      const x = col.sort(a), y = col.sort(b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return (a.name || a.code).localeCompare(b.name || b.code, 'sv');
    });
  }

  function renderUnitRows(bodyId, units, cols) {
    const body = $(bodyId);
    body.replaceChildren();
    for (const u of sortUnits(units, cols)) {
      const tr = el('tr', { data: { code: u.code, state: u.operational } });
      if (u.old) tr.classList.add('old');
      const before = state.previousStates.get(u.code);
      if (before !== undefined && before !== u.operational) tr.classList.add('changed');
      for (const c of cols) tr.append(c.cell(u));
      body.append(tr);
    }
  }

  function fillSelect(id, values, labelOf) {
    const sel = $(id);
    const current = sel.value;
    sel.replaceChildren(el('option', { text: t('all'), attrs: { value: '' } }));
    for (const v of values) sel.append(el('option', { text: labelOf(v), attrs: { value: v } }));
    sel.value = values.includes(current) ? current : '';
  }

  function renderFilters(units) {
    const districts = [...new Set(units.map((u) => u.district || NO_DISTRICT))].sort((a, b) => a.localeCompare(b, 'sv'));
    fillSelect('f-district', districts, (d) => (d === NO_DISTRICT ? t('noDistrict') : d));
    const providers = new Map(units.map((u) => [u.provider_id, u.provider_name]));
    const ids = [...providers.keys()].sort((a, b) => (providers.get(a) || '').localeCompare(providers.get(b) || '', 'sv'));
    fillSelect('f-provider', ids, (id) => (providers.get(id) || id) + ' (' + id + ')');
    fillSelect('f-state', HEADLINE_STATES, (s) => t('st_' + s));
    const forms = [...new Set(units.flatMap((u) => u.school_forms || []))]
      .sort((a, b) => (FORMS.indexOf(a) + 99 * (FORMS.indexOf(a) < 0)) - (FORMS.indexOf(b) + 99 * (FORMS.indexOf(b) < 0)));
    fillSelect('f-form', forms, formName);
  }

  function filteredUnits(units) {
    const q = $('f-query').value.trim().toLowerCase();
    const d = $('f-district').value, pr = $('f-provider').value, s = $('f-state').value, f = $('f-form').value;
    return units.filter((u) => {
      if (d && (u.district || NO_DISTRICT) !== d) return false;
      if (pr && u.provider_id !== pr) return false;
      if (s && u.operational !== s) return false;
      if (f && !(u.school_forms || []).includes(f)) return false;
      if (q) {
        const hay = [u.code, u.name, u.provider_name, u.provider_id, u.district, u.note, u.reason].join('\n').toLowerCase();
        if (!hay.includes(q)) return false;
      }
      return true;
    });
  }

  function renderUnits() {
    const units = allUnits();
    renderFilters(units);
    const cols = unitColumns(true);
    renderHead('units-head', cols, renderUnits);
    const shown = filteredUnits(units);
    renderUnitRows('units-body', shown, cols);
    $('unit-count').textContent = t('unitsShown', { n: shown.length, t: units.length });
    const ex = state.picture ? state.picture.exercise.length : 0;
    $('exercise-note').hidden = ex === 0;
    $('exercise-note').textContent = t(ex === 1 ? 'exerciseNote1' : 'exerciseNote', { n: ex });
  }

  function renderProviders() {
    const p = state.picture;
    if (!p) return;
    const head = $('providers-head');
    head.replaceChildren(...['colProvider', 'colId', 'colLiveness', 'colLastSeen', 'colContinuity', 'colUnits']
      .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
    const body = $('providers-body');
    body.replaceChildren();
    const order = p.providers.slice().sort((a, b) => (LIVE_ORDER[a.liveness] - LIVE_ORDER[b.liveness]) || a.name.localeCompare(b.name, 'sv'));
    for (const pr of order) {
      const counts = {};
      for (const u of pr.units) counts[u.operational] = (counts[u.operational] || 0) + 1;
      const unitsCell = el('td', { cls: 'c-units' });
      for (const s of STATES) if (counts[s]) unitsCell.append(el('span', { cls: 'sub' }, stateBadge(s), ' ' + counts[s]));
      if (!pr.units.length) unitsCell.textContent = '0';
      const cont = pr.continuity || 'ok';
      body.append(el('tr', { data: { provider: pr.id } },
        el('td', {}, el('a', { text: pr.name, attrs: { href: '#provider/' + encodeURIComponent(pr.id) } })),
        el('td', { text: pr.id }),
        el('td', {}, livenessBadge(pr.liveness)),
        el('td', { text: pr.last_seen ? fmtTime(pr.last_seen) : t('never') }),
        el('td', { cls: cont === 'ok' ? '' : 'res-bad', text: t('cont_' + cont) + (pr.continuity_from ? ' (' + fmtTime(pr.continuity_from) + ')' : '') }),
        unitsCell));
    }
  }

  function historyText(item) {
    const p = item.payload;
    if (!p) return t('undecodable');
    switch (item.kind) {
      case 'unit_status': {
        const parts = [p.unit + ': ' + t('st_' + (STATES.includes(p.operational) ? p.operational : 'unknown'))];
        if (p.reason) parts.push(p.reason);
        parts.push(t('pupilsStaff', { p: n(p.pupils_present), e: n(p.pupils_enrolled), a: n(p.staff_available), t: n(p.staff_total) }));
        if (p.note) parts.push('“' + p.note + '”');
        return parts.join(' · ');
      }
      case 'capacity': return p.unit + ': ' + t('capacityRows', { n: p.entries.length });
      case 'continuity': return t('cont_' + p.state) + (p.note ? ' · “' + p.note + '”' : '');
      case 'readiness_answer': {
        const passed = p.results.filter((r) => r.passed).length;
        return p.check_id + ': ' + t('testsPassed', { p: passed, t: p.results.length }) + (p.confirmed ? ' · ' + t('confirmedByPerson') : '');
      }
      case 'directive_ack': return p.directive_id + ': ' + p.kind;
      default: return JSON.stringify(p);
    }
  }

  function renderTimeline(append) {
    const list = $('timeline');
    if (!append) list.replaceChildren();
    if (!state.history.length) {
      list.replaceChildren(el('li', { text: t('noHistory') }));
    } else {
      const from = append ? list.children.length : 0;
      for (const item of state.history.slice(from)) {
        const li = el('li', { data: { frame: item.frame_id } },
          el('span', { cls: 'when', text: fmtTime(item.sent_at) }),
          el('span', { cls: 'kind', text: t('k_' + item.kind) + ' · #' + item.seq }));
        if (item.mode !== 'actual') li.append(' ', modeBadge(item.mode));
        li.append(el('span', { cls: 'what', text: historyText(item) }));
        list.append(li);
      }
    }
    $('timeline-more').hidden = state.nextBefore === null;
  }

  async function loadProvider(id, more) {
    const before = more && state.nextBefore ? '&before=' + state.nextBefore : '';
    const d = await api('/api/providers/' + encodeURIComponent(id) + '?limit=50' + before);
    if (state.provider !== id) return;
    state.providerDetail = d;
    state.history = more ? state.history.concat(d.history.items) : d.history.items;
    state.nextBefore = d.history.next_before;
    renderProviderDetail(more);
  }

  function renderProviderDetail(appendOnly) {
    const d = state.providerDetail;
    if (!d) return;
    const pr = d.provider;
    $('provider-title').textContent = pr.name + ' (' + pr.id + ')';
    const facts = $('provider-facts');
    facts.replaceChildren(livenessBadge(pr.liveness), ' · ' + t('colLastSeen') + ': ' +
      (pr.last_seen ? fmtTime(pr.last_seen) : t('never')) + ' · ' + t('colContinuity') + ': ' + t('cont_' + (pr.continuity || 'ok')));
    if (!appendOnly) {
      const cols = unitColumns(false);
      renderHead('provider-units-head', cols, () => renderProviderDetail(false));
      renderUnitRows('provider-units-body', d.units, cols);
    }
    renderTimeline(appendOnly);
  }

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

  function renderCapacity() {
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

  function renderExercise() {
    const p = state.picture;
    if (!p) return;
    $('exercise-head').replaceChildren(...['colMode', 'colUnit', 'colProvider', 'colState', 'colPupils', 'colStaff', 'colNote', 'colReported']
      .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
    const body = $('exercise-body');
    body.replaceChildren();
    if (!p.exercise.length) {
      body.append(el('tr', {}, el('td', { text: t('noExercise'), attrs: { colspan: '8' } })));
      return;
    }
    for (const u of p.exercise) {
      body.append(el('tr', { data: { code: u.code, mode: u.mode, state: u.operational } },
        el('td', {}, modeBadge(u.mode)),
        el('td', {}, el('span', { text: u.name || u.code }), el('span', { cls: 'sub', text: u.code })),
        el('td', { text: u.provider_name || u.provider_id }),
        el('td', { cls: 'c-state' }, stateBadge(u.operational)),
        el('td', { cls: 'num', text: n(u.pupils_present) + ' / ' + n(u.pupils_enrolled) }),
        el('td', { cls: 'num', text: n(u.staff_available) + ' / ' + n(u.staff_total) }),
        el('td', { cls: 'note c-note', text: u.note || '' }),
        el('td', { text: fmtTime(u.reported_at) })));
    }
  }

  function renderAll() {
    renderHeadline();
    renderUnits();
    renderProviders();
    renderCapacity();
    renderExercise();
    if (state.provider) renderProviderDetail(false);
    if (state.picture) $('generated').textContent = t('generated', { t: fmtTime(state.picture.generated_at) });
    // Remember states so the next render can flash the rows that changed.
    state.previousStates = new Map(allUnits().map((u) => [u.code, u.operational]));
  }

  // ---------------------------------------------------------------- the city's work: readiness
  // checks, directives, takeover planning. Fetched only for the tab on screen, again on each
  // change event (a readiness answer, a directive acknowledgement, a report are all frames).
  const CITY_TABS = ['readiness', 'directives', 'planning'];
  const OUTCOME_ORDER = { missing: 0, late: 1, pending: 2, answered: 3 };
  const OUTCOME_SHAPE = { answered: 'normal', late: 'reduced', missing: 'closed', pending: 'clock' };
  const LEVELS = ['unchanged', 'normal', 'heightened', 'highest'];
  const EXPIRIES = ['1h', '8h', '24h', '3d', '7d'];
  const CONTINGENCY_EVERY_MS = 10000;  // the ranking is heavy: at most this often per page
  const HISTORY_EVERY_MS = 15000;
  const REASONS = {
    'sending unit has no coordinates': 'reason_no_coordinates',
    'no seats within max-km': 'reason_no_seats',
    'not enough seats within max-km': 'reason_seats_taken',
  };

  function outcomeBadge(o) {
    const s = OUTCOME_SHAPE[o] ? o : 'missing';
    return el('span', { cls: 'badge o-' + s }, icon(OUTCOME_SHAPE[s]), t('out_' + s));
  }
  function okBadge(ok, text) {
    return el('span', { cls: 'badge ' + (ok ? 's-normal' : 's-closed') }, icon(ok ? 'normal' : 'closed'), text);
  }
  function warnBadge(text) { return el('span', { cls: 'badge s-reduced' }, icon('reduced'), text); }
  const testName = (name) => (TEXT[lang]['test_' + name] ? t('test_' + name) : name);
  const levelName = (l) => (l === 'unchanged' || !l ? t('levelUnchanged') : t('level_' + l));
  const providerLabel = (id, names) => (names && names[id] ? names[id] + ' (' + id + ')' : id);
  const classLabel = (form, year) => formName(form) + (year ? ' ' + t('yearN', { y: year }) : '');
  function headRow(rowId, keys) {
    $(rowId).replaceChildren(...keys.map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
  }
  function emptyRow(body, cols, text) {
    body.replaceChildren(el('tr', {}, el('td', { text, attrs: { colspan: String(cols) } })));
  }
  function simpleTable(table, keys, rows, emptyText) {
    const body = el('tbody');
    if (!rows.length) body.append(el('tr', {}, el('td', { text: emptyText, attrs: { colspan: String(keys.length) } })));
    for (const r of rows) body.append(r);
    table.replaceChildren(el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })))), body);
  }

  async function refreshCity(force) {
    if (!state.session || !CITY_TABS.includes(state.tab)) return;
    if (state.cityBusy) { state.cityAgain = state.cityAgain || force || 'soft'; return; }
    state.cityBusy = true;
    const tab = state.tab;
    try {
      if (tab === 'readiness') {
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
      } else if (tab === 'directives') {
        state.directives = await api('/api/directives');
        state.cityError = null;
        renderDirectives();
      } else if (tab === 'planning') {
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
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 401)) {
        state.cityError = t('loadFailed', { m: e.message });
        renderCityError(tab);
      }
    } finally {
      state.cityBusy = false;
      if (state.cityAgain) { const again = state.cityAgain === true; state.cityAgain = false; refreshCity(again); }
    }
  }

  function renderCityError(tab) {
    const where = { readiness: 'readiness-facts', directives: 'directives-note', planning: 'plan-note' }[tab];
    if (where) { $(where).textContent = state.cityError; $(where).classList.add('error'); }
  }

  // A check that is still running changes by itself at its deadline: pending becomes missing.
  function scheduleDeadline() {
    clearTimeout(state.deadlineTimer);
    const c = state.readiness && state.readiness.check;
    if (!c || c.deadline_passed) return;
    state.deadlineTimer = setTimeout(() => refreshCity(true), c.seconds_left * 1000 + 1500);
  }

  function renderReadiness() {
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

  // ------------------------------------------------------------------ directives
  function fillCitySelects() {
    const fill = (id, values, label, fallback) => {
      const sel = $(id);
      const current = sel.value || fallback;
      sel.replaceChildren(...values.map((v) => el('option', { text: label(v), attrs: { value: v } })));
      sel.value = values.includes(current) ? current : fallback;
    };
    fill('d-level', LEVELS, levelName, 'unchanged');
    fill('d-expires', EXPIRIES, (e) => t('exp_' + e), '24h');
    fill('d-mode', ['actual', 'exercise'], (m) => t('mode_' + m), 'actual');
    fill('p-horizon', ['now', '72h'], (h) => t('hz_' + h), 'now');
  }

  function renderDirectives() {
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

  function reviewDirective(ev) {
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

  async function sendDirective() {
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

  // ------------------------------------------------------------------ takeover planning
  function renderPlanning() {
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

  function renderCity() {
    fillCitySelects();
    renderReadiness();
    renderDirectives();
    renderPlanning();
  }

  // ---------------------------------------------------------------- refresh and live events
  async function refresh() {
    if (!state.session) return;
    if (state.refreshing) { state.refreshAgain = true; return; }
    state.refreshing = true;
    try {
      const [picture, capacity] = await Promise.all([api('/api/picture'), api('/api/capacity')]);
      state.picture = picture;
      state.capacity = capacity;
      state.fetchedAt = Date.now();
      state.lastGood = Date.now();
      renderAll();
      refreshCity(false);
      if (state.provider) await loadProvider(state.provider, false);
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 401)) setLive(false);
    } finally {
      state.refreshing = false;
      if (state.refreshAgain) { state.refreshAgain = false; refresh(); }
    }
  }

  function setLive(live) {
    state.live = live;
    const badge = $('live-state');
    if (!state.session) { badge.textContent = ''; return; }
    badge.className = 'live-state ' + (live ? 'is-live' : 'is-down');
    badge.replaceChildren(icon(live ? 'online' : 'offline'), ' ' + (live ? t('live') : t('notLive')));
    const banner = $('live-banner');
    banner.hidden = live;
    $('live-banner-text').textContent = t('notLiveBanner', { t: state.lastGood ? fmtTime(new Date(state.lastGood).toISOString()) : '–' });
  }

  function stopEvents() {
    if (state.es) { state.es.close(); state.es = null; }
    clearTimeout(state.reconnectTimer);
  }

  function connectEvents() {
    stopEvents();
    const es = new EventSource('/api/events');
    state.es = es;
    state.lastEventAt = Date.now();
    const seen = () => { state.lastEventAt = Date.now(); };
    es.addEventListener('hello', () => { seen(); state.retry = 0; setLive(true); refresh(); });
    es.addEventListener('change', () => { seen(); setLive(true); refresh(); });
    es.addEventListener('ping', seen);
    es.addEventListener('logout', () => { stopEvents(); showLogin(t('sessionEnded')); });
    es.onerror = () => {
      setLive(false);
      // CONNECTING: the browser retries by itself. CLOSED (an HTTP error): we retry.
      if (es.readyState === EventSource.CLOSED && state.es === es) scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    stopEvents();
    const delay = Math.min(15000, 1000 * 2 ** Math.min(state.retry++, 4));
    state.reconnectTimer = setTimeout(async () => {
      try {
        const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
        if (res.status === 401) { showLogin(t('sessionEnded')); return; }
      } catch (e) { /* the broker is still down: try the stream again anyway */ }
      if (state.session) connectEvents();
    }, delay);
  }

  // A stream that went silent (no ping for 40 s) is dead even if the socket did not say so.
  setInterval(() => {
    if (state.session && state.es && Date.now() - state.lastEventAt > 40000) {
      setLive(false);
      scheduleReconnect();
    }
  }, 5000);
  // Ages move on between events.
  setInterval(() => {
    if (state.session && state.picture) { renderUnits(); if (state.provider) renderProviderDetail(false); }
    if (state.session && state.tab === 'readiness') renderReadiness();  // the time left counts down
  }, 30000);
  // A full refresh once a minute, whatever the stream says.
  setInterval(() => { if (state.session) refresh(); }, 60000);

  async function toggleWhatIf(code, failing, button) {
    button.disabled = true;
    try {
      await api('/api/units/' + encodeURIComponent(code) + '/what-if', { method: 'POST', body: { failing } });
      await refresh();
    } catch (e) {
      button.disabled = false;
      if (!(e instanceof HttpError && e.status === 401)) window.alert(t('whatIfFailed', { m: e.message }));
    }
  }

  // ---------------------------------------------------------------- routing
  const TABS = ['units', 'providers', 'capacity', 'exercise', 'readiness', 'directives', 'planning'];
  function route() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    let tab = 'units';
    state.provider = null;
    if (hash.startsWith('provider/')) {
      tab = 'providers';
      state.provider = hash.slice('provider/'.length);
    } else if (TABS.includes(hash)) {
      tab = hash;
    }
    state.tab = tab;
    for (const name of TABS) {
      $('tab-' + name).hidden = name !== tab;
      const link = document.querySelector('[data-tab="' + name + '"]');
      if (name === tab) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    $('provider-list-wrap').hidden = state.provider !== null;
    $('provider-detail').hidden = state.provider === null;
    if (state.provider && state.session) {
      state.providerDetail = null;
      state.history = [];
      state.nextBefore = null;
      $('timeline').replaceChildren();
      loadProvider(state.provider, false).catch(() => {});
    }
    if (CITY_TABS.includes(tab) && state.session) refreshCity(true);
  }

  // ---------------------------------------------------------------- language and size
  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    document.title = t('title');
    const other = $('toggle-lang');
    other.textContent = lang === 'sv' ? 'English' : 'Svenska';
    other.lang = lang === 'sv' ? 'en' : 'sv';
    $('toggle-large').textContent = document.documentElement.classList.contains('large') ? t('normalText') : t('largeText');
    if (state.session) {
      $('who').textContent = state.session.name + ' (' + t(state.session.role) + ')';
      renderAll();
      renderCity();
      setLive(state.live);
    }
  }

  // ---------------------------------------------------------------- start
  document.addEventListener('DOMContentLoaded', async () => {
    if (localStorage.getItem('samband.large') === '1') document.documentElement.classList.add('large');
    applyLanguage();
    $('toggle-lang').addEventListener('click', () => {
      lang = lang === 'sv' ? 'en' : 'sv';
      localStorage.setItem('samband.lang', lang);
      applyLanguage();
    });
    $('toggle-large').addEventListener('click', () => {
      const on = document.documentElement.classList.toggle('large');
      localStorage.setItem('samband.large', on ? '1' : '0');
      applyLanguage();
    });
    for (const id of ['f-query', 'f-district', 'f-provider', 'f-state', 'f-form']) {
      $(id).addEventListener(id === 'f-query' ? 'input' : 'change', renderUnits);
    }
    fillCitySelects();
    $('directive-form').addEventListener('submit', reviewDirective);
    $('directive-form').addEventListener('input', () => { $('d-confirm').hidden = true; state.pendingDirective = null; });
    $('directive-form').addEventListener('change', () => { $('d-recipients').disabled = !$('d-to-some').checked; });
    $('d-send').addEventListener('click', sendDirective);
    $('d-cancel').addEventListener('click', () => { $('d-confirm').hidden = true; state.pendingDirective = null; $('d-review').focus(); });
    $('p-horizon').addEventListener('change', () => refreshCity(true));
    $('p-whatif').addEventListener('change', () => refreshCity(true));
    $('timeline-more').addEventListener('click', () => { if (state.provider) loadProvider(state.provider, true).catch(() => {}); });
    window.addEventListener('hashchange', route);
    $('logout').addEventListener('click', async () => {
      try { await api('/api/logout', { method: 'POST', body: {} }); } catch (e) { /* logged out anyway */ }
      showLogin('');
    });
    $('login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const name = $('login-name').value.trim();
      const password = $('login-password').value;
      $('login-submit').disabled = true;
      $('login-error').textContent = '';
      try {
        state.session = await api('/api/login', { method: 'POST', body: { name, password } });
        $('login-password').value = '';
        showBoard();
      } catch (e) {
        let msg = t('loginFailed', { m: e.message });
        if (e instanceof HttpError && e.status === 401) msg = t('wrongCredentials');
        if (e instanceof HttpError && e.status === 429) msg = t('tooMany', { s: (e.body && e.body.retry_after_s) || '?' });
        $('login-error').textContent = msg;
      } finally {
        $('login-submit').disabled = false;
      }
    });
    try {
      const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
      if (res.ok) {
        state.session = await res.json();
        showBoard();
      } else {
        showLogin('');
      }
    } catch (e) {
      showLogin(t('notLive'));
    }
  });
})();
