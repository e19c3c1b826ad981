// The web station in a real browser: Debian's Chromium, headless, driven
// by puppeteer-core (pinned in package-lock.json; scripts/deps.sh installs
// it). tests/test_web_browser.c starts the daemon, vitals-web and this
// script, and does what only it can (raise an alarm on a monitor, watch
// the daemon's events, kill the daemon, put a hostile publisher in its
// place). The two talk in lines: this script writes "step NAME" on
// standard output and waits for "ok [WORDS]" on standard input.
//
// One browser start for the whole scenario, so the test stays fast:
//   log in with a wrong password (refused), then right; see the beds;
//   see a blood pressure measured 12 minutes before the message that
//   carried it said to be 12 minutes old (and, once its nibp_stale_after
//   has passed, no longer current); see an alarm appear within 1 s of the
//   daemon publishing it; keep a
//   screenshot; acknowledge it and see the daemon's event carry the user;
//   a forged request and a foreign site's form are refused; the wall
//   screen's read-only login has nothing to press; the daemon killed: the
//   page says CONNECTION LOST within three heartbeats; a hostile publisher
//   in its place: its bed names and alarm texts show as text, never run.
//
// Environment: VT_WEB_URL, VT_CHROMIUM, VT_SCREENSHOT, VT_NURSE, VT_NURSE_PASSWORD,
// VT_VIEWER, VT_VIEWER_PASSWORD, VT_HOSTILE_BED and VT_HOSTILE_TEXT (what the hostile
// publisher sends).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const env = process.env;
const url = env.VT_WEB_URL;
const lines = readline.createInterface({input: process.stdin});
const replies = [];
let waiting = null;
lines.on('line', (l) => {
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(l);
  } else {
    replies.push(l);
  }
});

// Ask the C side to do something; its answer's words after "ok".
async function step(name) {
  process.stdout.write('step ' + name + '\n');
  const line = replies.length ? replies.shift() : await new Promise((r) => { waiting = r; });
  const words = line.split(' ');
  if (words[0] !== 'ok') throw new Error('step ' + name + ': ' + line);
  return words.slice(1);
}

