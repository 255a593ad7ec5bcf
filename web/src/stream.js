// stream.js - the page's one EventSource on /api/v1/stream, and the
// connection state the bar shows: 'connecting', 'live', 'stale' (no event
// for STALE_MS), 'reconnecting'. The browser reconnects by itself with
// Last-Event-ID (weir replays the ticks missed, or sends a snapshot after
// a restart); when it gives up (an HTTP error, e.g. 401 or 503) a new
// EventSource is opened after a pause, once the caller's check() says so.

const STALE_MS = 3000;

/**
 * openStream({snapshot(s), tick(t), state(name), check: async () => bool})
 * Returns {close()}.
 */
export function openStream(on) {
	let es = null;
	let last = 0;
	let state = '';
	let retry = null;
	let delay = 1000;

	const set = (s) => {
		if (s !== state) on.state((state = s));
	};
	const seen = () => {
		last = performance.now();
		delay = 1000;
		set('live');
	};

	function open() {
		retry = null;
		es = new EventSource('/api/v1/stream');
		es.addEventListener('open', () => set(last ? 'live' : 'connecting'));
		es.addEventListener('snapshot', (e) => {
			seen();
			on.snapshot(JSON.parse(e.data));
		});
		es.addEventListener('tick', (e) => {
			const t0 = performance.now(); // the tick's cost includes its parse (main.js measures it)
			seen();
			on.tick(JSON.parse(e.data), t0);
		});
		es.addEventListener('error', () => {
			set('reconnecting');
			if (es.readyState === EventSource.CLOSED && !retry) {
				es.close();
				retry = setTimeout(async () => {
					let ok = true;
					try {
						ok = await on.check();
					} catch {
						ok = true; // weir down: keep trying
					}
					if (ok) open();
				}, delay);
				delay = Math.min(delay * 2, 10000);
			}
		});
	}

	const timer = setInterval(() => {
		if (state === 'live' && performance.now() - last > STALE_MS) set('stale');
	}, 500);
	set('connecting');
	open();
	return {
		close() {
			clearInterval(timer);
			clearTimeout(retry);
			if (es) es.close();
		},
	};
}
