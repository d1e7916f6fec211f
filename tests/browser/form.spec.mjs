// Real-browser test of the agent's reporting page (run by CTest as form_browser, via run.sh).
// Debian's chromium, driven headless by playwright-core at a phone's width (360 px), against a
// real `samband-agent run` serving [form] listen and a real `samband-broker serve`, all on
// 127.0.0.1 with free ports in a temporary directory. Checks: login with the keyboard alone, the
// form prefilled with the unit's last report, no sideways scrolling at 360 px, only the fields
// changed are sent, the report shows delivered and appears on the city's board (logged in there
// too), queued (broker unreachable, said so) then delivered when the broker is back, a unit not
// the user's answers 403, a POST without the CSRF token is refused, English on request, and the
// page asks no other origin for anything (every request recorded). Saves screenshots of the form
// to $SAMBAND_SCREENSHOT_DIR (docs/img/form-*.png are taken from there).
//
// Environment: SAMBAND_BROKER_BIN, SAMBAND_AGENT_BIN (required), SAMBAND_SCREENSHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), SAMBAND_KEEP=1 keeps the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Harness } from './harness.mjs';

const BROKER = process.env.SAMBAND_BROKER_BIN;
const AGENT = process.env.SAMBAND_AGENT_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SAMBAND_SCREENSHOT_DIR || path.join(os.tmpdir(), 'samband-form-screenshots');
const CITY_USER = 'stad';
const STAFF_USER = 'rektor.anna';
const OTHER_USER = 'vaktmastare.bo';
const PASSWORD = 'ett långt lösenord för test';
const UNIT_A = '12345678';  // the staff user's
const UNIT_B = '23456789';  // the other user's

let dir = '';

const h = new Harness('form_browser');
const { log, check, freePort, run, start, stop, waitFor, httpStatus, setKey } = h.functions();

