// store.js - what the page knows, fed by the stream (stream.js) and the
// periodic refreshes (main.js), read by every view. One store; views
// subscribe and are told when something changed (at most once a frame,
// and not at all while the view is paused or the tab hidden: main.js).
//
// Per rule it keeps the last total and window counts, and a per-second
// ring of the last SPARK_S seconds (the sparkline): live ticks add their
// total's increase at the tick's second; seconds before the first tick
// are filled from /api/v1/series when the row is first shown (backfill).
// Views redraw only what changed: each ring has a version (bumped by
// every add or fill) and remembers its newest second with a count, and
// store.listVersion changes only when the set of rules or their
// definitions change (not on every tick).

export const SPARK_S = 900;

class Spark {
	constructor() {
		this.v = new Float64Array(SPARK_S);
		this.t = new Int32Array(SPARK_S).fill(-1);
		this.liveFrom = 0; // first second counted live; backfill fills before it
		this.backfilled = false;
		this.version = 0; // bumped on every change of the values
		this.newest = -1; // the newest second with a non-zero value
	}
	add(sec, n) {
		const i = sec % SPARK_S;
		if (this.t[i] !== sec) (this.t[i] = sec), (this.v[i] = 0);
		this.v[i] += n;
		if (!this.liveFrom) this.liveFrom = sec;
		if (n && sec > this.newest) this.newest = sec;
		this.version++;
	}
	fill(points) {
		for (const [sec, n] of points) {
			if (this.liveFrom && sec >= this.liveFrom) continue;
			const i = sec % SPARK_S;
			this.t[i] = sec;
			this.v[i] = n;
			if (n && sec > this.newest) this.newest = sec;
		}
		this.backfilled = true;
		this.version++;
	}
	/** Whether every value of the SPARK_S seconds ending at now is 0. */
	emptyAt(now) {
		return this.newest <= now - SPARK_S;
	}
	/** The SPARK_S values ending at second now (oldest first) into out. */
	values(now, out) {
		for (let k = 0; k < SPARK_S; k++) {
			const sec = now - SPARK_S + 1 + k;
			const i = sec % SPARK_S;
			out[k] = this.t[i] === sec ? this.v[i] : 0;
		}
		return out;
	}
}

export const store = {
	snap: null, // the last whole snapshot (windows, ingest, event_time...)
	windows: [], // the configured windows, shortest first
	rules: new Map(), // name -> {name, total, windows: {w: {count, rate, span_s, observed_s}}, spark, def}
	list: [], // the rules in snapshot order
	listVersion: 0, // bumped when list's members or their definitions change
	seq: 0,
	timeMs: 0, // the last tick's time (Unix ms, weir's clock)
	recordsPerS: null,
	ingest: {},
	stats: null,
	sources: null,
	defs: null, // /api/v1/rules by name
	observed: {}, // window -> observed_s at the last snapshot or tick (docs/API.md)
	version: 0, // bumped on every change
};

const subs = new Set();
export function subscribe(fn) {
	subs.add(fn);
	return () => subs.delete(fn);
}
function changed(what) {
	store.version++;
	for (const fn of subs) fn(what);
}

let tickMark = 0; // numbers the ticks applied (rules listed by the last one carry it)
let membersChanged = false; // a rule was added or removed since list was made

function ruleOf(name) {
	let r = store.rules.get(name);
	if (!r) {
		r = { name, total: 0, windows: {}, spark: new Spark(), def: store.defs ? store.defs.get(name) : null };
		store.rules.set(name, r);
		membersChanged = true;
	}
	return r;
}

function dropRule(name) {
	store.rules.delete(name);
	membersChanged = true;
}

function remakeList() {
	if (!membersChanged) return;
	membersChanged = false;
	store.list = [...store.rules.values()];
	store.listVersion++;
}

