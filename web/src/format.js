// format.js - numbers, rates, durations and times as the page shows them.
// Exact numbers (totals, counts) keep every digit; sketched ones say so
// where they are shown (see rule.js).

const exact = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Every digit, grouped: 1234567 -> "1,234,567". */
export function fmtInt(n) {
	return n === null || n === undefined || Number.isNaN(n) ? '–' : exact.format(n);
}

/** Short: 1234 -> "1.23k", 0.5 -> "0.5". */
export function fmtShort(n) {
	if (n === null || n === undefined || Number.isNaN(n)) return '–';
	const a = Math.abs(n);
	if (a >= 1e9) return (n / 1e9).toPrecision(3) + 'G';
	if (a >= 1e6) return (n / 1e6).toPrecision(3) + 'M';
	if (a >= 1e4) return (n / 1e3).toPrecision(3) + 'k';
	if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
	if (a >= 1) return n.toFixed(2).replace(/\.?0+$/, '');
	if (a === 0) return '0';
	return n.toPrecision(2);
}

/** A rate per second: "12.5/s". */
export function fmtRate(r) {
	return fmtShort(r) + '/s';
}

/** A value with its rule's unit (seconds or bytes, as the API reports). */
export function fmtValue(v, unit) {
	if (v === null || v === undefined) return '–';
	if (unit && ['ns', 'us', 'ms', 's', 'm', 'h'].includes(unit)) {
		const a = Math.abs(v);
		if (a === 0) return '0 s';
		if (a < 1e-3) return fmtShort(v * 1e6) + ' µs';
		if (a < 1) return fmtShort(v * 1e3) + ' ms';
		return fmtShort(v) + ' s';
	}
	if (unit && /b$/.test(unit)) return fmtBytes(v);
	return fmtShort(v);
}

export function fmtBytes(b) {
	if (b === null || b === undefined) return '–';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (Math.abs(b) >= 1024 && i < u.length - 1) b /= 1024, i++;
	return (i ? b.toFixed(1) : String(Math.round(b))) + ' ' + u[i];
}

/** Seconds as the largest whole unit or two: 240 -> "4m", 5400 -> "1h30m". */
export function fmtDur(s) {
	if (s === null || s === undefined) return '–';
	s = Math.round(s);
	if (s < 60) return s + 's';
	if (s < 3600) return Math.floor(s / 60) + 'm' + (s % 60 ? (s % 60) + 's' : '');
	if (s < 86400) return Math.floor(s / 3600) + 'h' + (s % 3600 >= 60 ? Math.floor((s % 3600) / 60) + 'm' : '');
	return Math.floor(s / 86400) + 'd' + (s % 86400 >= 3600 ? Math.floor((s % 86400) / 3600) + 'h' : '');
}

/** A window or range name ("10s", "1m", "24h", "7d") in seconds; NaN if not one. */
export function parseDur(w) {
	const m = /^(\d+)(s|m|h|d)$/.exec(w || '');
	if (!m) return NaN;
	return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}

/** "12s ago" for a Unix ms time. */
export function fmtAgo(ms, now = Date.now()) {
	if (!ms) return 'never';
	const s = Math.max(0, (now - ms) / 1000);
	return s < 1 ? 'now' : fmtDur(s) + ' ago';
}

/** A Unix ms time as local "HH:MM:SS" (with the date when not today). */
export function fmtTime(ms) {
	if (!ms) return '–';
	const d = new Date(ms);
	const t = d.toLocaleTimeString('en-GB', { hour12: false });
	return d.toDateString() === new Date().toDateString() ? t : d.toISOString().slice(0, 10) + ' ' + t;
}

/**
 * Log text made visible: C0 control characters and DEL (ESC, NUL, BEL...)
 * become their Unicode control pictures (ESC -> "␛"), so a terminal escape
 * in a log line is seen, not swallowed. Tab and newline stay.
 */
export function visible(s) {
	return String(s).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\x7f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}
