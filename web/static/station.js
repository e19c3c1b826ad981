// The central station page. It draws what the server's console model
// says (vitals-web sends it over Server-Sent Events: a snapshot, then
// numbered updates) and decides nothing the model decides already: which
// beds, which alarms, whether contact is lost, what must sound. What it
// does itself: notice that the stream itself stopped (no event for three
// intervals: CONNECTION LOST), notice a missing update number (start again
// from a snapshot), play the alarm sounds, and send the nurse's actions.
//
// Every text from the wire goes into the page as text (textContent), never
// as HTML: a bed name or an alarm text cannot become markup or script. The
// server's Content-Security-Policy forbids inline script besides.
'use strict';

const PRIORITY_LABEL = {high: '!!! HIGH', medium: '!! MED', low: '! LOW'};
const BIG = new Set(['spo2', 'pr', 'hr']);
// The parts of a blood pressure: one reading, drawn as one (the bed's `nibp`).
const NIBP = new Set(['nibp_sys', 'nibp_dia', 'nibp_map']);
// The stream is dead after this long without an event (updates come at least once a second).
const STREAM_LOST_MS = 3000;

const state = {
  me: null,               // {user, role, csrf, reports}
  n: -1,                  // number of the last event applied
  station: null,
  offset: 0,              // daemon clock minus ours (ms)
  lastEvent: 0,           // Date.now() of the last event
  order: [],
  beds: new Map(),        // name -> bed object
  tiles: new Map(),       // name -> tile element
  alerts: [],
  trends: new Map(),      // name -> [[t, {param: [lo, hi]}], ...]
  history: new Map(),     // instance + ' ' + id -> entry
  source: null,           // the EventSource
  streamLost: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function daemonNow() {
  return Date.now() + state.offset;
}

function two(n) {
  return String(n).padStart(2, '0');
}

function clock(ms) {
  if (!ms) return '--:--:--';
  const d = new Date(ms);
  return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
}

function elapsed(ms) {
  if (ms === null || ms === undefined || ms < 0) return '--';
  const s = Math.floor(ms / 1000);
  if (s >= 3600) return Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  return Math.floor(s / 60) + ':' + two(s % 60);
}

function say(text, good) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + (good ? 'good' : 'bad');
}

// ---- the nurse's actions -----------------------------------------------------------

async function post(url, fields, label) {
  say(label + ': sent, waiting for the daemon...', true);
  try {
    const r = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': state.me.csrf},
      body: new URLSearchParams(fields),
    });
    const reply = await r.json().catch(() => ({ok: false, error: 'no answer from vitals-web'}));
    if (r.status === 401) {
      window.location.assign('/login');
      return;
    }
    if (r.ok && reply.ok) say(label + ': done', true);
    else say(label + ': NOT DONE: ' + (reply.error || ('refused (' + r.status + ')')), false);
  } catch (e) {
    say(label + ': NOT DONE: vitals-web cannot be reached', false);
  }
}

function acknowledge(id) {
  post('/api/ack', {id}, 'acknowledge ' + id);
}

function pauseAudio(bed) {
  post('/api/silence', {bed}, 'pause the audio of ' + bed + ' for 2 min');
}

function openPhase(bed) {
  const b = state.beds.get(bed);
  $('phase-bed').textContent = bed;
  const next = {'': 'baseline', baseline: 'infusion', infusion: 'recovery', recovery: 'ended', ended: 'baseline'};
  const want = next[(b && b.phase) || ''];
  for (const r of document.querySelectorAll('#phase-choice input')) r.checked = r.value === want;
  $('phase-weight').value = b && b.weight_kg !== null ? b.weight_kg : '';
  $('phase-rate').value = b && b.rate !== null ? b.rate : '0.5';
  $('phase-dialog').dataset.bed = bed;
  showInfusionFields();
  $('phase-dialog').showModal();
}

function showInfusionFields() {
  const chosen = document.querySelector('#phase-choice input:checked');
  $('phase-infusion').hidden = !chosen || chosen.value !== 'infusion';
}

