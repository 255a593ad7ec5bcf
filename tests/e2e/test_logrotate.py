"""The real logrotate (/usr/sbin/logrotate, Debian package), run with its
own config and state file under tmp_path (never the machine's), rotating a
log five times while a writer appends to it and weir tails it.

The writer behaves like a daemon that logrotate's postrotate tells to
reopen its log: it keeps its descriptor, and reopens the path once the
path names another inode (it never creates the file itself: logrotate's
`create` does). Lines written to the old descriptor after the rename land
in the rotated file, which weir must drain. Totals must be exact."""

import os
import shlex
import subprocess
import time

import pytest

from conftest import Appender, expected_counts, poll, records_of, totals

LOGROTATE = "/usr/sbin/logrotate"
ROTATIONS = 5

RULES = [
    {"name": "any", "match": "^"},
    {"name": "seven", "match": "7$"},
    {"name": "errors", "match": "error", "caseless": True},
]


def logrotate(tmp_path, conf_text):
    """Write the config (mode 0644, as logrotate wants) and return a function
    that runs `logrotate -f -s STATE CONF` once and checks it succeeded."""
    conf = tmp_path / "logrotate.conf"
    conf.write_text(conf_text)
    conf.chmod(0o644)
    state = tmp_path / "logrotate.status"

    def run():
        p = subprocess.run([LOGROTATE, "-f", "-s", str(state), str(conf)],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"logrotate failed ({p.returncode}):\n{p.stdout}{p.stderr}"

    return run


def exact(data):
    recs = records_of(data)
    exp = expected_counts(recs, RULES)
    return lambda s: s["ingest"]["records"] == len(recs) and totals(s) == exp


def check_totals(d, written):
    want = exact(written)
    snap = d.poll_snapshot(want)
    recs = records_of(written)
    assert snap["ingest"]["records"] == len(recs), snap["ingest"]
    assert totals(snap) == expected_counts(recs, RULES)
    d.hold_snapshot(want, 1.5)   # nothing read twice, late
    return snap


@pytest.mark.parametrize("watch", ["live_path", "glob_with_rotated"])
def test_logrotate_create_mode(weir, tmp_path, watch):
    logdir = tmp_path / "logs"
    logdir.mkdir()
    log = logdir / "app.log"
    log.write_bytes(b"")
    run = logrotate(tmp_path, f"""\
{log} {{
    rotate 3
    create
    nocompress
    missingok
}}
""")
    # live_path: only app.log; each rotation is a rename-and-create of it.
    # glob_with_rotated: app.log* also matches app.log.1..3, so every file
    # is renamed (app.log -> .1 -> .2 -> .3) and finally deleted while
    # weir tails it: a rename must be recognised, never read again.
    path = str(log) if watch == "live_path" else str(logdir / "app.log*")
    d = weir.start(sources=[{"name": "app", "path": path}], rules=RULES)
    d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    with Appender([log], seed=2026, reopen=True, pause=(0.001, 0.006)) as writer:
        for _ in range(ROTATIONS):
            time.sleep(0.6)
            run()
        time.sleep(0.6)
        written = writer.stop()
    assert writer.reopens == ROTATIONS, "the writer followed every rotation"
    assert sorted(p.name for p in logdir.iterdir()) == ["app.log", "app.log.1", "app.log.2",
                                                          "app.log.3"]
    # The files left hold the end of what was written, in order (a check on
    # the test's writer: one writer, so the files split its stream).
    kept = b"".join((logdir / n).read_bytes() for n in ("app.log.3", "app.log.2", "app.log.1",
                                                        "app.log"))
    assert kept and written.endswith(kept)

    check_totals(d, written)
    src = d.sources()[0]
    assert src["errors"] == 0
    assert src["truncations"] == 0
    if watch == "live_path":
        assert src["rotations"] == ROTATIONS
        src = d.poll_sources(lambda ss: ss[0]["files_open"] == 1)[0]
        assert [f["path"] for f in src["files"]] == [str(log)]
    else:
        # Six files existed (app.log and five created by logrotate); the two
        # oldest were deleted by `rotate 3`. Four remain, each listed once.
        src = d.poll_sources(lambda ss: ss[0]["files_open"] == 4 and ss[0]["files_closed"] == 2)[0]
        assert src["files_open"] == 4
        assert src["files_closed"] == 2
        assert sorted(f["path"] for f in src["files"]) == [
            str(logdir / n) for n in ("app.log", "app.log.1", "app.log.2", "app.log.3")]
        for f in src["files"]:
            assert f["inode"] == os.stat(f["path"]).st_ino, f
    for f in src["files"]:
        assert f["offset"] == f["size"] == os.stat(f["path"]).st_size, f
    assert src["lines"] == len(records_of(written))
    assert src["bytes"] == len(written)


@pytest.mark.parametrize("watch", ["live_path", "glob_with_rotated"])
def test_logrotate_copytruncate(weir, tmp_path, watch):
    """copytruncate copies the log and then truncates it in place; whatever
    is written between the copy and the truncate is lost from the live file
    by design (logrotate's manual says so). To test weir rather than that
    race, the writer pauses around each rotation:

      prerotate creates LOCK and waits for ACK;
      the writer, seeing LOCK, waits until weir has read the live file to
        its end (GET /api/v1/sources: offset == size), since what weir has
        not read by the truncate is gone as well, then creates ACK and
        writes nothing until LOCK is gone;
      logrotate copies and truncates; postrotate removes LOCK.

    The writer's descriptor has O_APPEND, so after the truncate its lines
    go to the start of the emptied file, which weir must read from 0.

    glob_with_rotated: app.log* also names the copies (app.log.1, renamed
    on to .2 and .3, then deleted): each copy is the same lines under a new
    inode, tailed from where weir was in app.log, never counted again."""
    logdir = tmp_path / "logs"
    logdir.mkdir()
    log = logdir / "app.log"
    log.write_bytes(b"")
    lock, ack = tmp_path / "rotating.lock", tmp_path / "writer.ack"
    q = shlex.quote
    run = logrotate(tmp_path, f"""\
{log} {{
    rotate 3
    copytruncate
    nocompress
    missingok
    prerotate
        rm -f {q(str(ack))}; touch {q(str(lock))}
        i=0; while [ ! -e {q(str(ack))} ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done
    endscript
    postrotate
        rm -f {q(str(lock))}
    endscript
}}
""")
    path = str(log) if watch == "live_path" else str(logdir / "app.log*")
    d = weir.start(sources=[{"name": "app", "path": path}], rules=RULES)
    d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    pauses = []
    problems = []

    def caught_up():
        f = [f for f in d.sources()[0]["files"] if f["path"] == str(log)]
        return len(f) == 1 and f[0]["offset"] == f[0]["size"] == os.stat(log).st_size

    def gate():
        if not lock.exists():
            return
        if not poll(caught_up):
            problems.append("weir did not catch up before the truncate")
        ack.touch()
        poll(lambda: not lock.exists())
        ack.unlink()
        pauses.append(1)

    with Appender([log], seed=77, pause=(0.001, 0.006), gate=gate) as writer:
        for _ in range(ROTATIONS):
            time.sleep(0.6)
            run()
            assert not lock.exists()
        time.sleep(0.6)
        written = writer.stop()
    assert not problems, problems
    assert len(pauses) == ROTATIONS
    check_totals(d, written)
    src = d.poll_sources(lambda ss: ss[0]["truncations"] >= ROTATIONS)[0]
    assert src["truncations"] >= ROTATIONS
    assert src["rotations"] == 0, "copytruncate keeps the inode: not a rotation"
    assert src["errors"] == 0
    if watch == "glob_with_rotated":
        # app.log and the three copies logrotate keeps, each listed once
        src = d.poll_sources(lambda ss: ss[0]["files_open"] == 4)[0]
        assert sorted(f["path"] for f in src["files"]) == [
            str(logdir / n) for n in ("app.log", "app.log.1", "app.log.2", "app.log.3")]
        for f in src["files"]:
            assert f["offset"] == f["size"] == os.stat(f["path"]).st_size, f
    f = src["files"][0]
    assert f["path"] == str(log)
    assert f["inode"] == os.stat(log).st_ino
    assert f["offset"] == f["size"] == os.stat(log).st_size
    assert src["lines"] == len(records_of(written))
    # Every line written is in exactly one of the files logrotate left
    # (a check on the test's own handshake; app.log.4 and older are gone).
    kept = b"".join((logdir / n).read_bytes() for n in ("app.log.3", "app.log.2", "app.log.1",
                                                        "app.log"))
    assert written.endswith(kept)


def test_logrotate_is_available():
    """The tests above need the real logrotate; fail loudly if it is gone."""
    assert os.access(LOGROTATE, os.X_OK), f"{LOGROTATE} missing: apt-get install logrotate"
    out = subprocess.run([LOGROTATE, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "logrotate" in out.stdout + out.stderr

