"""GET /api/v1/stream: server-sent events. A stream starts with the full
snapshot, then carries one tick event per published snapshot with what
changed; Last-Event-ID resumes it without a gap or a duplicate, and falls
back to a snapshot when the id is too old, from another run, or not an id.
Streams are limited in number (a new one ends the one furthest behind) and
do not hold up shutdown."""

import http.client
import json
import signal
import time

import pytest

from conftest import DEADLINE, SANITIZER, poll, strict_json

RULES = [{"name": "errors", "match": "error"},
         {"name": "other", "match": "^never matches$"}]
KEEP = 300          # tick events weir keeps for Last-Event-ID (SSE_KEEP)
MAX_STREAMS = 64    # http: max_streams, by default


class Stream:
    """One SSE client on http.client (chunked decoding included), reading
    event by event. Blocks are parsed per the SSE spec: "field: value"
    lines up to a blank line; lines starting with ':' are comments."""

    def __init__(self, port, last_event_id=None, timeout=DEADLINE):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/v1/stream", headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}

    def block(self):
        """The next block as {field: value} (comments under ':'), or None
        at the end of the stream."""
        fields = {}
        while True:
            line = self.resp.readline()
            if not line:
                assert not fields, f"stream ended inside a block: {fields}"
                return None
            assert line.endswith(b"\n"), line
            line = line[:-1]
            if not line:
                if fields:
                    return fields
                continue
            name, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            key = ":" if not name else name.decode()
            assert key not in fields, f"field {key} twice in one block"
            fields[key] = value.decode("utf-8")

    def event(self):
        """The next event with data as (id, type, parsed data); keep-alive
        comments and retry-only blocks are skipped. None at the end."""
        while True:
            b = self.block()
            if b is None:
                return None
            if "data" in b:
                assert "id" in b and b["id"].isdigit(), b
                data = strict_json(b["data"].encode(), "event data")
                return int(b["id"]), b.get("event", "message"), data

    def start(self):
        """Check the headers and the opening retry block."""
        assert self.status == 200, self.resp.read()
        assert self.headers["content-type"] == "text/event-stream"
        assert self.headers["cache-control"] == "no-store"
        assert self.headers["x-accel-buffering"] == "no"
        assert self.block() == {"retry": "2000"}
        return self

    def close(self):
        self.conn.close()


def rule_total(snap, name):
    return {r["name"]: r["total"] for r in snap["rules"]}[name]


class Follower:
    """Applies tick events to the totals of a starting snapshot and checks
    that ids go up by exactly one."""

    def __init__(self, snap_id, snap):
        assert snap_id == snap["seq"]
        self.last = snap_id
        self.totals = {r["name"]: r["total"] for r in snap["rules"]}
        self.windows = {r["name"]: {w: v["count"] for w, v in r["windows"].items()}
                        for r in snap["rules"]}
        self.records = snap["ingest"]["records"]

    def apply(self, eid, kind, data):
        assert kind == "tick", (eid, kind)
        assert eid == self.last + 1, f"id {eid} after {self.last}"
        assert data["seq"] == eid
        assert {"seq", "time", "time_ms", "ingest", "rules"} <= set(data), data
        assert {"records", "bytes"} <= set(data["ingest"]), data
        self.last = eid
        self.data = data
        self.records = data["ingest"]["records"]
        for r in data["rules"]:
            assert set(r) == {"name", "total", "windows"}, r
            assert set(r["windows"]) == {"10s", "1m", "5m"}, r
            assert r["total"] >= self.totals.get(r["name"], 0), "a total went down"
            changed = (r["total"] != self.totals.get(r["name"])
                       or r["windows"] != self.windows.get(r["name"]))
            assert changed or data.get("all_rules"), f"unchanged rule sent: {r}"
            self.totals[r["name"]] = r["total"]
            self.windows[r["name"]] = r["windows"]

    def follow(self, s, until, max_events=400):
        """Apply events from s until until(self) holds; returns the count."""
        for n in range(1, max_events + 1):
            ev = s.event()
            assert ev is not None, "stream ended"
            self.apply(*ev)
            if until(self):
                return n
        pytest.fail(f"condition not reached in {max_events} events: totals {self.totals}")


def append(path, lines):
    with open(path, "ab") as f:
        f.write(b"".join(lines))


@pytest.fixture
def served(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES)
    d.log_path = log
    return d


def open_stream(d, last_event_id=None):
    return Stream(d.port, last_event_id).start()


def test_stream_starts_with_the_snapshot_then_one_tick_per_snapshot(served):
    d = served
    s = open_stream(d)
    try:
        sid, kind, snap = s.event()
        assert kind == "snapshot"
        assert sid == snap["seq"]
        assert {"windows", "ingest", "rules", "event_time"} <= set(snap)
        assert [r["name"] for r in snap["rules"]] == ["errors", "other"]
        f = Follower(sid, snap)
        f.follow(s, lambda f: f.last >= sid + 3)
        # A rule's total in the deltas follows what is appended.
        append(d.log_path, [b"an error\n", b"fine\n", b"error again\n"])
        f.follow(s, lambda f: f.totals["errors"] == 2)
        assert f.windows["errors"] == {"10s": 2, "1m": 2, "5m": 2}
        append(d.log_path, [b"error %d\n" % i for i in range(5)])
        f.follow(s, lambda f: f.totals["errors"] == 7 and f.records == 8)
        # Nothing new: the ticks go on, and name no rule.
        for _ in range(3):
            eid, kind, data = s.event()
            f.apply(eid, kind, data)
            assert data["rules"] == [], data
        assert rule_total(d.snapshot(), "errors") == 7
        assert f.totals["other"] == 0
    finally:
        s.close()