function phaseChosen() {
  const dlg = $('phase-dialog');
  if (dlg.returnValue !== 'set') return;
  const chosen = document.querySelector('#phase-choice input:checked');
  if (!chosen) return;
  const fields = {bed: dlg.dataset.bed, phase: chosen.value};
  if (chosen.value === 'infusion') {
    if ($('phase-weight').value !== '') fields.weight_kg = $('phase-weight').value;
    if ($('phase-rate').value !== '') fields.dose_mg_per_kg_h = $('phase-rate').value;
  }
  post('/api/phase', fields, 'set ' + fields.bed + ' to ' + fields.phase);
}

// ---- sound (IEC 60601-1-8 burst patterns, Web Audio) ------------------------------------

const sound = {
  ctx: null,
  on: false,
  level: 'none',        // what is sounding now
  count: 0,             // how many alarms are sounding
  next: 0,              // Date.now() of the next burst
};

// Bursts: pulse start times (s) and length, the fundamental, and how often the burst repeats.
const BURSTS = {
  high: {times: [0, 0.25, 0.5, 1.0, 1.25, 2.1, 2.35, 2.6, 3.1, 3.35], pulse: 0.15, freq: 660, every: 8000},
  medium: {times: [0, 0.3, 0.6], pulse: 0.2, freq: 520, every: 15000},
  low: {times: [0, 0.35], pulse: 0.2, freq: 440, every: 0},
};

// One pulse: a fundamental and four harmonics (a pure tone is hard to place), 15 % rise and fall.
function pulse(t, freq, len) {
  const ctx = sound.ctx;
  const gain = ctx.createGain();
  gain.connect(ctx.destination);
  gain.gain.setValueAtTime(0, t);
  gain.gain.linearRampToValueAtTime(0.25, t + 0.15 * len);
  gain.gain.setValueAtTime(0.25, t + 0.85 * len);
  gain.gain.linearRampToValueAtTime(0, t + len);
  for (let h = 1; h <= 5; h++) {
    const osc = ctx.createOscillator();
    const g = ctx.createGain();
    osc.frequency.value = freq * h;
    g.gain.value = 1 / (h * 2);
    osc.connect(g).connect(gain);
    osc.start(t);
    osc.stop(t + len + 0.01);
  }
}

function burst(level) {
  if (!sound.on || !sound.ctx) return;
  const b = BURSTS[level];
  const t0 = sound.ctx.currentTime + 0.05;
  for (const t of b.times) pulse(t0 + t, b.freq, b.pulse);
}

// Called on every change and every tick: start a burst when something new sounds, repeat it.
function updateSound() {
  const st = state.station;
  let level = st && st.sounding ? st.sounding : 'none';
  const count = st ? st.sounding_count : 0;
  if (state.streamLost || (st && st.lost)) level = 'high'; // alarms may be going unseen
  const rank = {none: 0, low: 1, medium: 2, high: 3};
  const now = Date.now();
  const started = rank[level] > rank[sound.level] || (level !== 'none' && count > sound.count);
  sound.count = count;
  sound.level = level;
  document.body.dataset.sounding = level;
  if (level === 'none') return;
  const every = BURSTS[level].every;
  if (started || (every > 0 && now >= sound.next)) {
    burst(level);
    sound.next = every > 0 ? now + every : Infinity;
  }
}

function toggleSound() {
  if (!sound.ctx) sound.ctx = new AudioContext();
  sound.on = !sound.on;
  if (sound.on) sound.ctx.resume();
  const b = $('sound');
  b.textContent = sound.on ? 'Sound on' : 'Sound is OFF: click to turn it on';
  b.className = sound.on ? 'sound-on' : 'sound-off';
  document.body.dataset.sound = sound.on ? 'on' : 'off';
  if (sound.on && sound.level !== 'none') {
    burst(sound.level);
    sound.next = BURSTS[sound.level].every > 0 ? Date.now() + BURSTS[sound.level].every : Infinity;
  }
}

// ---- the stream ---------------------------------------------------------------------