/** A whole snapshot (the stream's first event, or a refresh). */
export function applySnapshot(s) {
	const fresh = s.seq < store.seq; // weir restarted: seq began again
	store.snap = s;
	store.windows = s.windows || [];
	if (s.observed_s) store.observed = { ...s.observed_s };
	store.ingest = { ...store.ingest, ...(s.ingest || {}) };
	if (s.seq >= store.seq || fresh) {
		store.seq = s.seq;
		store.timeMs = s.time_ms;
	}
	const names = new Set();
	for (const x of s.rules || []) {
		const r = ruleOf(x.name);
		names.add(x.name);
		r.total = x.total;
		r.hasTotal = true;
		r.full = x;
		for (const [w, a] of Object.entries(x.windows || {})) r.windows[w] = { ...a };
	}
	for (const n of [...store.rules.keys()]) if (!names.has(n)) dropRule(n);
	remakeList();
	changed('snapshot');
}

/** One tick's delta (docs/API.md, /api/v1/stream). */
export function applyTick(t) {
	const sec = Math.floor(t.time_ms / 1000);
	const prevRecords = store.ingest.records;
	const prevMs = store.timeMs;
	store.seq = t.seq;
	store.timeMs = t.time_ms;
	if (t.ingest) {
		Object.assign(store.ingest, t.ingest);
		if (prevRecords !== undefined && t.time_ms > prevMs)
			store.recordsPerS = ((t.ingest.records - prevRecords) * 1000) / (t.time_ms - prevMs);
	}
	const listed = t.rules || [];
	const mark = ++tickMark; // r.listedIn === mark: this tick lists r
	for (let k = 0; k < listed.length; k++) {
		const x = listed[k];
		const r = ruleOf(x.name);
		r.listedIn = mark;
		const d = x.total - r.total;
		if (d > 0 && r.hasTotal) r.spark.add(sec, d);
		else if (!r.spark.liveFrom) r.spark.liveFrom = sec;
		r.total = x.total;
		r.hasTotal = true;
		const xw = x.windows;
		for (const w in xw) {
			const cur = r.windows[w] || (r.windows[w] = {});
			cur.count = xw[w];
		}
	}
	// every tick carries every window's observed_s: a rate is count/observed_s
	// for every rule, the ones this tick lists and the ones it does not
	if (t.observed_s) store.observed = { ...t.observed_s };
	if (t.observed_s || listed.length) {
		const obs = store.observed;
		for (const r of store.rules.values()) {
			const ws = r.windows;
			for (const w in ws) {
				const cur = ws[w];
				if (obs[w] !== undefined) cur.observed_s = obs[w];
				const span = cur.observed_s || cur.span_s || parseWin(w);
				cur.rate = span && cur.count !== undefined ? cur.count / span : 0;
			}
		}
	}
	if (t.all_rules) {
		for (const r of [...store.rules.values()]) if (r.listedIn !== mark) dropRule(r.name);
	}
	remakeList();
	changed('tick');
}

const winSecs = new Map(); // window name -> seconds
function parseWin(w) {
	let s = winSecs.get(w);
	if (s === undefined) {
		const m = /^(\d+)(s|m|h|d)$/.exec(w);
		winSecs.set(w, (s = m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]] : 0));
	}
	return s;
}

export function setDefs(rules) {
	store.defs = new Map(rules.map((d) => [d.name, d]));
	for (const r of store.rules.values()) r.def = store.defs.get(r.name) || null;
	store.listVersion++; // the packs may have changed
	changed('defs');
}

export function setStats(s) {
	store.stats = s;
	changed('stats');
}

export function setSources(s) {
	store.sources = s;
	changed('sources');
}

/** The rule's definition file ("nginx.yaml") from its source "FILE:LINE:COL". */
export function packOf(r) {
	const src = r.def && r.def.source;
	if (!src) return '';
	if (r.packSrc !== src) (r.packSrc = src), (r.pack = src.replace(/:\d+:\d+$/, '').split('/').pop());
	return r.pack;
}
