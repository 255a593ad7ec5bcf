"""Tailing a file: lines appended while weir runs are counted exactly once,
per rule and per window, with the line-splitting rules of scan (LF ends a
record, CR before LF is dropped, a partial line waits for its end).

Expected counts are computed here with Python `re`, record by record."""

import random
import time

import pytest

from conftest import expected_counts, poll, records_of

RULES = [
    {"name": "errors", "match": "error", "caseless": True},
    {"name": "ssh_failed", "match": "sshd\\[[0-9]+\\]: Failed password for [a-z]+ from "},
    {"name": "warn_start", "match": "^WARN "},
    {"name": "done_end", "match": "done$"},
    {"name": "id_not_digit", "match": "id=[^0-9 ]"},
    {"name": "empty", "match": "^$"},
    {"name": "carriage_return", "match": "\\r"},
    {"name": "status_5xx", "match": "\" 5[0-9][0-9] "},
]

USERS = ["root", "admin", "oracle", "git", "test"]


def make_lines(rng, n):
    """n random log lines (bytes, each with its terminator: LF or CRLF)."""
    out = []
    for i in range(n):
        k = rng.randrange(10)
        if k == 0:
            s = f"Jan  1 00:00:{i % 60:02d} host sshd[{rng.randrange(1, 99999)}]: Failed password for {rng.choice(USERS)} from 10.0.{i % 256}.1 port {rng.randrange(1024, 65535)} ssh2"
        elif k == 1:
            s = f"app: {rng.choice(['ERROR', 'error', 'Error', 'eRRoR', 'err0r', 'error ERROR error'])}: request {i} failed"
        elif k == 2:
            s = f"{rng.choice(['WARN ', ' WARN ', 'WARNING ', 'warn '])}disk {i} almost full"
        elif k == 3:
            s = f"job {i} {rng.choice(['done', 'done.', 'undone', 'done done', 'Done'])}"
        elif k == 4:
            s = f"user id={rng.choice(['42', 'x1', 'abc', '7', '-3', ''])} seen"
        elif k == 5:
            s = ""
        elif k == 6:
            s = f'10.1.2.3 - - [01/Jan/2026:00:00:00 +0000] "GET /p/{i} HTTP/1.1" {rng.choice([200, 301, 404, 500, 503, 5000])} {rng.randrange(10**6)} "-" "curl/8"'
        else:
            s = f"noise {i} " + "x" * rng.randrange(0, 120)
        end = b"\r\n" if rng.randrange(4) == 0 else b"\n"
        out.append(s.encode() + end)
    return out


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def wanted(snap, n_records, expect):
    """True when the snapshot shows exactly n_records and the expected totals."""
    if snap["ingest"]["records"] != n_records:
        return False
    return {r["name"]: r["total"] for r in snap["rules"]} == expect


def check_exact(snap, n_records, expect, t_first_write):
    assert snap["ingest"]["records"] == n_records, snap["ingest"]
    totals = {r["name"]: r["total"] for r in snap["rules"]}
    assert totals == expect
    assert snap["windows"] == ["10s", "1m", "5m"]
    # Everything arrived within the last few seconds, so every window holds
    # every match. (The 10 s window is only exact while the first write is
    # younger than 9 s: windows are whole seconds, (now - 10 s, now], so a
    # record may leave the 10 s window once it is 9 s old.)
    age_s = time.time() - t_first_write
    for r in snap["rules"]:
        w = r["windows"]
        assert set(w) == {"10s", "1m", "5m"}, r
        assert w["1m"]["count"] == expect[r["name"]], r
        assert w["5m"]["count"] == expect[r["name"]], r
        if age_s < 8.5:
            assert w["10s"]["count"] == expect[r["name"]], r
        else:
            assert w["10s"]["count"] <= expect[r["name"]], r


