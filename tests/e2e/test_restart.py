"""Offsets and aggregates survive restarts: after a clean stop (SIGTERM) or
a crash (kill -9) and a restart on the same config and state directory,
every line is counted exactly once (rule totals continue from the saved
checkpoint), and a corrupt state file is set aside.

What each kind of test catches: with `start: beginning`, a weir that kept
its offsets but lost its aggregates undercounts, and one that kept its
aggregates but re-read its files counts twice (one that forgot both would
re-read everything and pass). With `start: end`, a weir that forgot its
offsets skips the lines written while it was down. So the restart
scenarios run with `start: end` too."""

import random
import re
import time

import pytest

from conftest import Appender, expected_counts, poll, records_of, totals

RULES = [
    {"name": "any", "match": "^"},
    {"name": "seven", "match": "7$"},
    {"name": "errors", "match": "error", "caseless": True},
    {"name": "root", "match": "user=root"},
]


def numbered(tag, first, n):
    return b"".join(
        (f"{tag} {i:06d} " + ("ERROR x" if i % 11 == 0 else "fine") + (" 7" if i % 4 == 0 else "")
         ).encode() + b"\n" for i in range(first, first + n))


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def exact(datas):
    recs = [r for d in datas for r in records_of(d)]
    exp = expected_counts(recs, RULES)
    assert exp["any"] == len(recs)

    def pred(snap):
        return snap["ingest"]["records"] == len(recs) and totals(snap) == exp

    return pred


def assert_exact(snap, datas):
    recs = [r for d in datas for r in records_of(d)]
    assert snap["ingest"]["records"] == len(recs), snap["ingest"]
    assert totals(snap) == expected_counts(recs, RULES)


def assert_read_to_end(d, n_files):
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == n_files
                         and all(f["offset"] == f["size"] for f in ss[0]["files"]))[0]
    assert src["files_open"] == n_files
    for f in src["files"]:
        assert f["offset"] == f["size"], f


def opened_at_end(d, n_files):
    """Wait until weir has the source's n files open and read to their end
    (with start: end, only what is written after this counts)."""
    d.poll_sources(lambda ss: ss[0]["files_open"] == n_files
                   and all(f["offset"] == f["size"] for f in ss[0]["files"]))


def test_clean_restart_resumes_and_counts_lines_written_while_down(weir, tmp_path):
    log = tmp_path / "app.log"
    d1 = numbered("first", 0, 300)
    log.write_bytes(d1)
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=RULES, checkpoint_interval="1s")
    d = weir.start(cfg)
    d.poll_snapshot(exact([d1]))
    d.stop()
    assert (tmp_path / "state" / "weir.state").is_file(), "a clean stop saves the state"

    d2 = numbered("down", 0, 200)          # written while weir is down
    append(log, d2)
    d = weir.start(cfg)
    # the restore log says what the state holds: one file, four rules
    assert re.search(r"state: resuming from .*weir\.state \(1 files, 4 rules\)", d.stderr()), \
        d.stderr()
    snap = d.poll_snapshot(exact([d1, d2]))
    assert_exact(snap, [d1, d2])
    d3 = numbered("up", 0, 50)
    append(log, d3)
    snap = d.poll_snapshot(exact([d1, d2, d3]))
    assert_exact(snap, [d1, d2, d3])
    d.hold_snapshot(exact([d1, d2, d3]), 1.5)
    assert_read_to_end(d, 1)
    d.stop()

    # A restart with nothing new: the totals come back as they were, and
    # nothing is read again.
    d = weir.start(cfg)
    snap = d.poll_snapshot(exact([d1, d2, d3]))
    assert_exact(snap, [d1, d2, d3])
    d.hold_snapshot(exact([d1, d2, d3]), 1.5)


def test_start_end_skips_old_content_once_then_resumes_from_the_saved_offset(weir, tmp_path):
    log = tmp_path / "old.log"
    old = numbered("old", 0, 400)
    log.write_bytes(old)
    cfg = weir.config(sources=[{"name": "old", "path": log, "start": "end"}], rules=RULES,
                      checkpoint_interval="1s")
    d = weir.start(cfg)
    opened_at_end(d, 1)
    d1 = numbered("new", 0, 100)
    append(log, d1)
    snap = d.poll_snapshot(exact([d1]))
    assert_exact(snap, [d1])
    d.stop()

    d2 = numbered("down", 0, 150)          # written while down: these ARE counted
    append(log, d2)
    d = weir.start(cfg)
    snap = d.poll_snapshot(exact([d1, d2]))
    assert_exact(snap, [d1, d2])
    d.hold_snapshot(exact([d1, d2]), 1.5)
    src = d.sources()[0]
    assert src["files"][0]["offset"] == len(old) + len(d1) + len(d2)


def make_files(tmp_path, n=2):
    logs = tmp_path / "logs"
    logs.mkdir()
    paths = [logs / f"w{i}.log" for i in range(n)]
    pre = [numbered(f"pre{i}", 0, 100 + 50 * i) for i in range(n)]
    for p, data in zip(paths, pre):
        p.write_bytes(data)
    return logs, paths, pre


