// main.js - the page's start and its loop: sign in if weir asks for a
// token (login.js), open the one event stream (stream.js) into the store
// (store.js), refresh what the stream does not carry (stats, sources,
// the whole snapshot, rule definitions) every few seconds, route the URL
// (url.js) to a view, and redraw at most once a frame - never while the
// tab is hidden or the view is paused.

import './app.css';
import { api, onAuthLost, HttpError } from './api.js';
import { openStream } from './stream.js';
import { store, subscribe, applySnapshot, applyTick, setDefs, setStats, setSources } from './store.js';
import { onChange, view } from './url.js';
import { initTheme } from './theme.js';
import { createHealth } from './health.js';
import { createOverview } from './overview.js';
import { createRule } from './rule.js';
import { createSources } from './sources.js';
import { askToken, showSession } from './login.js';
import { setText } from './dom.js';

const main = document.getElementById('main');
const liveEl = document.getElementById('live');
const pauseBtn = document.getElementById('pause');
initTheme(document.getElementById('theme'));

const health = createHealth(document.getElementById('health'));
const pages = { overview: createOverview(main), rule: createRule(main), sources: createSources(main) };
let page = null;
let paused = false;
let streamState = 'connecting';
let stream = null;
let timers = [];
let signingIn = null;

function showState() {
	const s = paused ? 'paused' : streamState;
	liveEl.dataset.state = s;
	setText(liveEl, s);
}

function route(v) {
	const next = pages[v.page] || pages.overview;
	if (page && page !== next && page.leave) page.leave();
	page = next;
	for (const a of document.querySelectorAll('[data-nav]'))
		a.setAttribute('aria-current', a.dataset.nav === (v.page === 'rule' ? 'overview' : v.page) ? 'page' : 'false');
	if (v.page !== 'rule') document.title = v.page === 'sources' ? 'Sources · weir' : 'weir';
	page.render(v);
}

// User Timing for tests/bench/dashboard.mjs: 'weir-tick' spans a tick's
// arrival to the end of the frame that drew it; detail.work is the
// main-thread time spent in parsing and applying it (detail.apply) and in
// drawing (the wait for the frame excluded). At most 1,000 are kept.
let tickT0 = -1;
let tickWork = 0;
let tickMeasures = 0;
function onTick(t, t0 = performance.now()) {
	applyTick(t);
	if (tickT0 < 0) tickT0 = t0;
	tickWork += performance.now() - t0;
}

let frame = 0;
function schedule() {
	if (frame || paused || document.hidden) return;
	frame = requestAnimationFrame(() => {
		frame = 0;
		const t0 = performance.now();
		health.update();
		if (page) page.update();
		if (tickT0 >= 0) {
			const t1 = performance.now();
			if (++tickMeasures > 1000) performance.clearMeasures('weir-tick'), (tickMeasures = 1);
			performance.measure('weir-tick', { start: tickT0, end: t1, detail: { work: tickWork + t1 - t0, apply: tickWork } });
			(tickT0 = -1), (tickWork = 0);
		}
	});
}
subscribe(schedule);
document.addEventListener('visibilitychange', schedule);
setInterval(() => health.update(), 1000); // staleness moves without data

pauseBtn.addEventListener('click', () => {
	paused = !paused;
	pauseBtn.setAttribute('aria-pressed', String(paused));
	setText(pauseBtn, paused ? 'Resume' : 'Pause');
	showState();
	schedule();
});

document.addEventListener('keydown', (e) => {
	const t = e.target;
	const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
	if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
		e.preventDefault();
		if (page !== pages.overview) location.hash = '#/';
		pages.overview.focusFilter();
	} else if (e.key === 'Escape' && t && t.id === 'filter') {
		t.blur();
	}
});

async function poll(fn, set) {
	try {
		set(await fn());
	} catch (e) {
		if (!(e instanceof HttpError)) return; // weir down: the stream says so
	}
}

function startData() {
	stream = openStream({
		snapshot(s) {
			applySnapshot(s);
			if (!performance.getEntriesByName('weir-snapshot').length) performance.mark('weir-snapshot');
		},
		tick: onTick,
		state(s) {
			streamState = s;
			showState();
			if (s === 'live' && !store.defs) poll(api.rules, (r) => setDefs(r.rules));
		},
		async check() {
			// the stream failed with an HTTP error: a lost session is the login's business
			const s = await api.session();
			if (s.auth_reads && !s.authenticated) {
				signIn();
				return false;
			}
			return true;
		},
	});
	const every = (ms, fn) => (fn(), timers.push(setInterval(fn, ms)));
	every(3000, () => poll(api.stats, setStats));
	every(3000, () => poll(api.sources, setSources));
	every(10000, () => poll(api.snapshot, applySnapshot));
	every(30000, () => poll(api.rules, (r) => setDefs(r.rules)));
}

function stopData() {
	if (stream) stream.close(), (stream = null);
	for (const t of timers) clearInterval(t);
	timers = [];
}

async function signIn() {
	if (signingIn) return signingIn;
	stopData();
	streamState = 'signed out';
	showState();
	signingIn = askToken(main).then(() => {
		signingIn = null;
		start();
	});
	return signingIn;
}
onAuthLost(signIn);

async function start() {
	let s;
	try {
		s = await api.session();
	} catch {
		s = { auth_reads: false, authenticated: true }; // weir down: the stream retries
	}
	if (s.auth_reads && !s.authenticated) return signIn();
	showSession(s);
	main.replaceChildren();
	page = null;
	route(view());
	startData();
}

onChange((v) => {
	if (!signingIn) route(v);
});
showState();
start();
