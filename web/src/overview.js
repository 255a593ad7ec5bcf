// overview.js - every rule, one row each: name, total, the count and rate
// in the chosen window ("observed 4m of 1h" when the window is not yet
// full), a sparkline of the last 15 minutes per second, and the change
// (the shortest window's rate minus the chosen window's: positive when
// the rule is rising). Sortable, filterable by name and by the file that
// defines the rule (a pack). Virtualised: only the rows on screen (plus a
// few) exist in the DOM, reused as the list scrolls, so 1,000 rules cost
// what 30 do. Sparklines of rows first shown are backfilled from
// /api/v1/series, a few requests at a time.
//
// A frame's cost must not grow with the rules (docs: tests/bench/README.md,
// the dashboard's TICK BAR): the filter's result is kept until the filter
// or the rule set changes; the sort compares numbers (a key per rule and a
// name rank made once per rule set), and is skipped when the order still
// holds; a row writes only the text that changed, and redraws its
// sparkline only when its rule, data, second, size or theme changed. The
// frame reads no layout: the list's height and the sparklines' size come
// from ResizeObservers, the scroll position from scroll events.

import { h, replace, setText } from './dom.js';
import { fmtInt, fmtRate, fmtDur, parseDur } from './format.js';
import { store, packOf, SPARK_S } from './store.js';
import { drawSpark } from './chart.js';
import { go, href } from './url.js';
import { api } from './api.js';
import { onTheme } from './theme.js';

const ROW_H = 44;
const UNSET = {}; // a cell's number before its first write
const OVERSCAN = 6;
const SORTS = {
	name: { label: 'Rule', def: 'asc' },
	total: { label: 'Total', def: 'desc' },
	count: { label: 'Count', def: 'desc' },
	rate: { label: 'Rate', def: 'desc' },
	change: { label: 'Change', def: 'desc' },
};

export function windowOf(v) {
	const ws = store.windows;
	if (v.w && ws.includes(v.w)) return v.w;
	return ws.includes('1m') ? '1m' : ws[0] || '';
}

function changeOf(r, w) {
	const ws = store.windows;
	if (ws.length < 2) return 0;
	const short = ws[0] === w ? ws[1] : ws[0];
	const a = r.windows[short],
		b = r.windows[w];
	return (ws[0] === w ? (b && b.rate) - (a && a.rate) : (a && a.rate) - (b && b.rate)) || 0;
}