function connect() {
  if (state.source) state.source.close();
  state.n = -1;
  const es = new EventSource('/api/events');
  state.source = es;
  es.addEventListener('snapshot', (e) => apply(JSON.parse(e.data)));
  es.addEventListener('update', (e) => apply(JSON.parse(e.data)));
  es.onerror = async () => {
    if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    // Refused outright: logged out, or the server is full. Ask which.
    try {
      const r = await fetch('/api/me', {credentials: 'same-origin'});
      if (r.status === 401) {
        window.location.assign('/login');
        return;
      }
    } catch (err) {
      // unreachable: keep trying below
    }
    setTimeout(connect, 2000);
  };
}

function apply(msg) {
  if (msg.kind === 'update' && msg.n !== state.n + 1) {
    // An update went missing: the picture may be wrong. Start again.
    say('missed an update from vitals-web; reloading the picture', false);
    connect();
    return;
  }
  state.n = msg.n;
  state.lastEvent = Date.now();
  state.station = msg.station;
  if (msg.station.now) state.offset = msg.station.now - Date.now();
  if (msg.kind === 'snapshot') {
    state.beds.clear();
    state.trends.clear();
    state.history.clear();
  }
  if (msg.order) state.order = msg.order;
  for (const b of msg.beds || []) state.beds.set(b.name, b);
  for (const name of [...state.beds.keys()]) if (!state.order.includes(name)) state.beds.delete(name);
  if (msg.trends) {
    for (const [name, points] of Object.entries(msg.trends)) {
      const have = state.trends.get(name) || [];
      for (const p of points) {
        if (have.length && have[have.length - 1][0] === p[0]) have[have.length - 1] = p;
        else if (!have.length || have[have.length - 1][0] < p[0]) have.push(p);
      }
      state.trends.set(name, have);
    }
  }
  if (msg.alerts) state.alerts = msg.alerts;
  for (const h of msg.history || []) state.history.set(h.instance + ' ' + h.id, h);
  render();
}

// ---- drawing ---------------------------------------------------------------------------

function renderBar() {
  const st = state.station;
  $('clock').textContent = clock(st && st.now ? daemonNow() : Date.now());
  let sync = '';
  if (st && st.sync !== 'synced') {
    sync = 'Synchronising with the daemon' + (st.reason ? ' (' + st.reason + ')' : '') +
      (st.problem ? ': ' + st.problem : '') + '; the picture may be incomplete';
  }
  $('sync').textContent = sync;
  const lost = state.streamLost || (st && st.lost);
  document.body.dataset.lost = lost ? 'true' : 'false';
  $('lost').hidden = !lost;
  if (lost) {
    $('lost-why').textContent = state.streamLost
      ? 'vitals-web does not answer (' + elapsed(Date.now() - state.lastEvent) + '): alarms are NOT being received; what is shown is old'
      : 'no message from the daemon for ' + elapsed(st.silent_ms + (Date.now() - state.lastEvent)) +
        ': alarms are NOT being received; what is shown is old';
  }
}

function alertState(a, now) {
  if (a.acknowledged) return 'ACKNOWLEDGED' + (a.by ? ' by ' + a.by : '');
  if (a.silenced_until && a.silenced_until > now) return 'AUDIO PAUSED ' + elapsed(a.silenced_until - now);
  return 'ACTIVE';
}

// Rows are kept per alarm and updated in place: a button under a nurse's
// finger must not be replaced by a new one between press and release.
const alarmRows = new Map();

function alarmRow(a) {
  let tr = alarmRows.get(a.id);
  if (tr) return tr;
  tr = el('tr');
  tr.dataset.id = a.id;
  tr.append(el('td', 'prio'), el('td', 'bed'), el('td', 'text'), el('td', 'since'), el('td', 'state'));
  const act = el('td', 'act');
  const b = el('button', 'ack', 'Acknowledge');
  b.type = 'button';
  b.addEventListener('click', () => acknowledge(a.id));
  act.append(b);
  tr.append(act);
  alarmRows.set(a.id, tr);
  return tr;
}

