"""Content and paths that are not nice text: a 10 MB line, a file of random
bytes, a file name that is not UTF-8, a directory where a file should be.
weir frames and matches any bytes, never crashes, keeps every response
strict JSON, and reports what it cannot read."""

import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from conftest import expected_counts, file_paths, poll, records_of, totals, yq

MAX_LINE_DEFAULT = 64 * 1024


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def test_a_10_mb_line_is_one_record_cut_at_max_line(weir, tmp_path):
    rules = [{"name": "any", "match": "^"}, {"name": "head", "match": "^X"},
             {"name": "beyond_cut", "match": "TAIL"}, {"name": "normal", "match": "^n [0-9]+ ok$"}]
    log = tmp_path / "big.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "big", "path": log}], rules=rules)  # default max_line
    d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    long_len = 10 * 1024 * 1024                       # bytes before its LF
    long_line = b"X" + b"y" * (long_len - 5) + b"TAIL" + b"\n"
    before = b"".join(b"n %d ok\n" % i for i in range(100))
    after = b"".join(b"n %d ok\n" % i for i in range(100, 250))
    append(log, before)
    # The long line arrives in 1 MiB pieces while weir tails the file.
    for off in range(0, len(long_line), 1 << 20):
        append(log, long_line[off:off + (1 << 20)])
        time.sleep(0.01)
    append(log, after)
    data = before + long_line + after
    recs = records_of(data)
    exp = expected_counts(recs, rules, max_line=MAX_LINE_DEFAULT)
    assert exp == {"any": 251, "head": 1, "beyond_cut": 0, "normal": 250}
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 251 and totals(s) == exp)
    assert snap["ingest"]["records"] == 251
    assert totals(snap) == exp
    assert snap["ingest"]["lines_truncated"] == 1
    assert snap["ingest"]["bytes"] == len(data)
    src = d.poll_sources(lambda ss: ss[0]["lines"] == 251)[0]
    assert src["lines"] == 251
    assert src["lines_truncated"] == 1
    assert src["bytes_discarded"] == long_len - MAX_LINE_DEFAULT
    assert src["bytes"] == len(data)
    f = src["files"][0]
    assert f["offset"] == f["size"] == len(data)
    d.hold_snapshot(lambda s: s["ingest"]["records"] == 251 and totals(s) == exp, 1.0)


# Rules over random bytes: each is written so that Hyperscan and Python `re`
# (bytes, ASCII-only case folding) agree on it.
RANDOM_RULES = [
    {"name": "any", "match": "^"},
    {"name": "empty", "match": "^$"},
    {"name": "nul", "match": "\\x00"},
    {"name": "high3", "match": "[\\x80-\\xff]{3}"},
    {"name": "two_digits", "match": "[0-9][0-9]"},
    {"name": "ab", "match": "ab", "caseless": True},
    {"name": "inner_cr", "match": "\\r"},
    {"name": "z_end", "match": "z$"},
    {"name": "a_start", "match": "^a"},
    {"name": "long", "match": "^.{1000}"},
    {"name": "beyond_cut", "match": ".{1025}"},
]


def random_log(seed, size, max_line):
    """size random bytes ending in LF, without the one case where weir and
    this test could disagree about a cut: a line of exactly max_line + 1
    bytes whose last byte is the CR dropped before its LF."""
    data = bytearray(random.Random(seed).randbytes(size))
    data[-1] = 0x0A
    start = 0
    while True:
        nl = data.find(b"\n", start)
        if nl < 0:
            break
        if nl - start == max_line + 1 and data[nl - 1] == 0x0D:
            data[nl - 1] = ord("x")
        start = nl + 1
    return bytes(data)


def test_random_bytes_are_framed_and_matched_exactly(weir, tmp_path):
    max_line = 1024
    data = random_log(20260313, 3 * 1024 * 1024, max_line)
    recs = records_of(data)
    exp = expected_counts(recs, RANDOM_RULES, max_line=max_line)
    n_cut = sum(1 for r in recs if len(r) > max_line)
    # The data exercises what it should.
    assert n_cut > 50 and exp["empty"] > 0 and exp["nul"] > 0 and exp["inner_cr"] > 0
    assert exp["beyond_cut"] == 0 and exp["long"] >= n_cut

    log = tmp_path / "random.bin"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "rnd", "path": log}], rules=RANDOM_RULES, max_line=max_line)
    d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    for off in range(0, len(data), 200_000):   # pieces cut anywhere: mid-line, mid-CRLF
        append(log, data[off:off + 200_000])
        time.sleep(0.01)

    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == len(recs) and totals(s) == exp)
    assert snap["ingest"]["records"] == len(recs)
    assert totals(snap) == exp
    assert snap["ingest"]["lines_truncated"] == n_cut
    assert snap["ingest"]["bytes"] == len(data)
    src = d.poll_sources(lambda ss: ss[0]["lines"] == len(recs))[0]
    assert src["lines_truncated"] == n_cut
    assert src["bytes"] == len(data)
    assert src["files"][0]["offset"] == len(data)
    # Every route still answers strict JSON (Daemon.get parses strictly).
    for route in ("/api/v1/snapshot", "/api/v1/sources", "/api/v1/rules"):
        status, _, _ = d.get(route)
        assert status == 200, route
    assert d.proc.poll() is None
    d.hold_snapshot(lambda s: s["ingest"]["records"] == len(recs) and totals(s) == exp, 1.0)