def test_head_and_other_methods(served):
    status, headers, body = served.request("/api/v1/stream", method="HEAD")
    assert status == 200 and body == b""
    assert headers["content-type"] == "text/event-stream"
    status, headers, body = served.request("/api/v1/stream", method="POST", body=b"")
    assert status == 405, body
    assert headers["allow"] == "GET, HEAD"
    assert strict_json(body)["error"]["status"] == 405


def test_reconnect_with_last_event_id_replays_exactly_the_missed_ticks(served):
    d = served
    s = open_stream(d)
    sid, kind, snap = s.event()
    assert kind == "snapshot"
    f = Follower(sid, snap)
    f.follow(s, lambda f: f.last >= sid + 2)
    s.close()
    last = f.last
    # Missed while away: lines, and more than a few ticks.
    append(d.log_path, [b"error one\n", b"two\n"])
    d.poll_snapshot(lambda snap: rule_total(snap, "errors") == 1 and snap["seq"] > last + 3)
    append(d.log_path, [b"error three\n"])
    away = d.poll_snapshot(lambda snap: rule_total(snap, "errors") == 2)["seq"]

    s = open_stream(d, last)
    try:
        eid, kind, data = s.event()
        assert (eid, kind) == (last + 1, "tick"), "replay must start right after the id"
        f.apply(eid, kind, data)
        # The missed ones, in order, then live ones, with no gap nor duplicate.
        f.follow(s, lambda f: f.last >= away + 3)
        assert f.totals["errors"] == 2
        append(d.log_path, [b"error four\n"])
        f.follow(s, lambda f: f.totals["errors"] == 3)
    finally:
        s.close()


def test_reconnect_at_the_newest_id_goes_on_live(served):
    d = served
    s = open_stream(d)
    sid, _, snap = s.event()
    s.close()
    s = open_stream(d, sid)
    try:
        eid, kind, _ = s.event()
        assert (eid, kind) == (sid + 1, "tick")
    finally:
        s.close()


@pytest.mark.parametrize("bogus", ["abc", "-3", "12x", "1.5", " ", "99999999999999999999999",
                                   "18446744073709551615"])
def test_bogus_last_event_id_starts_with_a_snapshot(served, bogus):
    s = open_stream(served, bogus)
    try:
        eid, kind, snap = s.event()
        assert kind == "snapshot" and eid == snap["seq"]
        eid2, kind2, _ = s.event()
        assert (eid2, kind2) == (eid + 1, "tick")
    finally:
        s.close()


def test_last_event_id_from_another_run_starts_with_a_snapshot(weir, tmp_path):
    # A seq beyond the newest: the id of an earlier run that lived longer.
    log = tmp_path / "app.log"
    log.write_bytes(b"error\n")
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES)
    d.poll_snapshot(lambda snap: rule_total(snap, "errors") == 1)
    newest = d.snapshot()["seq"]
    d.stop()
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES)
    s = open_stream(d, newest + 1000)
    try:
        eid, kind, snap = s.event()
        assert kind == "snapshot" and eid == snap["seq"] < newest + 1000
        assert rule_total(snap, "errors") == 1  # restored from the checkpoint
    finally:
        s.close()


def test_last_event_id_older_than_the_kept_ticks_starts_with_a_snapshot(served):
    # The ring keeps KEEP ticks: 30 s at the tests' 100 ms tick.
    d = served
    snap = d.poll_snapshot(lambda snap: snap["seq"] > KEEP + 60, timeout=KEEP / 10 + 60)
    cur = snap["seq"]
    assert cur > KEEP + 60, "ticks too slow"
    s = open_stream(d, 1)
    try:
        eid, kind, snap = s.event()
        assert kind == "snapshot" and eid >= cur
        eid2, kind2, _ = s.event()
        assert (eid2, kind2) == (eid + 1, "tick")
    finally:
        s.close()
    # Still kept (with 10 s of ticks as a margin): replayed from there.
    old = d.snapshot()["seq"] - KEEP + 100
    s = open_stream(d, old)
    try:
        eid, kind, _ = s.event()
        assert (eid, kind) == (old + 1, "tick"), f"kept ticks: {old + 1} was expected"
    finally:
        s.close()