export function createOverview(root) {
	let view = null;
	let rows = []; // the filtered, sorted list
	let rowsKey = null; // what rows was filtered for (filter, pack, rule set)
	let rankedFor = -1; // the store.listVersion whose names are ranked (r.rank)
	let packsFor = -1; // the store.listVersion the pack menu was made for
	const pool = [];
	let backfilling = 0;
	const sparkBuf = new Float64Array(SPARK_S);
	let viewH = 0; // the list's visible height (ResizeObserver)
	let scrollY = 0; // its scrollTop (scroll events)
	let themeGen = 0; // bumped when the theme changes: every sparkline redraws
	let spacerH = -1;

	const filter = h('input', {
		type: 'search',
		id: 'filter',
		placeholder: 'Filter rules  ( / )',
		'aria-label': 'Filter rules by name',
		autocomplete: 'off',
		spellcheck: 'false',
	});
	const pack = h('select', { id: 'pack', 'aria-label': 'Filter rules by pack (the file that defines them)' });
	const win = h('select', { id: 'window', 'aria-label': 'Window' });
	const count = h('span', { class: 'dim', id: 'rule-count', 'aria-live': 'polite' });
	const head = h('div', { class: 'vrow vhead', role: 'row' });
	const spacer = h('div', { class: 'vspacer' });
	const scroller = h('div', { class: 'vscroll', tabindex: '0', 'aria-label': 'Rules' }, spacer);
	const table = h('div', { class: 'vtable', role: 'table', 'aria-label': 'Rules', id: 'rules' }, head, scroller);

	filter.addEventListener('input', () => go({ q: filter.value }, { replace: true }));
	pack.addEventListener('change', () => go({ pack: pack.value }));
	win.addEventListener('change', () => go({ w: win.value }));
	scroller.addEventListener(
		'scroll',
		() => {
			scrollY = scroller.scrollTop;
			draw();
		},
		{ passive: true }
	);
	new ResizeObserver((es) => {
		const hgt = es[es.length - 1].contentRect.height;
		if (hgt !== viewH) (viewH = hgt), draw();
	}).observe(scroller);
	// a sparkline's size, known without a layout read in the frame
	const sparkSize = new ResizeObserver((es) => {
		for (const e of es) {
			const c = e.target;
			c.cssW = e.contentRect.width;
			c.cssH = e.contentRect.height;
			const el = c.row;
			if (!el.hidden && el.r) drawRowSpark(el, Math.floor((store.timeMs || Date.now()) / 1000));
		}
	});
	onTheme(() => {
		themeGen++;
		const nowSec = Math.floor((store.timeMs || Date.now()) / 1000);
		for (const el of pool) if (el && !el.hidden && el.r) drawRowSpark(el, nowSec);
	});

	function headCell(key, extra) {
		const s = SORTS[key];
		const active = view && (view.sort || 'rate') === key;
		const dir = active ? view.dir || s.def : null;
		const b = h(
			'button',
			{
				type: 'button',
				class: 'sort',
				'data-sort': key,
				onclick: () => {
					const cur = view.sort || 'rate';
					const d = cur === key ? ((view.dir || s.def) === 'asc' ? 'desc' : 'asc') : s.def;
					go({ sort: key, dir: d });
				},
			},
			s.label + (extra || ''),
			active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''
		);
		return h(
			'div',
			{ role: 'columnheader', class: 'c-' + key, 'aria-sort': active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none' },
			b
		);
	}

	function drawHead() {
		const w = windowOf(view);
		replace(
			head,
			headCell('name'),
			headCell('total'),
			headCell('count', ' ' + w),
			headCell('rate', ' ' + w),
			h('div', { role: 'columnheader', class: 'c-spark' }, 'Last 15 min'),
			headCell('change')
		);
	}

	function drawControls() {
		if (document.activeElement !== filter && filter.value !== (view.q || '')) filter.value = view.q || '';
		if (packsFor !== store.listVersion) {
			packsFor = store.listVersion;
			const packs = [...new Set(store.list.map(packOf).filter(Boolean))].sort();
			const want = ['', ...packs].join('\n');
			if (pack.dataset.opts !== want) {
				replace(pack, h('option', { value: '' }, 'All packs'), packs.map((p) => h('option', { value: p }, p)));
				pack.dataset.opts = want;
			}
		}
		if (pack.value !== (view.pack || '')) pack.value = view.pack || '';
		const ws = store.windows.join('\n');
		if (win.dataset.opts !== ws) {
			replace(win, store.windows.map((w) => h('option', { value: w }, w)));
			win.dataset.opts = ws;
		}
		if (win.value !== windowOf(view)) win.value = windowOf(view);
	}

	/** r.rank: the rule's place by name (code units, as before), once per rule set. */
	function rankNames() {
		if (rankedFor === store.listVersion) return;
		rankedFor = store.listVersion;
		const byName = store.list.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		for (let i = 0; i < byName.length; i++) byName[i].rank = i;
	}

	function compute() {
		const q = (view.q || '').toLowerCase();
		const p = view.pack || '';
		const w = windowOf(view);
		const key = SORTS[view.sort] ? view.sort : 'rate';
		const dir = (view.dir || SORTS[key].def) === 'asc' ? 1 : -1;
		rankNames();
		const fkey = q + '\0' + p + '\0' + store.listVersion;
		if (rowsKey !== fkey) {
			rowsKey = fkey;
			rows = store.list.filter((r) => (!q || r.name.toLowerCase().includes(q)) && (!p || packOf(r) === p));
		}
		// one number per rule (r.sk), then numbers compared: ties by name
		for (let i = 0; i < rows.length; i++) {
			const r = rows[i];
			let v;
			if (key === 'name') v = r.rank;
			else if (key === 'total') v = r.total;
			else if (key === 'change') v = changeOf(r, w);
			else {
				const a = r.windows[w];
				v = a ? (key === 'count' ? a.count : a.rate) : 0;
			}
			r.sk = +v || 0;
		}
		const cmp = (a, b) => (a.sk - b.sk) * dir || a.rank - b.rank;
		let sorted = true;
		for (let i = 1; i < rows.length && sorted; i++) if (cmp(rows[i - 1], rows[i]) > 0) sorted = false;
		if (!sorted) rows.sort(cmp);
		setText(count, `${rows.length} of ${store.list.length} rules`);
	}

	function makeRow() {
		const link = h('a', { class: 'rname' });
		const packEl = h('span', { class: 'pack dim' });
		const el = h(
			'div',
			{ class: 'vrow', role: 'row' },
			h('div', { role: 'cell', class: 'c-name' }, link, packEl),
			h('div', { role: 'cell', class: 'c-total num' }),
			h('div', { role: 'cell', class: 'c-count num' }),
			h('div', { role: 'cell', class: 'c-rate num' }, h('span'), h('span', { class: 'obs dim' })),
			h('div', { role: 'cell', class: 'c-spark' }, h('canvas', { class: 'spark', 'aria-hidden': 'true' })),
			h('div', { role: 'cell', class: 'c-change num' })
		);
		el.link = link;
		el.packEl = packEl;
		el.cells = el.children;
		el.canvas = el.cells[4].firstChild;
		el.canvas.row = el;
		el.r = null; // the rule shown
		el.i = -1; // its place in rows
		el.drawn = null; // what its sparkline was drawn for
		for (const c of el.cells) c.num = UNSET;
		scroller.appendChild(el);
		sparkSize.observe(el.canvas);
		return el;
	}

	// text written only when it changed (the last string kept on the node:
	// no DOM read either)
	function put(node, s) {
		if (node.shown !== s) (node.shown = s), (node.textContent = s);
	}

	function fillRow(el, r, i, w, nowSec) {
		if (el.i !== i) {
			el.i = i;
			el.style.transform = `translateY(${i * ROW_H}px)`;
			el.setAttribute('aria-rowindex', String(i + 2));
		}
		if (el.r !== r) {
			el.r = r;
			el.dataset.rule = r.name;
			put(el.link, r.name);
			el.link.setAttribute('href', href({ page: 'rule', rule: r.name, key: null }));
		}
		put(el.packEl, packOf(r));
		const c = el.cells;
		if (c[1].num !== r.total) put(c[1], fmtInt((c[1].num = r.total)));
		const a = r.windows[w] || {};
		if (c[2].num !== a.count) put(c[2], fmtInt((c[2].num = a.count)));
		if (c[3].num !== a.rate) put(c[3].firstChild, (c[3].num = a.rate) === undefined ? '–' : fmtRate(a.rate));
		const span = parseDur(w);
		put(c[3].lastChild, a.observed_s !== undefined && a.observed_s < span ? `observed ${fmtDur(a.observed_s)} of ${w}` : '');
		const ch = changeOf(r, w);
		if (c[5].num !== ch) {
			c[5].num = ch;
			put(c[5], ch ? (ch > 0 ? '+' : '−') + fmtRate(Math.abs(ch)) : '0');
			const cls = 'c-change num ' + (ch > 0 ? 'up' : ch < 0 ? 'down' : '');
			if (c[5].className !== cls) c[5].className = cls;
		}
		drawRowSpark(el, nowSec);
		if (!r.spark.backfilled) backfill(r);
	}

	/**
	 * The row's sparkline, redrawn only when what it shows changed: another
	 * rule, new data, the next second (unless it was and stays empty: a
	 * rule with no match in 15 minutes), its size, the theme.
	 */
	function drawRowSpark(el, nowSec) {
		const r = el.r,
			sp = r.spark,
			cv = el.canvas;
		const cw = cv.cssW,
			chh = cv.cssH;
		if (!cw || !chh) return; // not laid out yet, or hidden (a phone): the ResizeObserver draws it
		const dpr = window.devicePixelRatio || 1;
		const empty = sp.emptyAt(nowSec);
		const d = el.drawn;
		const same = d && d.r === r && d.w === cw && d.h === chh && d.dpr === dpr && d.theme === themeGen;
		if (same && (empty ? d.empty : d.v === sp.version && d.sec === nowSec)) return;
		drawSpark(cv, empty ? sparkBuf.fill(0) : sp.values(nowSec, sparkBuf), cw, chh);
		el.drawn = { r, w: cw, h: chh, dpr, theme: themeGen, empty, v: sp.version, sec: nowSec };
	}

	function backfill(r) {
		if (backfilling >= 4 || r.spark.pending) return;
		r.spark.pending = true;
		backfilling++;
		api.series(r.name, '15m', '1s')
			.then((s) => r.spark.fill(s.points || []))
			.catch(() => (r.spark.backfilled = true))
			.finally(() => {
				backfilling--;
				r.spark.pending = false;
			});
	}

	function draw() {
		if (!view) return;
		const w = windowOf(view);
		if (spacerH !== rows.length) {
			spacerH = rows.length;
			spacer.style.height = rows.length * ROW_H + 'px';
			table.setAttribute('aria-rowcount', String(rows.length + 1));
		}
		const hgt = viewH || 600;
		// a filter that shortens the list leaves scrollTop past its end until
		// the browser clamps it (with no scroll event when rows are placed by
		// transform): clamp it here, or no row would be drawn
		const maxTop = Math.max(0, rows.length * ROW_H - hgt);
		if (scrollY > maxTop) scroller.scrollTop = scrollY = maxTop;
		const top = Math.min(scrollY, maxTop);
		const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
		const last = Math.min(rows.length, Math.ceil((top + hgt) / ROW_H) + OVERSCAN);
		// row i lives in slot i % P of the pool: scrolling by a row moves one
		// element, and the others keep their rule, text and sparkline (a
		// slot's element is made when it is first needed)
		const P = Math.max(pool.length, Math.ceil(hgt / ROW_H) + 2 * OVERSCAN + 1);
		if (pool.length < P) pool.length = P;
		const nowSec = Math.floor((store.timeMs || Date.now()) / 1000);
		for (let k = 0; k < P; k++) {
			const i = first + ((((k - first) % P) + P) % P); // the index in [first, first + P) that slot k holds
			let el = pool[k];
			if (i < last) {
				if (!el) el = pool[k] = makeRow();
				if (el.hidden) el.hidden = false;
				fillRow(el, rows[i], i, w, nowSec);
			} else if (el && !el.hidden) el.hidden = true;
		}
	}

	const node = h(
		'section',
		{ class: 'overview', 'aria-labelledby': 'ov-title' },
		h('div', { class: 'toolbar' }, h('h1', { id: 'ov-title' }, 'Rules'), filter, pack, h('label', { class: 'inline' }, 'Window ', win), count),
		table
	);

	return {
		node,
		focusFilter() {
			filter.focus();
			filter.select();
		},
		render(v) {
			if (!node.isConnected) replace(root, node);
			view = v;
			// not a frame: reading layout here is fine (the node may just have
			// been put back, its scroll position reset)
			scrollY = scroller.scrollTop;
			viewH = scroller.clientHeight || viewH;
			drawControls();
			drawHead();
			compute();
			draw();
		},
		/** Data changed, the view did not. */
		update() {
			if (!view) return;
			drawControls();
			compute();
			draw();
		},
	};
}