function renderAlarms() {
  const rows = $('alarm-rows');
  const now = daemonNow();
  const nurse = state.me && state.me.role === 'nurse';
  const ids = new Set(state.alerts.map((a) => a.id));
  for (const [id, tr] of alarmRows) if (!ids.has(id)) { tr.remove(); alarmRows.delete(id); }
  state.alerts.forEach((a, i) => {
    const tr = alarmRow(a);
    tr.className = a.priority + (a.sounding ? ' sounding' : '');
    const cells = tr.children;
    cells[0].textContent = PRIORITY_LABEL[a.priority] || a.priority;
    cells[1].textContent = a.bed;
    cells[2].textContent = (a.technical ? 'TECHNICAL: ' : '') + a.text;
    cells[3].textContent = 'since ' + clock(a.onset) + ' (' + elapsed(now - a.onset) + ')';
    cells[4].textContent = alertState(a, now);
    cells[5].firstChild.hidden = !nurse || a.acknowledged;
    if (rows.children[i] !== tr) rows.insertBefore(tr, rows.children[i] || null);
  });
  $('no-alarms').hidden = state.alerts.length > 0;
}

function tileFor(name) {
  let t = state.tiles.get(name);
  if (t) return t;
  t = el('article', 'tile');
  t.dataset.bed = name;
  const head = el('header');
  head.append(el('h2', 'bed', name), el('span', 'port'), el('span', 'phase'));
  t.append(head, el('div', 'lostmark', 'CONNECTION LOST'), el('div', 'numbers'), el('div', 'meta'));
  const canvas = el('canvas', 'trend');
  canvas.width = 600;
  canvas.height = 140;
  t.append(canvas, el('ul', 'bed-alarms'));
  const foot = el('footer');
  const pause = el('button', 'pause', 'Pause audio 2 min');
  pause.type = 'button';
  pause.addEventListener('click', () => pauseAudio(name));
  const phase = el('button', 'phase-button', 'Phase…');
  phase.type = 'button';
  phase.addEventListener('click', () => openPhase(name));
  foot.append(pause, phase);
  t.append(foot);
  state.tiles.set(name, t);
  return t;
}

function renderTile(b, now) {
  const t = tileFor(b.name);
  const stationLost = state.streamLost || (state.station && state.station.lost);
  const cls = ['tile'];
  if (b.alarm) cls.push('alarm-' + b.alarm);
  else if (b.answered) cls.push('answered-' + b.answered);
  if (b.lost || stationLost) cls.push('lost');
  t.className = cls.join(' ');
  t.querySelector('.port').textContent = b.port || 'port unknown';
  t.querySelector('.lostmark').textContent = stationLost
    ? 'CONNECTION LOST: no data from the daemon'
    : 'CONNECTION LOST: no data from the monitor';
  let phase = '';
  if (b.phase) {
    phase = b.phase.toUpperCase() + ' ' + elapsed(b.phase_since ? now - b.phase_since : -1);
    if (b.dose_mg !== null) phase += ' · ' + b.dose_mg.toFixed(1) + ' mg';
  }
  t.querySelector('.phase').textContent = phase;

  const nums = t.querySelector('.numbers');
  nums.replaceChildren();
  let nibp = false;
  for (const v of b.values) {
    if (NIBP.has(v.name)) {
      if (!nibp) nums.append(nibpBox(b.nibp));
      nibp = true;
      continue;
    }
    const n = el('div', 'num ' + v.name + (BIG.has(v.name) ? ' big' : '') + (v.value === null ? ' invalid' : ''));
    n.dataset.param = v.name;
    n.append(el('span', 'label', v.label), el('span', 'value', v.text), el('span', 'unit', v.unit));
    if (v.spot) n.append(spotAge(v.spot, v.spot.text + ' ' + v.unit));
    nums.append(n);
  }
  if (!b.values.length) nums.append(el('div', 'quiet', 'no values yet'));

  const meta = t.querySelector('.meta');
  meta.replaceChildren();
  if (b.vitals_time) {
    const age = now - b.vitals_time;
    meta.append(el('span', age > 5000 ? 'age stale' : 'age',
      age > 5000 ? 'values ' + elapsed(age) + ' old' : 'values current'));
  }
  if (b.silenced_until && b.silenced_until > now) {
    meta.append(el('span', 'paused', 'AUDIO PAUSED ' + elapsed(b.silenced_until - now)));
  }
  if (b.flags.length) meta.append(el('span', 'flags', b.flags.join(', ')));

  const list = t.querySelector('.bed-alarms');
  list.replaceChildren();
  for (const a of state.alerts) {
    if (a.bed !== b.name) continue;
    list.append(el('li', a.priority + (a.sounding ? '' : ' answered'),
      (PRIORITY_LABEL[a.priority] || a.priority) + ' ' + a.text + ' · ' + elapsed(now - a.onset) +
      (a.sounding ? '' : ' · ' + alertState(a, now).toLowerCase())));
  }
  drawTrend(t.querySelector('canvas'), state.trends.get(b.name) || [], now);
  return t;
}