def test_a_snapshot_larger_than_a_send_buffer_arrives_whole(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    rules = [{"name": f"rule_with_a_long_name_{i:04d}", "match": f"x{i:04d}y"}
             for i in range(600)]
    d = weir.start(sources=[{"name": "app", "path": log}], rules=rules)
    # well beyond the 32 KiB an MHD connection buffers
    assert len(d.request("/api/v1/snapshot")[2]) > 96 * 1024
    append(log, [b"x%04dy\n" % i for i in range(0, 600, 3)])
    d.poll_snapshot(lambda snap: snap["ingest"]["records"] == 200)
    s = open_stream(d)
    try:
        eid, kind, snap = s.event()
        assert kind == "snapshot" and len(snap["rules"]) == 600
        assert sum(r["total"] for r in snap["rules"]) == 200
        f = Follower(eid, snap)
        append(log, [b"x0001y x0002y\n"])
        f.follow(s, lambda f: f.totals["rule_with_a_long_name_0002"] == 1)
        assert f.totals["rule_with_a_long_name_0001"] == 1
    finally:
        s.close()


def test_after_a_reload_a_tick_lists_every_rule(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"error\n")
    src = [{"name": "app", "path": log}]
    writes = "{unauthenticated_writes: true}"
    d = weir.start(sources=src, rules=RULES, http=writes)
    s = open_stream(d)
    try:
        eid, _, snap = s.event()
        f = Follower(eid, snap)
        f.follow(s, lambda f: f.totals["errors"] == 1)
        weir.config(sources=src, rules=RULES + [{"name": "added", "match": "new"}], http=writes)
        status, _, raw = d.request("/api/v1/reload", method="POST")
        assert status == 200, raw
        # The tick that brings the new rule set lists every rule, and says so.
        f.follow(s, lambda f: "added" in f.totals)
        assert f.data.get("all_rules") is True, f.data
        assert [r["name"] for r in f.data["rules"]] == ["errors", "other", "added"]
        assert f.totals == {"errors": 1, "other": 0, "added": 0}
        f.follow(s, lambda f: True)
        assert "all_rules" not in f.data and f.data["rules"] == [], f.data
        append(log, [b"new error\n"])
        f.follow(s, lambda f: f.totals["added"] == 1 and f.totals["errors"] == 2)
    finally:
        s.close()


def test_a_stream_beyond_the_limit_ends_one_to_make_room(served):
    """With max_streams (64) open, a new stream is served, and the one
    furthest behind is ended to make room: exactly one of the 64 ends, the
    other 63 go on."""
    d = served
    streams = []

    def ends_before(s, until_id):
        """Whether s ends before an event with an id of until_id or more."""
        try:
            while True:
                ev = s.event()
                if ev is None:
                    return True
                if ev[0] >= until_id:
                    return False
        except (http.client.HTTPException, OSError, AssertionError):
            return True  # cut off mid-event (AssertionError: Stream.block's)

    try:
        for _ in range(MAX_STREAMS):
            streams.append(open_stream(d))
        for s in streams[:3]:
            assert s.event()[1] == "snapshot"
        extra = open_stream(d)
        streams.append(extra)
        sid, kind, _ = extra.event()
        assert kind == "snapshot"
        assert extra.event()[1] == "tick"
        ended = [i for i, s in enumerate(streams[:MAX_STREAMS]) if ends_before(s, sid + 1)]
        assert len(ended) == 1, ended
    finally:
        for s in streams:
            s.close()


def test_sigterm_with_open_streams_exits_promptly_and_cleanly(served):
    d = served
    streams = [open_stream(d) for _ in range(5)]
    for s in streams[:3]:
        assert s.event()[1] == "snapshot"  # two left before their first event
    last = streams[0].event()[0]
    streams.append(open_stream(d, last))
    t0 = time.monotonic()
    d.stop(signal.SIGTERM)  # exit 0, "stopped cleanly", no sanitizer report
    took = time.monotonic() - t0
    assert took < (10 if SANITIZER else 3), f"shutdown took {took:.1f} s with open streams"
    for s in streams:
        # Each stream ends (what was sent is read out, then the end).
        n = 0
        while s.event() is not None:
            n += 1
            assert n < 1000
        s.close()


def test_odd_bytes_in_a_snapshot_event_stay_one_valid_json_line(weir, tmp_path):
    # A newline inside the data would split the event: the JSON escapes it.
    log = tmp_path / "we\"ird\nname\t\u00e9.log"
    log.write_bytes(b"error \xff\xfe bytes \"quoted\" \x01\r\n")
    cfg = weir.config(rules=RULES)
    # A YAML double-quoted scalar can carry the newline of the file name.
    path = json.dumps(str(log), ensure_ascii=True)
    cfg.write_text(cfg.read_text() + "sources:\n  - name: odd\n    type: file\n"
                   f"    path: {path}\n    start: beginning\n")
    d = weir.start(cfg)
    d.poll_snapshot(lambda snap: rule_total(snap, "errors") == 1)
    s = open_stream(d)
    try:
        eid, kind, snap = s.event()
        assert kind == "snapshot" and rule_total(snap, "errors") == 1
        assert snap["ingest"]["sources"][0]["paths"] == [str(log)]
        Follower(eid, snap).follow(s, lambda f: f.last >= eid + 3)
    finally:
        s.close()