async function main() {
  if (!BROKER || !AGENT) throw new Error('set SAMBAND_BROKER_BIN and SAMBAND_AGENT_BIN (CTest does)');
  for (const bin of [BROKER, AGENT]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist; build it first (make build)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samband-form-browser-'));
  h.dir = dir;
  fs.mkdirSync(SHOTS, { recursive: true });
  const ports = new Set();
  const port = async () => { let p; do { p = await freePort(); } while (ports.has(p)); ports.add(p); return p; };
  const zmqPort = await port();
  const boardPort = await port();
  const formPort = await port();
  const brokerDir = path.join(dir, 'broker');
  const brokerConfig = path.join(brokerDir, 'broker.toml');
  const board = `http://127.0.0.1:${boardPort}`;
  const form = `http://127.0.0.1:${formPort}`;
  log('working in', dir, 'board at', board, 'form at', form);

  run(BROKER, ['init', '--dir', brokerDir, '--listen', `tcp://127.0.0.1:${zmqPort}`,
    '--board-listen', `127.0.0.1:${boardPort}`]);
  run(BROKER, ['user', 'add', '--config', brokerConfig, '--name', CITY_USER, '--role', 'viewer'], PASSWORD + '\n');

  const agentDir = path.join(dir, 'agent');
  run(AGENT, ['init', '--dir', agentDir, '--provider', '556677-8899', '--name', 'Skolbolaget Ek AB',
    '--broker', `tcp://127.0.0.1:${zmqPort}`, '--city-keys', path.join(brokerDir, 'city.pub'),
    '--unit', UNIT_A, '--unit', UNIT_B, '--duty-contact', 'IT-jouren 08-123 456 78']);
  run(BROKER, ['enroll', '--config', brokerConfig, '--request', path.join(agentDir, 'enroll-request.json')]);
  const agentConfig = path.join(agentDir, 'agent.toml');
  const initText = fs.readFileSync(agentConfig, 'utf8');
  check(initText.includes('[form]\n') && initText.includes('# listen = "127.0.0.1:8090"'),
    'init writes [form] listen commented out, with 127.0.0.1:8090 as the example');
  setKey(agentConfig, 'form', 'listen', `"127.0.0.1:${formPort}"`);
  // Reconnect quickly after the broker restart below (the default backoff reaches 30 s).
  setKey(agentConfig, 'link', 'reconnect_max_ms', '1000');
  run(AGENT, ['user', 'add', '--config', agentConfig, '--name', STAFF_USER, '--unit', UNIT_A], PASSWORD + '\n');
  run(AGENT, ['user', 'add', '--config', agentConfig, '--name', OTHER_USER, '--unit', UNIT_B], PASSWORD + '\n');
  // The unit's last report, which the form is prefilled with.
  run(AGENT, ['report', '--config', agentConfig, '--unit', UNIT_A, '--operational', 'normal',
    '--pupils-enrolled', '240', '--pupils-present', '231', '--staff-total', '31', '--staff-available', '29',
    '--electricity', 'grid', '--heating', 'ok', '--note', 'Allt lugnt',
    '--capacity', 'grundskola:4:52:3:6']);

  let broker = start('broker', BROKER, ['serve', '--config', brokerConfig]);
  await waitFor('the board to answer /healthz', async () => (await httpStatus(board + '/healthz')) === 200, 30000);
  start('agent', AGENT, ['run', '--config', agentConfig]);
  await waitFor('the reporting page to answer /healthz', async () => (await httpStatus(form + '/healthz')) === 200, 30000);

  const userDataDir = fs.mkdtempSync(path.join(dir, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 360, height: 780 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const posted = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/report')) posted.push(JSON.parse(r.postData() || '{}'));
    });

    await page.goto(form + '/');
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
    check(await page.evaluate(() => document.documentElement.lang) === 'sv', 'the page is Swedish by default');
    check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'login-name',
      'the user name field has the focus');
    await page.screenshot({ path: path.join(SHOTS, 'form-login.png') });
    // The keyboard alone: type, Tab, type, Enter.
    await page.keyboard.type(STAFF_USER);
    await page.keyboard.press('Tab');
    await page.keyboard.type('fel lösenord här');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0, null, { timeout: 30000 });
    check((await page.textContent('#login-error')).includes('Fel användarnamn'), 'a wrong password is refused on the page');
    check(await page.evaluate(() => document.activeElement.id) === 'login-password', 'the focus returns to the password');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#units-view', { state: 'visible', timeout: 30000 });
    log('logged in');

    const f = (key) => `#u${UNIT_A}-${key.replace('.', '-')}`;
    await page.waitForFunction((sel) => document.querySelector(sel).value === '231', f('pupils_present'), { timeout: 15000 });
    check(await page.$eval(f('operational'), (e) => e.value) === 'normal' &&
      await page.$eval(f('pupils_enrolled'), (e) => e.value) === '240' &&
      await page.$eval(f('resources.heating'), (e) => e.value) === 'ok' &&
      await page.$eval(f('note'), (e) => e.value) === 'Allt lugnt',
    'the form is prefilled with the unit\'s last report');
    check(await page.$(`#unit-${UNIT_B}`) === null, 'only the units of the account have a form');
    check(await page.$eval(`#u${UNIT_A}-cap-grundskola-4-seats_now`, (e) => e.value) === '3', 'the capacity rows are prefilled');
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#units input, #units select, #units textarea')]
      .filter((e) => !e.id || !document.querySelector(`label[for="${e.id}"]`)).map((e) => e.name || e.outerHTML));
    check(unlabelled.length === 0, 'every field has a label: ' + unlabelled.join(' '));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 360, `no sideways scrolling at 360 px (scrollWidth ${width})`);
    await page.screenshot({ path: path.join(SHOTS, 'form-phone.png'), fullPage: true });

    // Change three things with the keyboard and send.
    await page.focus(f('operational'));
    await page.selectOption(f('operational'), 'reduced');
    await page.focus(f('reason'));
    await page.keyboard.type('Vattenläcka i hus B');
    await page.focus(f('pupils_present'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('150');
    await page.selectOption(f('resources.water'), 'down');
    await page.focus(`#unit-${UNIT_A} button[type="submit"]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#unit-${UNIT_A} .outcome[data-state="delivered"]`, { timeout: 30000 });
    const outcome = await page.textContent(`#unit-${UNIT_A} .outcome`);
    check(outcome.includes('Levererad'), 'the page says the report is delivered: ' + outcome);
    check(posted.length === 1 && JSON.stringify(Object.keys(posted[0]).sort()) ===
      JSON.stringify(['operational', 'pupils_present', 'reason', 'resources']) &&
      JSON.stringify(posted[0].resources) === '{"water":"down"}',
    'only the fields changed were sent: ' + JSON.stringify(posted[0]));
    check(await page.$eval(`#unit-${UNIT_A} .recent li`, (li) => li.dataset.state) === 'delivered',
      'the recent reports list shows it delivered');
    await page.$eval(`#unit-${UNIT_A} .actions`, (e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(SHOTS, 'form-delivered.png') });

    // Another unit's data and reports answer 403; a POST without the CSRF token is refused.
    const foreign = await page.evaluate(async (u) => (await fetch('/api/units/' + u)).status, UNIT_B);
    check(foreign === 403, 'a unit that is not the user\'s answers 403 (' + foreign + ')');
    const foreignPost = await page.evaluate(async (u) => {
      const s = await (await fetch('/api/session')).json();
      const r = await fetch('/api/units/' + u + '/report', { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
        body: JSON.stringify({ operational: 'closed' }) });
      return r.status;
    }, UNIT_B);
    check(foreignPost === 403, 'a report for a unit that is not the user\'s answers 403 (' + foreignPost + ')');
    const noCsrf = await page.evaluate(async (u) => {
      const r = await fetch('/api/units/' + u + '/report', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ operational: 'closed' }) });
      return { status: r.status, body: await r.json() };
    }, UNIT_A);
    check(noCsrf.status === 403 && noCsrf.body.error === 'csrf', 'a POST without the CSRF token is refused (' + noCsrf.status + ')');

    // The city's board shows the change (a second page, logged in to the broker's board).
    const boardPage = await context.newPage();
    const boardRequests = [];
    boardPage.on('request', (r) => boardRequests.push(r.url()));
    await boardPage.setViewportSize({ width: 1280, height: 900 });
    await boardPage.goto(board + '/');
    await boardPage.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
    await boardPage.fill('#login-name', CITY_USER);
    await boardPage.fill('#login-password', PASSWORD);
    await boardPage.click('#login-submit');
    const row = `#units-body tr[data-code="${UNIT_A}"]`;
    await boardPage.waitForSelector(`${row}[data-state="reduced"]`, { timeout: 30000 });
    const pupils = await boardPage.$eval(`${row} .c-pupils`, (td) => td.textContent);
    check(pupils.includes('150'), 'the city\'s board shows the report sent from the page: ' + pupils);
    await boardPage.screenshot({ path: path.join(SHOTS, 'form-on-board.png') });
    check(boardRequests.every((u) => u.startsWith(board + '/')), 'the board asked no other origin');
    await boardPage.close();

    // The broker is unreachable: the report is queued, and the page says so; then delivered.
    await stop(broker);
    await page.waitForTimeout(500);
    await page.focus(f('pupils_present'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('140');
    await page.click(`#unit-${UNIT_A} button[type="submit"]`);
    await page.waitForSelector(`#unit-${UNIT_A} .outcome[data-state="queued"]`, { timeout: 15000 });
    await page.waitForFunction((sel) => document.querySelector(sel).textContent.includes('nås inte'),
      `#unit-${UNIT_A} .outcome`, { timeout: 20000 });
    check(true, 'while the broker is down the page says the report is queued and the city cannot be reached');
    await page.$eval(`#unit-${UNIT_A} .actions`, (e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(SHOTS, 'form-queued.png') });
    broker = start('broker', BROKER, ['serve', '--config', brokerConfig]);
    await page.waitForSelector(`#unit-${UNIT_A} .outcome[data-state="delivered"]`, { timeout: 45000 });
    check(true, 'once the broker is back the same report shows delivered');

    // English on request; what was typed but not sent stays.
    await page.fill(f('note'), 'Skrivet men inte skickat');
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForSelector(`label[for="u${UNIT_A}-pupils_present"]`);
    check(await page.textContent(`label[for="u${UNIT_A}-pupils_present"]`) === 'Pupils present', 'English is switchable');
    await page.waitForFunction((sel) => document.querySelector(sel).value === 'Skrivet men inte skickat', f('note'), { timeout: 10000 });
    check(await page.$eval(f('note'), (e) => e.classList.contains('changed')), 'a value typed before the switch stays, marked changed');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'form-phone-en.png') });
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'sv');
    await page.click(`#unit-${UNIT_A} .actions button[type="button"]`);  // undo the note

    const outside = requests.filter((u) => !u.startsWith(form + '/'));
    check(requests.length > 5 && outside.length === 0,
      `the page made ${requests.length} requests, none to another origin: ${outside.join(' ')}`);
    check(consoleErrors.filter((e) => /Content Security Policy/i.test(e)).length === 0,
      'no Content-Security-Policy violations: ' + consoleErrors.join(' | '));

    await page.click('#logout');
    await page.waitForSelector('#login-view', { state: 'visible', timeout: 10000 });
    const after = await page.evaluate(async () => (await fetch('/api/session')).status);
    check(after === 401, 'after logout the API answers 401');
  } finally {
    await context.close().catch(() => {});
  }
}

await h.runTest(main);