// How old a spot measurement is (the server says it, from the measurement's
// own time): "12 min ago"; once the daemon no longer gives it (older than the
// monitor's nibp_stale_after, or its port lost), the last reading and its age,
// marked as no longer current. `what` is the reading as shown.
function spotAge(spot, what) {
  const age = spot.age || 'age unknown';
  return el('span', spot.current ? 'age' : 'age stale', spot.current ? age : 'last ' + what + ' ' + age);
}

// A blood pressure, measured every few minutes: systolic/diastolic (mean) with its age.
function nibpBox(spot) {
  const current = spot && spot.current;
  const n = el('div', 'num nibp' + (current ? '' : ' invalid') + (spot && !current ? ' stale' : ''));
  n.dataset.param = 'nibp';
  n.append(el('span', 'label', 'NIBP'), el('span', 'value', current ? spot.text : '---'),
    el('span', 'unit', 'mmHg'));
  if (spot) n.append(spotAge(spot, spot.text));
  return n;
}

// The last 30 minutes: SpO2 (70-100 %) and pulse (40-160 bpm), each slice's range as a band.
// Drawn at the canvas's size on the screen, so that lines and labels are not stretched.
function drawTrend(canvas, points, now) {
  const ctx = canvas.getContext('2d');
  const px = window.devicePixelRatio || 1;
  const cw = Math.round(canvas.clientWidth * px), ch = Math.round(canvas.clientHeight * px);
  if (cw > 0 && ch > 0 && (canvas.width !== cw || canvas.height !== ch)) {
    canvas.width = cw;
    canvas.height = ch;
  }
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.font = Math.round(11 * px) + 'px sans-serif';
  ctx.textBaseline = 'alphabetic';
  ctx.fillStyle = '#55606e';
  ctx.fillText('30 min', 4 * px, h - 4 * px);
  ctx.strokeStyle = '#1c2430';
  for (let m = 1; m < 6; m++) {
    const x = (m / 6) * w;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, h);
    ctx.stroke();
  }
  const start = now - 30 * 60 * 1000;
  const series = [
    {name: 'spo2', lo: 70, hi: 100, color: '#39c6ff'},
    {name: 'pr', lo: 40, hi: 160, color: '#4cf07a'},
  ];
  for (const s of series) {
    const y = (v) => h - ((Math.min(Math.max(v, s.lo), s.hi) - s.lo) / (s.hi - s.lo)) * (h - 6) - 3;
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5 * px;
    ctx.beginPath();
    let prevT = null;
    for (const [t, vals] of points) {
      const r = vals[s.name];
      if (!r || t + 10000 < start) {
        prevT = null;
        continue;
      }
      const x = ((t + 5000 - start) / (30 * 60 * 1000)) * w;
      const mid = y((r[0] + r[1]) / 2);
      if (prevT !== null && t - prevT <= 20000) ctx.lineTo(x, mid);
      else ctx.moveTo(x, mid);
      ctx.fillRect(x - px, y(r[1]), 2 * px, Math.max(px, y(r[0]) - y(r[1])));
      prevT = t;
    }
    ctx.stroke();
  }
  const pr = w - 4 * px - ctx.measureText('PR').width;
  ctx.fillStyle = '#4cf07a';
  ctx.fillText('PR', pr, 13 * px);
  ctx.fillStyle = '#39c6ff';
  ctx.fillText('SpO2', pr - 8 * px - ctx.measureText('SpO2').width, 13 * px);
}

