// overview.js - every rule, one row each: name, total, the count and rate
// in the chosen window ("observed 4m of 1h" when the window is not yet
// full), a sparkline of the last 15 minutes per second, and the change
// (the shortest window's rate minus the chosen window's: positive when
// the rule is rising). Sortable, filterable by name and by the file that
// defines the rule (a pack). Virtualised: only the rows on screen (plus a
// few) exist in the DOM, reused as the list scrolls, so 1,000 rules cost
// what 30 do. Sparklines of rows first shown are backfilled from
// /api/v1/series, a few requests at a time.

import { h, replace, setText } from './dom.js';
import { fmtInt, fmtRate, fmtDur, parseDur } from './format.js';
import { store, packOf, SPARK_S } from './store.js';
import { drawSpark } from './chart.js';
import { go, href } from './url.js';
import { api } from './api.js';

const ROW_H = 44;
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
	const pool = [];
	let backfilling = 0;
	const sparkBuf = new Float64Array(SPARK_S);

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
	scroller.addEventListener('scroll', () => draw(), { passive: true });
	window.addEventListener('resize', () => draw());

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
		if (document.activeElement !== filter) filter.value = view.q || '';
		const packs = [...new Set(store.list.map(packOf).filter(Boolean))].sort();
		const want = ['', ...packs].join('\n');
		if (pack.dataset.opts !== want) {
			replace(pack, h('option', { value: '' }, 'All packs'), packs.map((p) => h('option', { value: p }, p)));
			pack.dataset.opts = want;
		}
		pack.value = view.pack || '';
		const ws = store.windows.join('\n');
		if (win.dataset.opts !== ws) {
			replace(win, store.windows.map((w) => h('option', { value: w }, w)));
			win.dataset.opts = ws;
		}
		win.value = windowOf(view);
	}

	function compute() {
		const q = (view.q || '').toLowerCase();
		const p = view.pack || '';
		const w = windowOf(view);
		const key = SORTS[view.sort] ? view.sort : 'rate';
		const dir = (view.dir || SORTS[key].def) === 'asc' ? 1 : -1;
		rows = store.list.filter((r) => (!q || r.name.toLowerCase().includes(q)) && (!p || packOf(r) === p));
		const val = {
			name: (r) => r.name,
			total: (r) => r.total,
			count: (r) => (r.windows[w] ? r.windows[w].count : 0),
			rate: (r) => (r.windows[w] ? r.windows[w].rate : 0),
			change: (r) => changeOf(r, w),
		}[key];
		rows.sort((a, b) => {
			const x = val(a),
				y = val(b);
			const c = key === 'name' ? (x < y ? -1 : x > y ? 1 : 0) : x - y;
			return c * dir || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
		});
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
		scroller.appendChild(el);
		return el;
	}

	function fillRow(el, r, i, w, nowSec) {
		el.style.transform = `translateY(${i * ROW_H}px)`;
		el.setAttribute('aria-rowindex', String(i + 2));
		el.dataset.rule = r.name;
		setText(el.link, r.name);
		el.link.setAttribute('href', href({ page: 'rule', rule: r.name, key: null }));
		setText(el.packEl, packOf(r));
		setText(el.cells[1], fmtInt(r.total));
		const a = r.windows[w] || {};
		setText(el.cells[2], fmtInt(a.count));
		setText(el.cells[3].firstChild, a.rate === undefined ? '–' : fmtRate(a.rate));
		const span = parseDur(w);
		setText(el.cells[3].lastChild, a.observed_s !== undefined && a.observed_s < span ? `observed ${fmtDur(a.observed_s)} of ${w}` : '');
		const ch = changeOf(r, w);
		setText(el.cells[5], ch ? (ch > 0 ? '+' : '−') + fmtRate(Math.abs(ch)) : '0');
		el.cells[5].className = 'c-change num ' + (ch > 0 ? 'up' : ch < 0 ? 'down' : '');
		drawSpark(el.cells[4].firstChild, r.spark.values(nowSec, sparkBuf));
		if (!r.spark.backfilled) backfill(r);
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
		spacer.style.height = rows.length * ROW_H + 'px';
		table.setAttribute('aria-rowcount', String(rows.length + 1));
		const hgt = scroller.clientHeight || 600;
		// a filter that shortens the list leaves scrollTop past its end until
		// the browser clamps it (with no scroll event when rows are placed by
		// transform): clamp it here, or no row would be drawn
		const maxTop = Math.max(0, rows.length * ROW_H - hgt);
		if (scroller.scrollTop > maxTop) scroller.scrollTop = maxTop;
		const top = Math.min(scroller.scrollTop, maxTop);
		const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
		const last = Math.min(rows.length, Math.ceil((top + hgt) / ROW_H) + OVERSCAN);
		const need = last - first;
		while (pool.length < need) pool.push(makeRow());
		const nowSec = Math.floor((store.timeMs || Date.now()) / 1000);
		for (let k = 0; k < pool.length; k++) {
			const el = pool[k];
			if (k < need) {
				el.hidden = false;
				fillRow(el, rows[first + k], first + k, w, nowSec);
			} else el.hidden = true;
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