def finish(d, writer, pre_counted):
    """Stop the writer; weir must end with exactly what was written (plus
    the counted pre-existing content), and stay there."""
    written = writer.stop()
    datas = pre_counted + [written]
    want = exact(datas)
    snap = d.poll_snapshot(want)
    assert_exact(snap, datas)
    assert snap["ingest"]["records"] == sum(len(records_of(x)) for x in pre_counted) + writer.lines
    d.hold_snapshot(want, 1.5)
    return snap


@pytest.mark.parametrize("start", ["beginning", "end"])
def test_sigterm_restarts_during_ingest_count_every_line_once(weir, tmp_path, start):
    rng = random.Random(31337)
    logs, paths, pre = make_files(tmp_path)
    cfg = weir.config(sources=[{"name": "app", "path": logs / "*.log", "start": start}],
                      rules=RULES, checkpoint_interval="1s")
    d = weir.start(cfg)
    if start == "end":
        opened_at_end(d, 2)
    else:
        d.poll_snapshot(exact(pre))
    with Appender(paths, seed=7) as writer:
        for _ in range(3):
            time.sleep(rng.uniform(0.3, 1.0))
            d.stop()                                  # SIGTERM in the middle of ingest
            time.sleep(rng.uniform(0.1, 0.6))         # the writer goes on meanwhile
            d = weir.start(cfg)
        time.sleep(0.5)
        finish(d, writer, pre if start == "beginning" else [])
    assert writer.lines > 500, "the writer wrote too little to test anything"
    assert_read_to_end(d, 2)


def test_kill9_at_random_moments_counts_every_line_once(weir, tmp_path):
    rng = random.Random(4242)
    logs, paths, pre = make_files(tmp_path)
    cfg = weir.config(sources=[{"name": "app", "path": logs / "*.log", "start": "end"}],
                      rules=RULES, checkpoint_interval="1s")
    state = tmp_path / "state" / "weir.state"
    d = weir.start(cfg)
    opened_at_end(d, 2)
    t_open = time.time_ns()
    with Appender(paths, seed=99) as writer:
        # A crash before the first checkpoint that holds the files' offsets
        # would leave nothing to resume from (and start: end would then
        # rightly skip ahead): wait for one written after the files were open.
        assert poll(lambda: state.is_file() and state.stat().st_mtime_ns > t_open), \
            "no checkpoint within the deadline"
        d = _crash_loop(weir, cfg, d, rng, state)
        snap = finish(d, writer, [])
    assert snap["ingest"]["records"] == writer.lines
    assert_read_to_end(d, 2)


def _crash_loop(weir, cfg, d, rng, state):
    """20 times: let weir run a while, kill -9 it, restart it. Every other
    run is short (killed before its first checkpoint: the next one resumes
    from an older checkpoint and reads again what this one counted), the
    others outlive a checkpoint or two (so resumes start from many points)."""
    resumed_from = set()
    for i in range(20):
        time.sleep(rng.uniform(0.05, 0.7) if i % 2 else rng.uniform(1.1, 2.3))
        d.kill9()
        resumed_from.add(state.read_bytes())
        time.sleep(rng.uniform(0.0, 0.3))
        d = weir.start(cfg)
    # checkpoint_interval: 1s, so most long runs leave a new checkpoint.
    assert len(resumed_from) >= 6, f"only {len(resumed_from)} distinct checkpoints in 20 crashes"
    time.sleep(0.5)
    return d


def test_corrupt_state_is_set_aside_and_weir_starts_fresh(weir, tmp_path):
    log = tmp_path / "app.log"
    d1 = numbered("a", 0, 500)
    log.write_bytes(d1)
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=RULES, checkpoint_interval="1s")
    d = weir.start(cfg)
    d.poll_snapshot(exact([d1]))
    d.stop()
    state_dir = tmp_path / "state"
    state = state_dir / "weir.state"
    raw = bytearray(state.read_bytes())
    assert len(raw) >= 16, raw
    for pos in (len(raw) // 3, len(raw) // 2, 2 * len(raw) // 3):
        raw[pos] ^= 0xFF
    state.write_bytes(bytes(raw))

    def log_text(d):
        # The test's directory name holds "corrupt" too: leave paths out.
        return d.stderr().replace(str(tmp_path), "<tmp>").lower()

    d = weir.start(cfg)
    assert poll(lambda: "corrupt" in log_text(d)), d.stderr()
    aside = [p for p in state_dir.iterdir() if p.name.startswith("weir.state.corrupt")]
    assert aside, sorted(p.name for p in state_dir.iterdir())
    assert any(p.read_bytes() == bytes(raw) for p in aside), "the corrupt file is kept as it was"
    # Fresh start: the file is read again from the beginning, with fresh
    # totals; nothing of the corrupt state leaks in (not doubled).
    snap = d.poll_snapshot(exact([d1]))
    assert_exact(snap, [d1])
    d.hold_snapshot(exact([d1]), 1.5)
    d2 = numbered("b", 0, 70)
    append(log, d2)
    snap = d.poll_snapshot(exact([d1, d2]))
    assert_exact(snap, [d1, d2])
    d.stop()

    # The state weir wrote after starting fresh is good again.
    d = weir.start(cfg)
    snap = d.poll_snapshot(exact([d1, d2]))
    assert_exact(snap, [d1, d2])
    assert "corrupt" not in log_text(d), d.stderr()
    d.hold_snapshot(exact([d1, d2]), 1.0)
