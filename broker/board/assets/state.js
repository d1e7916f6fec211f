// What the page knows and shows: the session, the last answers of the API, the tab on screen and
// the bookkeeping of live updates. One object, shared by every module of the board.

export const state = {
  session: null,
  asOf: null,              // a past moment on screen ('2027-02-23T09:40', Stockholm time), null: live
  picture: null,
  capacity: null,
  fetchedAt: 0,
  lastGood: 0,
  sort: { key: 'state', dir: 1 },
  openDetails: new Set(),  // unit codes whose details row is open
  allDetails: false,       // "show all details"
  seats: null,             // GET /api/seats for the filters on screen
  seatsQuery: '',
  wall: false,             // the wall screen (/?view=wall)
  account: false,          // the change-password panel is on screen
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
