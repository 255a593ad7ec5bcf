// health.js - the strip above every view: is ingest keeping up? Records
// per second (from the stream), file lag (bytes not yet read, from
// /api/v1/sources), drops, parse errors, late records, unmatched lines,
// and staleness (how old the last tick is, by weir's clock against ours).

import { h, setText } from './dom.js';
import { fmtInt, fmtRate, fmtBytes, fmtAgo } from './format.js';
import { store } from './store.js';

export function createHealth(root) {
	const cells = {};
	const items = [
		['rps', 'Records/s'],
		['lag', 'Lag'],
		['drops', 'Drops'],
		['parse', 'Parse errors'],
		['late', 'Late records'],
		['unmatched', 'Unmatched'],
		['stale', 'Last tick'],
	];
	root.replaceChildren(
		h(
			'dl',
			{ class: 'health-list' },
			items.map(([k, label]) => h('div', { class: 'hcell', 'data-h': k }, h('dt', null, label), (cells[k] = h('dd', null, '–'))))
		)
	);

	function mark(k, bad) {
		cells[k].parentElement.classList.toggle('bad', !!bad);
	}

	return {
		update() {
			const ing = store.ingest || {};
			const stats = store.stats;
			setText(cells.rps, store.recordsPerS === null ? '–' : fmtRate(store.recordsPerS));
			let lag = 0;
			for (const s of (store.sources && store.sources.sources) || [])
				for (const f of s.files || []) lag += f.lag || 0;
			setText(cells.lag, store.sources ? fmtBytes(lag) : '–');
			mark('lag', lag > 1 << 20);
			let drops = 0;
			if (stats && stats.drops) for (const v of Object.values(stats.drops)) drops += Number(v) || 0;
			setText(cells.drops, stats ? fmtInt(drops) : '–');
			mark('drops', drops > 0);
			setText(cells.parse, fmtInt(ing.parse_errors ?? (stats && stats.parse_errors)));
			mark('parse', ing.parse_errors > 0);
			const et = store.snap && store.snap.event_time;
			setText(cells.late, et ? fmtInt(et.late) : '–');
			setText(cells.unmatched, fmtInt(ing.unmatched ?? (stats && stats.unmatched)));
			const age = store.timeMs ? Date.now() - store.timeMs : null;
			setText(cells.stale, store.timeMs ? fmtAgo(store.timeMs) : '–');
			mark('stale', age !== null && age > 3000);
		},
	};
}