function renderHistory() {
  if ($('history').hidden) return;
  const rows = $('history-rows');
  rows.replaceChildren();
  const entries = [...state.history.values()].sort((a, b) => b.onset - a.onset);
  for (const e of entries) {
    const tr = el('tr');
    tr.append(el('td', null, clock(e.onset)), el('td', null, e.bed),
      el('td', e.priority, PRIORITY_LABEL[e.priority] || e.priority),
      el('td', null, (e.technical ? 'TECHNICAL: ' : '') + e.text),
      el('td', null, e.worst === null ? '' : String(e.worst)),
      el('td', null, e.acknowledged ? (e.by || 'yes') + (e.acked_at ? ' at ' + clock(e.acked_at) : '') : 'no'),
      el('td', null, e.end === 'active' ? 'active' : e.end + ' ' + clock(e.ended)),
      el('td', null, elapsed((e.ended || daemonNow()) - e.onset)));
    rows.append(tr);
  }
}

async function loadReports() {
  if (!state.me || !state.me.reports) return;
  try {
    const r = await fetch('/api/reports', {credentials: 'same-origin'});
    const reply = await r.json();
    const list = $('report-list');
    list.replaceChildren();
    for (const f of reply.reports || []) {
      const li = el('li');
      const a = el('a', null, f.name);
      a.href = '/reports/' + encodeURIComponent(f.name);
      a.target = '_blank';
      a.rel = 'noopener';
      li.append(a, el('span', 'quiet', ' ' + clock(f.mtime)));
      list.append(li);
    }
    $('reports').hidden = false;
  } catch (e) {
    // the history stays usable without the list
  }
}

function render() {
  const now = daemonNow();
  renderBar();
  renderAlarms();
  const beds = $('beds');
  const tiles = state.order.filter((n) => state.beds.has(n)).map((n) => renderTile(state.beds.get(n), now));
  for (const [name, t] of state.tiles) if (!state.beds.has(name)) { t.remove(); state.tiles.delete(name); }
  tiles.forEach((t, i) => { if (beds.children[i] !== t) beds.insertBefore(t, beds.children[i] || null); });
  renderHistory();
  updateSound();
}

// Between events: clocks and ages move, and a silent stream is noticed.
function tick() {
  const silent = state.lastEvent > 0 && Date.now() - state.lastEvent > STREAM_LOST_MS;
  if (silent !== state.streamLost) {
    state.streamLost = silent;
    if (silent) connect();
  }
  if (state.station) render();
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  const r = await fetch('/api/me', {credentials: 'same-origin'});
  if (r.status === 401) {
    window.location.assign('/login');
    return;
  }
  state.me = await r.json();
  const nurse = state.me.role === 'nurse';
  $('who').textContent = state.me.user + (nurse ? '' : ' (read-only)');
  document.body.classList.toggle('read-only', !nurse);
  $('sound').addEventListener('click', toggleSound);
  $('history-toggle').addEventListener('click', () => {
    const h = $('history');
    h.hidden = !h.hidden;
    $('history-toggle').setAttribute('aria-expanded', String(!h.hidden));
    if (!h.hidden) {
      renderHistory();
      loadReports();
      h.scrollIntoView();
    }
  });
  $('logout').addEventListener('click', async () => {
    await post('/api/logout', {}, 'log out');
    window.location.assign('/login');
  });
  for (const r2 of document.querySelectorAll('#phase-choice input')) r2.addEventListener('change', showInfusionFields);
  $('phase-dialog').addEventListener('close', phaseChosen);
  connect();
  setInterval(tick, 250);
}

document.addEventListener('DOMContentLoaded', start);