def test_appended_lines_are_counted_per_rule_and_window(weir, tmp_path):
    rng = random.Random(20260101)
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    # Small batches (64 KiB) so that records straddle batch edges.
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES, workers=2,
                   batch_size=65536, max_line=4096)
    d.wait_log(r"source 'app': reading .* from offset 0")

    lines = make_lines(rng, 4000)
    partial = b"WARN partial id=q then done\n"  # arrives in two writes
    cr_split = b"half CRLF id=z done\r\n"       # CR in one write, LF in the next
    bursts = [
        b"".join(lines[:700]),
        b"".join(lines[700:1500]) + partial[:12],
        partial[12:] + b"".join(lines[1500:2600]) + cr_split[:-1],
        cr_split[-1:] + b"".join(lines[2600:3999]),
        lines[3999],
    ]
    data = b"".join(bursts)
    all_records = records_of(data)
    assert len(all_records) == 4002

    t_first = time.time()
    written = b""
    for i, burst in enumerate(bursts):
        append(log, burst)
        written += burst
        if i == 1:
            # A partial line is not a record until its LF arrives: weir must
            # show exactly the complete lines so far, and keep doing so.
            recs = records_of(written[: written.rindex(b"\n") + 1])
            exp = expected_counts(recs, RULES)
            snap = d.poll_snapshot(lambda s: wanted(s, len(recs), exp))
            check_exact(snap, len(recs), exp, t_first)
            seq = snap["seq"]
            snap = d.poll_snapshot(lambda s: s["seq"] >= seq + 3)
            check_exact(snap, len(recs), exp, t_first)
        else:
            time.sleep(0.05)

    exp = expected_counts(all_records, RULES)
    # Sanity of the test data itself: every rule has matches, except the CR
    # rule, which must never match (CR before LF is not part of a record).
    assert exp["carriage_return"] == 0
    assert all(v > 0 for k, v in exp.items() if k != "carriage_return"), exp
    snap = d.poll_snapshot(lambda s: wanted(s, len(all_records), exp))
    check_exact(snap, len(all_records), exp, t_first)

    src = snap["ingest"]["sources"]
    assert [s["name"] for s in src] == ["app"]
    assert src[0]["paths"] == [str(log)]
    f = d.poll_sources(lambda ss: ss[0]["files"] and ss[0]["files"][0]["offset"] == len(data))
    f = f[0]["files"]
    assert [x["path"] for x in f] == [str(log)]
    assert f[0]["offset"] == len(data)
    assert f[0]["size"] == len(data)
    assert src[0]["bytes"] == len(data)
    assert src[0]["errors"] == 0
    assert src[0]["lines_truncated"] == 0
    assert snap["ingest"]["bytes"] == len(data)
    assert snap["ingest"]["lines_truncated"] == 0

    # Nothing more arrives: the counts stay put over a few more ticks.
    seq = snap["seq"]
    snap = d.poll_snapshot(lambda s: s["seq"] >= seq + 3)
    check_exact(snap, len(all_records), exp, t_first)


def test_start_end_ignores_existing_content(weir, tmp_path):
    rng = random.Random(7)
    log = tmp_path / "old.log"
    old = b"".join(make_lines(rng, 500)) + b"error WARN done id=x\n"
    log.write_bytes(old)
    d = weir.start(sources=[{"name": "old", "path": log, "start": "end"}], rules=RULES)
    d.wait_log(rf"source 'old': reading .* from offset {len(old)}\b")

    new = b"".join(make_lines(rng, 300))
    append(log, new)
    recs = records_of(new)
    exp = expected_counts(recs, RULES)
    assert sum(exp.values()) > 0
    snap = d.poll_snapshot(lambda s: wanted(s, len(recs), exp))
    assert snap["ingest"]["records"] == len(recs)
    assert {r["name"]: r["total"] for r in snap["rules"]} == exp
    src = snap["ingest"]["sources"][0]
    f = d.poll_sources(lambda ss: ss[0]["files"][0]["offset"] == len(old) + len(new))
    assert f[0]["files"][0]["offset"] == len(old) + len(new)
    assert src["bytes"] == len(new)
    assert snap["ingest"]["bytes"] == len(new)