def test_file_name_that_is_not_utf8_is_read_and_shown_as_json(weir, tmp_path):
    rules = [{"name": "any", "match": "^"}, {"name": "bad", "match": "^bad "}]
    names = tmp_path / "names"
    names.mkdir()
    bad = os.fsencode(names) + b"/bad\xff\xfe\xc3(.log"   # invalid UTF-8 sequences
    good = names / "good.log"
    with open(bad, "wb") as f:
        f.write(b"".join(b"bad %d\n" % i for i in range(20)))
    good.write_bytes(b"".join(b"good %d\n" % i for i in range(10)))
    d = weir.start(sources=[{"name": "names", "path": names / "*.log"}], rules=rules)
    snap = d.poll_snapshot(lambda s: totals(s) == {"any": 30, "bad": 20})
    assert totals(snap) == {"any": 30, "bad": 20}
    # Daemon.sources() parsed the body as strict JSON (valid UTF-8).
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 2)[0]
    assert src["files_open"] == 2
    others = [f for f in src["files"] if f["path"] != str(good)]
    assert len(others) == 1, src["files"]
    shown = others[0]["path"]
    assert shown.startswith(str(names) + "/bad") and shown.endswith(".log"), shown
    assert others[0]["inode"] == os.stat(bad).st_ino
    assert others[0]["lines"] == 20
    with open(bad, "ab") as f:
        f.write(b"bad more\nbad again\n")
    snap = d.poll_snapshot(lambda s: totals(s) == {"any": 32, "bad": 22})
    assert totals(snap) == {"any": 32, "bad": 22}
    status, _, _ = d.get("/api/v1/snapshot")
    assert status == 200


def test_directory_instead_of_a_file_is_reported_and_other_sources_keep_going(weir, tmp_path):
    adir = tmp_path / "adir"
    adir.mkdir()
    ok = tmp_path / "ok.log"
    ok.write_bytes(b"".join(b"ok %d\n" % i for i in range(50)))
    d = weir.start(sources=[{"name": "dir", "path": adir}, {"name": "ok", "path": ok}],
                   rules=[{"name": "any", "match": "^"}])

    def dir_error(ss):
        s = {x["name"]: x for x in ss}["dir"]
        return s["errors"] >= 1 and any(f["state"] == "error" for f in s["files"])

    srcs = {s["name"]: s for s in d.poll_sources(dir_error)}
    s = srcs["dir"]
    assert s["errors"] >= 1, s
    assert s["paths"] == [str(adir)]
    assert len(s["files"]) == 1, s
    f = s["files"][0]
    assert f["path"] == str(adir)
    assert f["state"] == "error"
    assert f["errors"] >= 1
    assert isinstance(f["error"], str) and "directory" in f["error"].lower(), f
    assert s["lines"] == 0
    err = d.wait_log(r"(?i)adir.*directory|directory.*adir")
    assert err

    # The other source is served as usual, and keeps being followed.
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 50)
    assert snap["ingest"]["records"] == 50
    append(ok, b"ok more\n" * 10)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 60)
    assert snap["ingest"]["records"] == 60
    assert totals(snap) == {"any": 60}
    assert d.source("ok")["errors"] == 0
    assert d.proc.poll() is None

    # weir retries: once the directory is replaced by a file, it is read.
    adir.rmdir()
    adir.write_bytes(b"now a file\n" * 7)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 67)
    assert snap["ingest"]["records"] == 67
    s = d.poll_sources(lambda ss: {x["name"]: x for x in ss}["dir"]["lines"] == 7)
    s = {x["name"]: x for x in s}["dir"]
    assert file_paths(s) == [str(adir)]
    assert s["files"][0]["state"] == "open" and s["files"][0]["error"] is None, s


def test_permission_denied_is_reported_and_retried(weir, tmp_path):
    """weir runs as an unprivileged user here (root reads anything): a file
    it may not read is an error in the log and the API, the daemon keeps
    going, and once the file becomes readable it is read."""
    if os.geteuid() != 0:
        pytest.fail("this test drops privileges with setpriv and needs to start as root")
    nobody = 65534
    top = Path(tempfile.mkdtemp(prefix="weir-perm-", dir="/tmp"))
    try:
        os.chmod(top, 0o755)
        secret = top / "secret.log"
        secret.write_bytes(b"s1\ns2\ns3\n")
        os.chmod(secret, 0o600)  # owned by root: nobody cannot read it
        open_log = top / "open.log"
        open_log.write_bytes(b"o1\no2\n")
        os.chmod(open_log, 0o644)
        state = top / "state"
        state.mkdir()
        os.chown(state, nobody, nobody)
        cfg = weir.config(sources=[{"name": "perm", "path": str(top / "*.log")}],
                          rules=[{"name": "any", "match": "^"}])
        text = cfg.read_text().replace(yq(tmp_path / "state"), yq(state))
        cfg = top / "weir.yaml"
        cfg.write_text(text)
        os.chmod(cfg, 0o644)
        d = weir.start(cfg, prefix=("setpriv", f"--reuid={nobody}", f"--regid={nobody}",
                                    "--clear-groups"))
        d.wait_log(r"cannot open .*secret\.log: Permission denied \(will retry")

        def denied(ss):
            fs = {f["path"]: f for f in ss[0]["files"]}
            f = fs.get(str(secret))
            return f and f["state"] == "error" and str(open_log) in fs and f

        f = poll(lambda: denied(d.sources()))
        assert f, d.sources()
        assert f["error"] == "Permission denied" and f["errors"] == 1, f
        assert d.source("perm")["errors"] == 1
        snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
        assert totals(snap) == {"any": 2}
        os.chmod(secret, 0o644)
        snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 5)
        assert totals(snap) == {"any": 5}
        s = d.poll_sources(lambda ss: all(f["state"] == "open" for f in ss[0]["files"]))
        assert [f["error"] for f in s[0]["files"]] == [None, None], s
        d.stop()
    finally:
        shutil.rmtree(top, ignore_errors=True)
