// rule.js - one rule: its exact total and per-window counts, a rate chart
// over a chosen range (drag to zoom), value quantiles (table per window,
// and p50/p90/p99 of the shortest window over the time this view is open),
// the top-K with each count's error bound (a key filters the samples),
// the distinct estimate, the rule's definition, and the latest matching
// lines. Every sketched number says its accuracy beside it (docs/API.md).

import { h, replace, setText } from './dom.js';
import { fmtInt, fmtRate, fmtDur, fmtValue, fmtTime, parseDur, visible } from './format.js';
import { store } from './store.js';
import { api, HttpError } from './api.js';
import { timeChart } from './chart.js';
import { go, href } from './url.js';
import { onTheme } from './theme.js';

export const RANGES = ['15m', '1h', '6h', '24h', '7d', '30d'];
const QMAX = 3600; // quantile points kept while the view is open (one per 1/3600 of the range)

function card(title, ...body) {
	const id = 'c-' + title.toLowerCase().replace(/[^a-z]+/g, '-');
	return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

function note(text) {
	return h('p', { class: 'note' }, text);
}

export function createRule(root) {
	let name = null;
	let view = null;
	let rule = null; // /api/v1/rules/{name}
	let chart = null,
		qchart = null;
	let seriesAt = 0,
		seriesKey = '',
		ruleAt = 0,
		samplesAt = 0,
		samplesKey = '';
	const qpts = [[], [], [], []];
	let busy = { rule: false, series: false, samples: false };

	const title = h('h1', { id: 'rule-title', class: 'rule-title' });
	const back = h('a', { class: 'back', href: '#/' }, '← All rules');
	const err = h('p', { class: 'error', role: 'alert', hidden: true });
	const totalEl = h('p', { class: 'big num', id: 'rule-total' });
	const winTable = h('table', { class: 'grid', id: 'rule-windows' });
	const rangeBar = h('div', { class: 'seg', role: 'group', 'aria-label': 'Chart range' });
	const chartEl = h('div', { class: 'chart', id: 'rule-chart' });
	const chartNote = h('p', { class: 'note' });
	const valueCard = h('div');
	const qchartEl = h('div', { class: 'chart', id: 'rule-qchart' });
	const defCard = h('dl', { class: 'def', id: 'rule-def' });
	const samplesHead = h('p', { class: 'note', id: 'rule-samples-head' });
	const samplesList = h('ol', { class: 'samples', id: 'rule-samples' });

	const node = h(
		'article',
		{ class: 'rule', 'aria-labelledby': 'rule-title' },
		h('div', { class: 'toolbar' }, back, title),
		err,
		h(
			'div',
			{ class: 'cards' },
			card('Total', totalEl, note('Exact: every match since weir started (restored across restarts).'), winTable),
			card('Definition', defCard),
			card('Rate', rangeBar, chartEl, chartNote),
			h('div', { class: 'slot-value', id: 'rule-value' }),
			h('div', { class: 'slot-top' }),
			h('div', { class: 'slot-distinct', id: 'rule-distinct' }),
			card('Recent matching lines', samplesHead, samplesList)
		)
	);
	const slots = {
		value: node.querySelector('.slot-value'),
		top: node.querySelector('.slot-top'),
		distinct: node.querySelector('.slot-distinct'),
	};
	onTheme(() => {
		if (chart) chart.destroy(), (chart = null), (seriesKey = '');
		if (qchart) qchart.destroy(), (qchart = null);
		if (name) refresh(true);
	});

	function showError(e) {
		if (!e) {
			err.hidden = true;
			return;
		}
		err.hidden = false;
		setText(err, e.message || String(e));
	}

	function drawRanges() {
		const cur = view.range && RANGES.includes(view.range) ? view.range : '15m';
		replace(
			rangeBar,
			RANGES.map((r) =>
				h('a', { href: href({ range: r }), class: 'segb', 'aria-current': r === cur ? 'true' : null, 'data-range': r }, r)
			)
		);
	}

	function drawWindows() {
		const r = store.rules.get(name);
		setText(totalEl, r ? fmtInt(r.total) : rule ? fmtInt(rule.total) : '–');
		const ws = store.windows;
		const wdata = (rule && rule.windows) || {};
		replace(
			winTable,
			h('caption', { class: 'sr' }, 'Counts per window'),
			h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Window'), h('th', { scope: 'col', class: 'num' }, 'Count'), h('th', { scope: 'col', class: 'num' }, 'Rate'), h('th', { scope: 'col', class: 'num' }, 'Observed'))),
			h(
				'tbody',
				null,
				ws.map((w) => {
					const live = r && r.windows[w];
					const a = { ...(wdata[w] || {}), ...(live || {}) };
					const span = parseDur(w);
					const obs = a.observed_s;
					return h(
						'tr',
						{ 'data-window': w },
						h('th', { scope: 'row' }, w),
						h('td', { class: 'num' }, fmtInt(a.count)),
						h('td', { class: 'num' }, a.rate === undefined ? '–' : fmtRate(a.rate)),
						h('td', { class: 'num dim wrap' }, obs !== undefined && obs < span ? `observed ${fmtDur(obs)} of ${w}` : 'full')
					);
				})
			)
		);
	}

	function drawValue() {
		const v = rule && rule.value;
		if (!v) return replace(slots.value);
		const ws = store.windows;
		const rows = ws
			.map((w) => [w, rule.windows && rule.windows[w] && rule.windows[w].value])
			.filter(([, x]) => x && x.count !== undefined);
		const cell = (x, k) => h('td', { class: 'num' }, x[k] === undefined ? '–' : fmtValue(x[k], v.unit));
		replace(
			slots.value,
			card(
				'Value: ' + v.field,
				h(
					'div',
					{ class: 'tscroll' },
					h(
						'table',
						{ class: 'grid', id: 'rule-quantiles' },
						h('caption', { class: 'sr' }, 'Value quantiles per window'),
						h('thead', null, h('tr', null, ['Window', 'Count', 'Mean', 'p50', 'p90', 'p99', 'p99.9', 'Max'].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
						h(
							'tbody',
							null,
							[['since start', v], ...rows].map(([w, x]) =>
								h('tr', null, h('th', { scope: 'row' }, w), h('td', { class: 'num' }, fmtInt(x.count)), cell(x, 'mean'), cell(x, 'p50'), cell(x, 'p90'), cell(x, 'p99'), cell(x, 'p999'), cell(x, 'max'))
							)
						)
					)
				),
				note('Quantiles are sketched (DDSketch): within 0.5% of the true value. Count, mean and max are exact. Windows over 24 h keep no quantiles.'),
				h('h3', null, `p50 / p90 / p99 of the last ${ws[0] || 'window'}, over the last ${rangeOf()} while this page is open`),
				qchartEl,
				note(
					`weir keeps no history of quantiles (/api/v1/series carries counts), so the page samples the ${ws[0] || 'shortest'} window's quantiles ` +
						`every ${fmtDur(qstep())} from when it opened this rule; a gap is a time with no values in that window.`
				)
			)
		);
		if (!qchart)
			qchart = timeChart(
				qchartEl,
				[
					{ label: 'p50', stroke: '--accent' },
					{ label: 'p90', stroke: '--warn' },
					{ label: 'p99', stroke: '--bad' },
				],
				{ height: 180, yValue: (x) => fmtValue(x, v.unit), xRange: qrange }
			);
		qchart.set(qpts);
	}

	function rangeOf() {
		return view && view.range && RANGES.includes(view.range) ? view.range : '15m';
	}
	/** Seconds between two quantile samples: at most QMAX of them span the range. */
	function qstep() {
		return Math.max(1, Math.ceil(parseDur(rangeOf()) / QMAX));
	}
	/** The quantile chart's x: the range, cut to the time sampled (at least a minute). */
	function qrange() {
		const now = Math.floor((store.timeMs || Date.now()) / 1000);
		const first = qpts[0].length ? qpts[0][0] : now;
		const min = Math.max(now - parseDur(rangeOf()), Math.min(first, now - 60));
		return [min, now];
	}
	/** Sample the shortest window's quantiles (null when it holds no value). */
	function sampleQuantiles() {
		const w0 = store.windows[0];
		const v = rule.windows && w0 && rule.windows[w0] && rule.windows[w0].value;
		const t = Math.floor((store.timeMs || Date.now()) / 1000);
		const last = qpts[0][qpts[0].length - 1];
		if (last !== undefined && t - last < qstep()) return;
		const has = v && v.count > 0 && v.p50 !== undefined;
		qpts[0].push(t), qpts[1].push(has ? v.p50 : null), qpts[2].push(has ? v.p90 : null), qpts[3].push(has ? v.p99 : null);
		const old = t - parseDur(rangeOf());
		while (qpts[0].length > QMAX || (qpts[0].length && qpts[0][0] < old)) for (const a of qpts) a.shift();
	}

	function drawTop() {
		const t0 = rule && rule.top;
		if (!t0) return replace(slots.top);
		// since start, or one window's (view.w) when it has a top-K
		const wt = view.w && rule.windows && rule.windows[view.w] && rule.windows[view.w].top;
		const t = wt || t0;
		const key = view.key;
		const choices = [null, ...store.windows.filter((w) => rule.windows && rule.windows[w] && rule.windows[w].top)];
		replace(
			slots.top,
			card(
				'Top ' + t0.field,
				h(
					'div',
					{ class: 'seg', role: 'group', 'aria-label': 'Top values over' },
					choices.map((w) =>
						h('a', { class: 'segb', href: href({ w }), 'aria-current': (wt ? view.w : null) === w ? 'true' : null, 'data-topw': w || 'start' }, w || 'since start')
					)
				),
				h(
					'table',
					{ class: 'grid', id: 'rule-topk' },
					h('caption', { class: 'sr' }, 'Most frequent values ' + (wt ? 'in the last ' + view.w : 'since start')),
					h('thead', null, h('tr', null, h('th', { scope: 'col' }, t0.field), h('th', { scope: 'col' }, 'Count'), h('th', { scope: 'col' }, '± error'), h('th', { scope: 'col' }, 'True count'))),
					h(
						'tbody',
						null,
						(t.items || []).map((it) =>
							h(
								'tr',
								{ 'aria-selected': key === it.value ? 'true' : null },
								h(
									'td',
									null,
									h('a', { class: 'key', href: href({ key: key === it.value ? null : it.value }), title: 'Show the lines with this value' }, visible(it.value))
								),
								h('td', { class: 'num' }, fmtInt(it.count)),
								h('td', { class: 'num' }, it.error ? '≤ ' + fmtInt(it.error) : 'exact'),
								h('td', { class: 'num dim' }, it.error ? `${fmtInt(it.count - it.error)} – ${fmtInt(it.count)}` : fmtInt(it.count))
							)
						)
					)
				),
				note(
					`${wt ? 'In the last ' + view.w : 'Since start'}, of ${fmtInt(t.total)} values (Space-Saving, k = ${t.k}): a listed value's true count is between count − error and count; a value not listed was seen at most ${fmtInt(t.bound)} times. Click a value to see its lines.`
				)
			)
		);
	}

	function drawDistinct() {
		const d = rule && rule.distinct;
		if (!d) return replace(slots.distinct);
		const ws = store.windows;
		replace(
			slots.distinct,
			card(
				'Distinct ' + d.field,
				h('p', { class: 'big num' }, '≈ ' + fmtInt(d.estimate)),
				h(
					'p',
					{ class: 'dim' },
					ws
						.filter((w) => rule.windows && rule.windows[w] && rule.windows[w].distinct)
						.map((w) => `${w}: ≈ ${fmtInt(rule.windows[w].distinct.estimate)}`)
						.join(' · ')
				),
				note('Estimated (HyperLogLog): within about 2% of the true number of different values.')
			)
		);
	}

	let defDrawn = null;
	/** One where: condition as written in a config: "status >= 500", "method = GET | HEAD". */
	function whereText(c) {
		const vals = (c.values || []).map(visible).join(' | ');
		return `${visible(c.field)} ${c.op} ${vals}`;
	}
	function drawDef() {
		const d = store.defs && store.defs.get(name);
		defDrawn = d || null;
		if (!d) return replace(defCard, h('dd', null, 'loading…'));
		const rows = [];
		const row = (label, ...dd) => rows.push(h('dt', null, label), h('dd', null, ...dd));
		const code = (t) => h('code', null, visible(t));
		if (d.match !== null && d.match !== undefined) row('match', code(d.match));
		if (d.flags && d.flags.length) row('flags', code(d.flags.join(', ')));
		for (const c of d.where || []) row('where', h('code', { class: 'where' }, whereText(c)));
		if (d.value) row('value', code(d.value), d.unit ? h('span', { class: 'dim' }, ' in ' + d.unit) : null);
		if (d.top) row('top', code(d.top), d.top_k ? h('span', { class: 'dim' }, ` (k = ${d.top_k})`) : null);
		if (d.distinct) row('distinct', code(d.distinct));
		if (d.time) row('time', code(d.time));
		// anything newer than this page knows, when set
		const known = new Set(['name', 'match', 'flags', 'where', 'value', 'unit', 'top', 'top_k', 'distinct', 'time', 'source']);
		for (const [k, v] of Object.entries(d))
			if (!known.has(k) && v !== null && v !== undefined && !(Array.isArray(v) && !v.length))
				row(k, code(typeof v === 'object' ? JSON.stringify(v) : String(v)));
		if (d.source) row('defined at', code(d.source));
		replace(defCard, rows);
	}

	function drawSamples(s) {
		const key = view.key;
		setText(samplesHead, (key !== null && key !== undefined ? `Lines whose ${(rule && rule.top && rule.top.field) || 'key'} is “${visible(key)}”` : 'Newest first') + ` (${s.samples.length}).`);
		replace(
			samplesList,
			s.samples.length
				? s.samples.map((x) =>
						h(
							'li',
							null,
							h('span', { class: 'dim' }, fmtTime(x.t_ms), ' · ', visible(x.source), x.key !== null && x.key !== undefined ? ' · ' + visible(x.key) : ''),
							h('code', { class: 'line' }, visible(x.line)),
							x.truncated ? h('span', { class: 'dim' }, ' (cut)') : null
						)
				  )
				: h('li', { class: 'dim' }, 'no samples yet')
		);
	}

	async function loadRule() {
		if (busy.rule) return;
		busy.rule = true;
		try {
			rule = await api.rule(name);
			showError(null);
			if (rule.value) sampleQuantiles();
			drawWindows();
			drawValue();
			drawTop();
			drawDistinct();
		} catch (e) {
			showError(e instanceof HttpError && e.status === 404 ? new Error('No such rule: ' + name) : e);
		} finally {
			busy.rule = false;
		}
	}

	async function loadSeries() {
		if (busy.series) return;
		busy.series = true;
		const range = view.range && RANGES.includes(view.range) ? view.range : '15m';
		try {
			const s = await api.series(name, range);
			if (!chart) chart = timeChart(chartEl, [{ label: 'matches/s', stroke: '--accent', fill: '--spark-fill' }], { yLabel: 'per second' });
			const xs = s.points.map((p) => p[0]);
			const ys = s.points.map((p) => p[1] / s.step_s);
			const zoomed = seriesKey === range + name && chart.plot.scales.x.min > xs[0];
			chart.set([xs, ys], zoomed);
			seriesKey = range + name;
			setText(chartNote, `Matches per second in ${fmtDur(s.step_s)} steps over the last ${range} (exact counts). Drag across the chart to zoom; double-click to reset.`);
		} catch (e) {
			setText(chartNote, 'Could not load the series: ' + e.message);
		} finally {
			busy.series = false;
		}
	}

	async function loadSamples() {
		if (busy.samples) return;
		busy.samples = true;
		try {
			drawSamples(await api.samples(name, view.key));
		} catch (e) {
			setText(samplesHead, 'Could not load samples: ' + e.message);
		} finally {
			busy.samples = false;
		}
	}

	function refresh(force) {
		const now = Date.now();
		const range = view.range && RANGES.includes(view.range) ? view.range : '15m';
		const every = Math.max(2000, parseDur(range) * 1000 / 300);
		if (force || now - ruleAt >= 1000) (ruleAt = now), loadRule();
		if (force || seriesKey !== range + name || now - seriesAt >= every) (seriesAt = now), loadSeries();
		const sk = name + '\u0000' + (view.key ?? '');
		if (force || samplesKey !== sk || now - samplesAt >= 2000) (samplesAt = now), (samplesKey = sk), loadSamples();
		drawWindows();
	}

	return {
		node,
		render(v) {
			const changedRule = v.rule !== name;
			view = v;
			if (changedRule) {
				name = v.rule;
				rule = null;
				for (const a of qpts) a.length = 0;
				if (chart) chart.destroy(), (chart = null);
				if (qchart) qchart.destroy(), (qchart = null);
				seriesKey = '';
				replace(slots.value), replace(slots.top), replace(slots.distinct), replace(samplesList);
				setText(samplesHead, 'loading…');
			}
			if (!node.isConnected) replace(root, node);
			setText(title, name);
			document.title = name + ' · weir';
			drawRanges();
			drawDef();
			if (rule) drawTop();
			refresh(changedRule || !chart);
		},
		update() {
			if (!name || !node.isConnected) return;
			if (store.defs && store.defs.get(name) !== defDrawn) drawDef();
			refresh(false);
		},
		leave() {
			name = null;
			if (chart) chart.destroy(), (chart = null);
			if (qchart) qchart.destroy(), (qchart = null);
		},
	};
}