def test_two_sources_are_counted_together(weir, tmp_path):
    rng = random.Random(99)
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_bytes(b"")
    b.write_bytes(b"")
    d = weir.start(sources=[{"name": "a", "path": a}, {"name": "b", "path": b}],
                   rules=RULES, workers=3)
    d.wait_log(r"source 'b': reading")
    da = b"".join(make_lines(rng, 1000))
    db = b"".join(make_lines(rng, 1200))
    for i in range(0, 1000, 250):
        # Cut at arbitrary bytes: lines are split across writes.
        append(a, da[i * len(da) // 1000:(i + 250) * len(da) // 1000])
        append(b, db[i * len(db) // 1000:(i + 250) * len(db) // 1000])
        time.sleep(0.03)
    recs = records_of(da) + records_of(db)
    exp = expected_counts(recs, RULES)
    snap = d.poll_snapshot(lambda s: wanted(s, len(recs), exp))
    assert snap["ingest"]["records"] == len(recs)
    assert {r["name"]: r["total"] for r in snap["rules"]} == exp
    by_name = {s["name"]: s for s in snap["ingest"]["sources"]}
    assert by_name["a"]["bytes"] == len(da)
    assert by_name["b"]["bytes"] == len(db)


def test_long_lines_are_cut_counted_and_discarded_exactly(weir, tmp_path):
    """A line longer than max_line is one record of max_line bytes; the rest
    is discarded (bytes_discarded), also when it arrives in pieces and when
    it is longer than a whole batch."""
    max_line = 1024
    rules = [{"name": "head", "match": "^H"}, {"name": "beyond_cut", "match": "TAIL"},
             {"name": "short", "match": "^short [0-9]+$"}]
    log = tmp_path / "long.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "long", "path": log}], rules=rules, max_line=max_line,
                   batch_size=65536)
    d.wait_log(r"source 'long': reading")
    lens = [10, 1024, 1025, 5000, 300000]   # 300000 > the 64 KiB batch
    pieces = []
    for i, n in enumerate(lens):
        pieces.append(b"H" + b"x" * (n - 5) + b"TAIL\n")      # n bytes before LF
        pieces.append(b"short %d\n" % i)
    data = b"".join(pieces)
    # Write in odd-sized chunks so long lines arrive in pieces.
    for off in range(0, len(data), 70001):
        append(log, data[off:off + 70001])
        time.sleep(0.01)
    recs = records_of(data)
    exp = expected_counts(recs, rules, max_line=max_line)
    # By hand: TAIL survives in the 10- and 1024-byte lines only.
    assert exp == {"head": 5, "beyond_cut": 2, "short": 5}
    snap = d.poll_snapshot(lambda s: wanted(s, len(recs), exp))
    assert snap["ingest"]["records"] == len(recs) == 10
    assert {r["name"]: r["total"] for r in snap["rules"]} == exp
    assert snap["ingest"]["lines_truncated"] == sum(1 for n in lens if n > max_line) == 3
    assert snap["ingest"]["sources"][0]["bytes"] == len(data)
    assert snap["ingest"]["bytes"] == len(data)


def test_per_source_truncation_stats_count_every_cut_line(weir, tmp_path):
    max_line = 1024
    log = tmp_path / "long.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "long", "path": log}], rules=[{"name": "any", "match": "^"}],
                   max_line=max_line)
    d.wait_log(r"source 'long': reading")
    lens = [1025, 5000]   # each arrives whole, in one write
    data = b"".join(b"x" * n + b"\n" for n in lens)
    append(log, data)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    assert snap["ingest"]["records"] == 2
    assert snap["ingest"]["lines_truncated"] == 2
    src = snap["ingest"]["sources"][0]
    assert src["lines_truncated"] == 2, src
    assert src["bytes_discarded"] == sum(n - max_line for n in lens), src


def test_source_created_after_start_is_picked_up(weir, tmp_path):
    log = tmp_path / "later.log"
    d = weir.start(sources=[{"name": "later", "path": log}], rules=RULES)
    d.wait_log(r"source 'later': .*later\.log does not exist; waiting for it")
    # A missing file is waited for, not an error; the API shows why it is idle.
    def sources():
        status, _, body = d.get("/api/v1/sources")
        assert status == 200
        return body["sources"]

    src = poll(lambda: sources()[0]["files"] and sources()[0])
    assert src["errors"] == 0 and src["files_open"] == 0, src
    assert [(f["state"], f["error"]) for f in src["files"]] == [
        ("error", "No such file or directory")], src
    assert d.snapshot()["ingest"]["records"] == 0
    data = b"".join(make_lines(random.Random(5), 200))
    log.write_bytes(data)
    recs = records_of(data)
    exp = expected_counts(recs, RULES)
    snap = d.poll_snapshot(lambda s: wanted(s, len(recs), exp))
    assert snap["ingest"]["records"] == len(recs)
    assert {r["name"]: r["total"] for r in snap["rules"]} == exp


def test_short_windows_expire_while_totals_stay(weir, tmp_path):
    """Windows are whole seconds ending now; with 1 s and 2 s windows the
    counts leave them within ~2 s, while the 1 m window and the total keep
    them. In every snapshot: window(1s) <= window(2s) <= window(1m) <= total."""
    log = tmp_path / "w.log"
    log.write_bytes(b"")
    rules = [{"name": "any", "match": "^"}]
    d = weir.start(sources=[{"name": "w", "path": log}], rules=rules, windows=("1s", "2s", "1m"))
    d.wait_log(r"source 'w': reading")
    append(log, b"".join(b"line %d\n" % i for i in range(500)))
    seen = []

    def expired(s):
        seen.append(s)
        w = s["rules"][0]["windows"]
        return s["rules"][0]["total"] == 500 and w["2s"]["count"] == 0

    snap = d.poll_snapshot(expired)
    r = snap["rules"][0]
    assert r["total"] == 500
    assert r["windows"]["1s"]["count"] == 0
    assert r["windows"]["2s"]["count"] == 0
    assert r["windows"]["1m"]["count"] == 500
    assert snap["ingest"]["expired"] == 0   # expired = too old for the history, not this
    for s in seen:
        rr = s["rules"][0]
        w = rr["windows"]
        assert w["1s"]["count"] <= w["2s"]["count"] <= w["1m"]["count"] <= rr["total"], s
    assert max(s["rules"][0]["windows"]["2s"]["count"] for s in seen) > 0, \
        "the records were never inside the 2 s window"


def test_rotation_by_rename_follows_the_new_file(weir, tmp_path):
    log = tmp_path / "rot.log"
    log.write_bytes(b"one\ntwo\n")
    rules = [{"name": "any", "match": "^"}]
    d = weir.start(sources=[{"name": "rot", "path": log}], rules=rules)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    assert snap["ingest"]["records"] == 2
    log.rename(tmp_path / "rot.log.1")           # logrotate's default (create) mode
    log.write_bytes(b"three\nfour\nfive\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 5, timeout=3)
    assert snap["ingest"]["records"] == 5
    assert snap["rules"][0]["total"] == 5
