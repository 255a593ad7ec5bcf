// sources.js - each source as /api/v1/sources reports it: its counters,
// each file (path, offset, size, lag, lines, rotations, truncations,
// errors), each listener and its top senders (syslog), and the last
// records no rule matched. Fields this view does not know are shown too,
// as name: value, so a newer weir's additions are not hidden.

import { h, replace } from './dom.js';
import { fmtInt, fmtBytes, fmtTime, visible } from './format.js';
import { store } from './store.js';

const COUNTERS = ['lines', 'bytes', 'rotations', 'truncations', 'lines_truncated', 'bytes_discarded', 'errors', 'parse_errors', 'unmatched', 'files_open', 'files_closed', 'partial_flushes', 'dropped_full', 'dropped_kernel'];
const SHOWN = new Set(['name', 'type', 'paths', 'files', 'listeners', 'senders', 'top_senders', 'unmatched_recent', 'format', 'time', 'last_read', ...COUNTERS]);

function val(k, v) {
	if (v === null || v === undefined) return '–';
	if (typeof v === 'number') return /bytes|offset|size|lag/.test(k) ? `${fmtInt(v)} (${fmtBytes(v)})` : fmtInt(v);
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

function table(caption, rows, cols) {
	if (!rows || !rows.length) return null;
	cols = cols || [...new Set(rows.flatMap((r) => Object.keys(r)))];
	return h(
		'table',
		{ class: 'grid' },
		h('caption', null, caption),
		h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
		h('tbody', null, rows.map((r) => h('tr', null, cols.map((c) => h('td', { class: typeof r[c] === 'number' ? 'num' : null }, c === 'last_read' ? fmtTime(Date.parse(r[c])) : val(c, r[c]))))))
	);
}

export function createSources(root) {
	const body = h('div', { class: 'cards' });
	const node = h('section', { class: 'sources', 'aria-labelledby': 'src-title' }, h('div', { class: 'toolbar' }, h('h1', { id: 'src-title' }, 'Sources')), body);
	let drawnAt = -1;

	function draw() {
		const list = store.sources && store.sources.sources;
		if (!list) return replace(body, h('p', { class: 'dim' }, 'loading…'));
		replace(
			body,
			list.map((s) => {
				const extra = Object.entries(s).filter(([k, v]) => !SHOWN.has(k) && (typeof v !== 'object' || v === null));
				return h(
					'section',
					{ class: 'card wide', 'data-source': s.name },
					h('h2', null, s.name, h('span', { class: 'dim' }, ` ${s.type}${s.format ? ' · ' + s.format : ''}${s.time ? ' · ' + s.time + ' time' : ''}`)),
					h(
						'dl',
						{ class: 'kv' },
						COUNTERS.filter((k) => s[k] !== undefined).map((k) => h('div', null, h('dt', null, k.replace(/_/g, ' ')), h('dd', { class: 'num' }, val(k, s[k])))),
						extra.map(([k, v]) => h('div', null, h('dt', null, k.replace(/_/g, ' ')), h('dd', null, val(k, v)))),
						s.last_read ? h('div', null, h('dt', null, 'last read'), h('dd', null, fmtTime(Date.parse(s.last_read)))) : null
					),
					table('Files', s.files, ['path', 'state', 'offset', 'size', 'lag', 'lines', 'truncations', 'lines_truncated', 'errors', 'error', 'last_read']),
					table('Listeners', s.listeners),
					table('Top senders', s.top_senders || s.senders),
					s.unmatched_recent && s.unmatched_recent.length
						? h(
								'div',
								null,
								h('h3', null, 'Recent unmatched records'),
								h('ol', { class: 'samples' }, s.unmatched_recent.map((u) => h('li', null, h('code', { class: 'line' }, visible(typeof u === 'string' ? u : u.line ?? JSON.stringify(u))))))
						  )
						: h('p', { class: 'dim' }, 'No unmatched records lately.')
				);
			})
		);
	}

	return {
		node,
		render() {
			if (!node.isConnected) replace(root, node);
			document.title = 'Sources · weir';
			draw();
		},
		update() {
			if (node.isConnected && store.sources !== drawnAt) (drawnAt = store.sources), draw();
		},
	};
}
