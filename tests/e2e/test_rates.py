"""Window rates divide by the seconds weir watched (observed_s), not by the
window's length: one minute after start, an hour's rate is the count over
about 60 s, not over 3600 s.

  - a fresh start: observed_s follows uptime, grows each tick up to the
    window, is the same in the snapshot's top-level map, each rule's
    window, the stream's tick events and /metrics, and rate = count /
    observed_s;
  - a restart with a checkpoint: the restored history counts as watched,
    the seconds weir was down do not;
  - event time: records placed in the past make the windows watched from
    their first second.
"""

import math
import re
import time
from datetime import datetime, timezone

from conftest import poll, yq
from test_stream import Stream

WINDOWS = {"10s": 10, "1m": 60, "1h": 3600}


def hit(snap):
    return next(r for r in snap["rules"] if r["name"] == "hit")


def check_rates(snap):
    """observed_s agrees everywhere in the snapshot, lies within the window
    and its span, and each rate is count / observed_s."""
    top = snap["observed_s"]
    assert set(top) == set(WINDOWS), top
    for w, secs in WINDOWS.items():
        win = hit(snap)["windows"][w]
        assert win["observed_s"] == top[w], (w, win, top)
        assert 1 <= win["observed_s"] <= win["span_s"] <= secs, (w, win)
        assert math.isclose(win["rate"], win["count"] / win["observed_s"], rel_tol=1e-5), \
            (w, win)


def test_a_fresh_start_rates_over_the_seconds_watched(weir, tmp_path):
    n = 1200
    log = tmp_path / "a.log"
    log.write_bytes(b"hit\n" * n)
    d = weir.start(sources=[{"name": "a", "path": log}], rules=[{"name": "hit", "match": "hit"}],
                   windows=tuple(WINDOWS))
    snap = d.poll_snapshot(lambda s: hit(s)["total"] == n)
    check_rates(snap)
    h1 = hit(snap)["windows"]["1h"]
    assert h1["count"] == n
    # whole seconds from the start's second to the current one, both
    # counted whole: more than the uptime, by less than 2
    assert snap["uptime_s"] - 0.01 <= h1["observed_s"] < snap["uptime_s"] + 2, \
        (h1, snap["uptime_s"])
    # the hour's rate is not diluted by the 3,590 s weir has not seen
    assert h1["rate"] > n / (snap["uptime_s"] + 2) > 20 * n / 3600, h1

    # observed_s grows with uptime until the window is full, never beyond
    first = snap["observed_s"]
    snap = d.poll_snapshot(lambda s: s["observed_s"]["10s"] == 10, timeout=30)
    check_rates(snap)
    later = snap["observed_s"]
    assert later["1m"] > first["1m"] and later["1h"] > first["1h"], (first, later)
    assert later["1m"] == later["1h"] <= 60, later
    h1 = hit(snap)["windows"]["1h"]
    assert h1["count"] == n and h1["rate"] < n / 9, h1  # fell as the seconds grew

    # the stream's tick events carry the same map; /metrics a gauge per window
    s = Stream(d.port).start()
    try:
        eid, kind, data = s.event()
        assert kind == "snapshot"
        check_rates(data)
        eid, kind, data = s.event()
        assert kind == "tick" and set(data["observed_s"]) == set(WINDOWS), data
        assert all(1 <= data["observed_s"][w] <= WINDOWS[w] for w in WINDOWS), data
    finally:
        s.close()
    status, _, body = d.request("/metrics")
    assert status == 200
    got = dict(re.findall(rb'^weir_window_observed_seconds\{window="(\w+)"\} (\d+)$', body, re.M))
    assert set(got) == {w.encode() for w in WINDOWS}, body
    assert all(1 <= int(v) <= WINDOWS[w.decode()] for w, v in got.items()), got


def test_a_restart_counts_the_restored_history_not_the_downtime(weir, tmp_path):
    n = 500
    log = tmp_path / "a.log"
    log.write_bytes(b"hit\n" * n)
    cfg = weir.config(sources=[{"name": "a", "path": log}], rules=[{"name": "hit", "match": "hit"}],
                      windows=tuple(WINDOWS), checkpoint_interval="1s")
    t0 = time.time()
    d = weir.start(cfg)
    before = d.poll_snapshot(lambda s: hit(s)["total"] == n and s["uptime_s"] >= 3)
    d.stop()
    t_stopped = time.time()
    time.sleep(4)  # weir is down: these seconds are not watched
    t_back = time.time()
    d = weir.start(cfg)
    snap = d.poll_snapshot(lambda s: s["uptime_s"] >= 1)
    t_now = time.time()
    check_rates(snap)
    h1 = hit(snap)["windows"]["1h"]
    assert h1["count"] == n, h1
    # the first run's seconds (at least what it showed before stopping) and
    # this run's are watched ...
    assert h1["observed_s"] >= before["observed_s"]["1h"] + math.floor(snap["uptime_s"]), \
        (before["observed_s"], snap["observed_s"], snap["uptime_s"])
    # ... the whole seconds between the stop and the restart are not
    wall = math.floor(t_now) - math.floor(t0) + 1
    down = math.floor(t_back) - math.ceil(t_stopped)
    assert down >= 3
    assert h1["observed_s"] <= wall - down, (h1, wall, down)
    assert math.isclose(h1["rate"], n / h1["observed_s"], rel_tol=1e-5)


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_event_time_records_in_the_past_count_as_watched(weir, tmp_path):
    now = int(time.time())
    log = tmp_path / "ev.log"
    log.write_text(f"{iso(now - 1800)} ev hit\n" * 30 + f"{iso(now)} ev hit\n" * 10)
    cfg = tmp_path / "ev.yaml"
    cfg.write_text("\n".join([
        "listen: 127.0.0.1:0",
        f"state_dir: {yq(tmp_path / 'state')}",
        f"windows: [{', '.join(WINDOWS)}]",
        "lateness: 1h",
        "sources:",
        f"  - {{name: ev, type: file, path: {yq(log)}, start: beginning, time: event}}",
        "rules:",
        "  - {name: hit, match: hit}",
        "tuning: {workers: 2, tick_ms: 100}",
    ]) + "\n")
    d = weir.start(cfg)
    snap = d.poll_snapshot(lambda s: hit(s)["total"] == 40)
    check_rates(snap)
    assert snap["uptime_s"] < 60
    # watched from the oldest record's second, half an hour ago: the short
    # windows are full at once, the hour holds about 1,800 s
    assert snap["observed_s"]["10s"] == 10 and snap["observed_s"]["1m"] == 60, snap["observed_s"]
    h1 = hit(snap)["windows"]["1h"]
    assert h1["count"] == 40 and 1800 <= h1["observed_s"] <= 1800 + 30, h1
    assert snap["rules"][0]["late"] == 0
