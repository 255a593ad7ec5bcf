// chart.js - drawing. Sparklines are one small canvas each, drawn by hand
// (a thousand rules cannot each hold a uPlot); the big charts are uPlot,
// coloured from the theme, with drag-to-zoom on x (double-click resets).

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { color } from './theme.js';
import { fmtShort } from './format.js';

/**
 * Draw values (oldest first) as a filled line into canvas, whose CSS size
 * is w x h (the caller knows it: reading clientWidth here, after the
 * frame's DOM writes, would force a layout per sparkline). At most one
 * point per pixel column: the largest of the values that fall in it.
 */
export function drawSpark(canvas, values, w, h, stroke) {
	const dpr = window.devicePixelRatio || 1;
	if (!w || !h) return;
	if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
		canvas.width = Math.round(w * dpr);
		canvas.height = Math.round(h * dpr);
	}
	const g = canvas.getContext('2d');
	g.setTransform(dpr, 0, 0, dpr, 0, 0);
	g.clearRect(0, 0, w, h);
	let max = 0;
	for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
	const n = values.length;
	// one x per pixel column at most: the max of the values that fall in it
	const cols = Math.max(1, Math.min(n, Math.floor(w)));
	g.beginPath();
	g.moveTo(0, h);
	for (let c = 0; c < cols; c++) {
		const a = Math.floor((c * n) / cols),
			b = Math.max(a + 1, Math.floor(((c + 1) * n) / cols));
		let m = 0;
		for (let i = a; i < b; i++) if (values[i] > m) m = values[i];
		const y = max ? h - 1 - (m / max) * (h - 2) : h - 1;
		g.lineTo((c / (cols - 1 || 1)) * w, y);
	}
	g.lineTo(w, h);
	g.closePath();
	g.fillStyle = color('--spark-fill');
	g.fill();
	g.strokeStyle = stroke || color('--accent');
	g.lineWidth = 1;
	g.stroke();
}

/**
 * A uPlot time chart in el: series [{label, stroke var}], data [xs, ys...]
 * with xs in Unix seconds (uPlot's default; a null y is a gap).
 * onZoom(minSec, maxSec) is called after a drag selects a range; yValue
 * formats the y values; xRange() gives the x axis's [min, max] (else the
 * data's, which for one point uPlot pads by years).
 */
export function timeChart(el, series, { height = 260, onZoom, yLabel, yValue = fmtShort, xRange } = {}) {
	const opts = {
		width: Math.max(300, el.clientWidth || 600),
		height,
		scales: { x: xRange ? { time: true, range: () => xRange() } : { time: true } },
		cursor: { drag: { x: true, y: false } },
		legend: { live: true },
		axes: [
			{ stroke: color('--fg-dim'), grid: { stroke: color('--grid') }, ticks: { stroke: color('--grid') } },
			{
				stroke: color('--fg-dim'),
				grid: { stroke: color('--grid') },
				ticks: { stroke: color('--grid') },
				values: (u, vals) => vals.map(yValue),
				label: yLabel,
				size: 60,
			},
		],
		series: [
			{},
			...series.map((s) => ({
				label: s.label,
				stroke: color(s.stroke),
				fill: s.fill ? color(s.fill) : undefined,
				width: 1.5,
				points: { show: false },
				value: (u, v) => (v === null || v === undefined ? '–' : yValue(v)),
			})),
		],
		hooks: {
			setSelect: [
				(u) => {
					if (u.select.width > 2 && onZoom)
						onZoom(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
				},
			],
		},
	};
	const data = [[], ...series.map(() => [])];
	const u = new uPlot(opts, data, el);
	const ro = new ResizeObserver(() => {
		const w = el.clientWidth;
		if (w && Math.abs(w - u.width) > 2) u.setSize({ width: w, height });
	});
	ro.observe(el);
	return {
		plot: u,
		set(d, keepZoom) {
			u.setData(d, !keepZoom);
		},
		destroy() {
			ro.disconnect();
			u.destroy();
		},
	};
}