function check(cond, what) {
  if (!cond) throw new Error(what);
  console.error('ok: ' + what);
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-chromium-'));
let browser = null;
let evil = null;
try {
  browser = await puppeteer.launch({
    executablePath: env.VT_CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--user-data-dir=' + profile],
  });
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 820});
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push('console: ' + m.text());
  });

  // ---- log in: a wrong password first ----
  await page.goto(url + '/', {waitUntil: 'domcontentloaded'});
  check(page.url() === url + '/login', 'the station sends a stranger to the login page');
  await page.type('#user', env.VT_NURSE);
  await page.type('#password', 'not-the-password');
  await page.click('#login-button');
  await page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
  const refused = await page.$eval('#login-error', (e) => e.textContent);
  check(/wrong user name or password/.test(refused), 'a wrong password is refused: "' + refused + '"');
  check((await page.cookies()).length === 0, 'and no session cookie is set');
  check(page.url() === url + '/login', 'and the page stays on the login');

  await page.type('#user', '');
  await page.$eval('#password', (e) => { e.value = ''; });
  await page.type('#password', env.VT_NURSE_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login-button')]);
  const cookies = await page.cookies();
  check(cookies.length === 1 && cookies[0].httpOnly && cookies[0].sameSite === 'Strict',
    'logged in with an HttpOnly, SameSite=Strict cookie');
  check(await page.evaluate(() => document.cookie === ''), 'which the page\'s script cannot read');

  // ---- the beds ----
  await page.waitForFunction(() => ['chair-1', 'chair-2', 'chair-3'].every((b) => {
    const v = document.querySelector(`.tile[data-bed="${b}"] .num.spo2 .value`);
    return v && v.textContent !== '---';
  }), {timeout: 15000});
  const beds = await page.$$eval('.tile h2', (hs) => hs.map((h) => h.textContent));
  check(JSON.stringify(beds) === '["chair-1","chair-2","chair-3","chair-4"]', 'the four beds: ' + beds.join(', '));
  check(await page.$eval('#who', (e) => e.textContent) === env.VT_NURSE, 'the user is shown');
  await page.click('#sound');
  check(await page.evaluate(() => document.body.dataset.sound) === 'on', 'sound turned on with a click');

  // ---- a blood pressure: the age shown is the measurement's, not the message's ----
  const nibp = '.tile[data-bed="chair-4"] .num.nibp';
  await step('nibp');
  // The tile is drawn again with each message: a part may be missing for a moment, so what
  // is read is read in the same look as the wait's.
  const bp = await (await page.waitForFunction((s) => {
    const n = document.querySelector(s);
    const v = n && n.querySelector('.value');
    const age = n && n.querySelector('.age');
    const meta = n && n.closest('.tile') && n.closest('.tile').querySelector('.meta');
    if (!v || !age || !meta || n.classList.contains('stale') || v.textContent !== '128/81 (97)')
      return false;
    return {age: age.textContent, meta: meta.textContent};
  }, {timeout: 20000}, nibp)).jsonValue();
  check(bp.age === '12 min ago' && /values current/.test(bp.meta),
    'chair-4\'s blood pressure 128/81 (97) is "' + bp.age + '" old, the age of its measurement, in a ' +
    'message of now ("' + bp.meta + '")');

  // ---- an alarm appears within 1 s of the daemon publishing it ----
  const seen = page.waitForFunction(() => {
    const row = document.querySelector('#alarm-rows tr[data-id^="chair-1/spo2-low/"]');
    return row ? Date.now() : false;
  }, {polling: 'mutation', timeout: 20000});
  const [id, publishedAt] = await step('alarm');
  const seenAt = await (await seen).jsonValue();
  const delay = seenAt - Number(publishedAt);
  check(delay <= 1000, 'the alarm ' + id + ' appeared ' + delay + ' ms after the daemon published it');
  await page.waitForFunction(() => document.body.dataset.sounding === 'high');
  check(await page.$eval('.tile[data-bed="chair-1"]', (t) => t.classList.contains('alarm-high')),
    'its bed\'s tile flashes in the high priority\'s colour, and the station sounds');
  const rowText = await page.$eval(`#alarm-rows tr[data-id="${id}"]`, (r) => r.textContent);
  check(/!!! HIGH/.test(rowText) && /chair-1/.test(rowText) && /SpO2 8\d %/.test(rowText),
    'the alarm row reads: ' + rowText.replace(/\s+/g, ' '));
  // The picture on the flash's lit half, as a nurse notices it.
  await page.waitForFunction(() => getComputedStyle(document.querySelector('.tile[data-bed="chair-1"]'))
    .backgroundColor === 'rgb(58, 5, 5)', {polling: 'raf', timeout: 15000});
  await page.screenshot({path: env.VT_SCREENSHOT});
  check(fs.statSync(env.VT_SCREENSHOT).size > 10000, 'a screenshot with the alarm: ' + env.VT_SCREENSHOT);

  // ---- acknowledged from the page, recorded by the daemon with the user ----
  await page.click(`#alarm-rows tr[data-id="${id}"] button.ack`);
  await step('ack ' + id);
  await page.waitForFunction((i) => {
    const row = document.querySelector(`#alarm-rows tr[data-id="${i}"]`);
    return row && /ACKNOWLEDGED by/.test(row.textContent);
  }, {timeout: 15000}, id);
  check(await page.evaluate(() => document.body.dataset.sounding) === 'none',
    'acknowledged: the page shows who, and stops sounding');

  // ---- forged requests ----
  const forged = await page.evaluate(async () => {
    const r = await fetch('/api/silence', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'bed=chair-2'});
    return r.status;
  });
  check(forged === 403, 'a request without the session\'s token is refused (' + forged + ')');
  // Another site's page (another port: the same site to the browser, so the cookie goes along).
  evil = http.createServer((req, res) => {
    res.writeHead(200, {'Content-Type': 'text/html'});
    res.end(`<form id="f" method="post" action="${url}/api/silence">` +
      '<input name="bed" value="chair-2"></form><script>document.getElementById("f").submit()</script>');
  });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const other = await browser.newPage();
  const answer = other.waitForResponse((r) => r.url() === url + '/api/silence', {timeout: 20000});
  await other.goto('http://127.0.0.1:' + evil.address().port + '/');
  const status = (await answer).status();
  check(status === 403, 'a foreign site\'s form posting to the station is refused (' + status + ')');
  await other.close();
  await step('forged');

  // ---- a wall screen's login: read-only ----
  const wall = await browser.createBrowserContext();
  const wpage = await wall.newPage();
  await wpage.goto(url + '/login');
  await wpage.type('#user', env.VT_VIEWER);
  await wpage.type('#password', env.VT_VIEWER_PASSWORD);
  await Promise.all([wpage.waitForNavigation(), wpage.click('#login-button')]);
  await wpage.waitForSelector('.tile');
  const buttons = await wpage.$$eval('.tile footer button, #alarm-rows button',
    (bs) => bs.filter((b) => b.offsetParent !== null).length);
  check(buttons === 0, 'the read-only login has nothing to press');
  await wall.close();

  // ---- the blood pressure's nibp_stale_after passes (20 s after it came): no longer current ----
  const old = await (await page.waitForFunction((s) => {
    const n = document.querySelector(s);
    const v = n && n.querySelector('.value');
    const age = n && n.querySelector('.age');
    return n && v && age && n.classList.contains('stale') ? {value: v.textContent, age: age.textContent} : false;
  }, {timeout: 60000}, nibp)).jsonValue();
  check(old.value === '---' && old.age === 'last 128/81 (97) 12 min ago',
    'once the daemon no longer gives it, the blood pressure shows "' + old.value + '", "' + old.age + '"');

  // ---- the daemon killed: CONNECTION LOST within three heartbeats ----
  const [killedAt, interval] = await step('kill');
  const lostAt = await (await page.waitForFunction(() =>
    document.body.dataset.lost === 'true' && !document.getElementById('lost').hidden ? Date.now() : false,
  {polling: 'mutation', timeout: 15000})).jsonValue();
  const lostAfter = lostAt - Number(killedAt);
  check(lostAfter <= 3 * Number(interval) + 1000,
    'CONNECTION LOST ' + lostAfter + ' ms after the daemon was killed (heartbeat ' + interval + ' ms)');
  check(await page.$$eval('.tile.lost', (ts) => ts.length) === 4, 'over every bed');
  check(await page.evaluate(() => document.body.dataset.sounding) === 'high', 'and it sounds');

  // ---- a hostile publisher: what it sends is shown as text ----
  await page.evaluate(() => { window.__pwned = false; });
  await step('hostile');
  const hostileBed = env.VT_HOSTILE_BED, hostile = env.VT_HOSTILE_TEXT;
  await page.waitForFunction((h) => [...document.querySelectorAll('.tile h2')].some((e) => e.textContent === h),
    {timeout: 15000}, hostileBed);
  check(true, 'a bed named ' + hostileBed + ' is shown by that name');
  check(await page.evaluate(() => document.body.dataset.lost) === 'false', 'contact is back');
  const shown = await page.evaluate(() => ({
    rows: [...document.querySelectorAll('#alarm-rows td.text')].map((t) => t.textContent),
    imgs: document.querySelectorAll('#beds img, #alarm-rows img, #history img').length,
    scripts: document.querySelectorAll('body script').length,
    pwned: window.__pwned,
  }));
  check(shown.rows.some((t) => t.includes(hostile)), 'the hostile alarm text is shown as text');
  check(shown.imgs === 0 && shown.scripts === 0 && shown.pwned === false, 'and nothing of it became markup or ran');
  check(problems.length === 0, 'no script errors on the page' + (problems.length ? ': ' + problems.join('; ') : ''));
  await step('done');
} finally {
  lines.close();
  process.stdin.destroy();
  if (evil) evil.close();
  if (browser) await browser.close();
  fs.rmSync(profile, {recursive: true, force: true});
}
