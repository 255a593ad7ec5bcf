"""Exactly once, whatever happens to the files and to weir.

Every line of a tailed file is counted once: through every rotation kind
with a crash (kill -9) before, during or after it; through a copytruncate
that happens while weir is behind (the lines it had not read are in the
copy, whether the glob names the copy or not); through a rotation just
after start; through a file or a directory that leaves the glob for a
while. Besides: what a glob names that is not a regular file is skipped
with one message, the refused-files counter counts files, not rescans,
a deleted state_dir comes back, and the restore log tells the truth.

Each line matches the one rule, so the expected total is the number of
lines written."""

import fcntl
import os
import re
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from conftest import SANITIZER, file_paths, poll, totals, yq

RULES = [{"name": "any", "match": "^"}]
SLOW = 3.0 if SANITIZER else 1.0


def lines(tag, n):
    """n distinct lines of about 40 bytes (bytes, LF-terminated)."""
    return b"".join(b"%s line %06d padding to forty bytes\n" % (tag.encode(), i)
                    for i in range(n))


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def one_log(tmp_path, name, data):
    """tmp_path/logs/name holding data: (the directory, the file)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / name).write_bytes(data)
    return logs, logs / name


def tail_glob(weir, tmp_path, name, data, **config):
    """data in tmp_path/logs/name, and weir tailing logs/*.log with it
    counted: (the directory, the file, the config, the daemon)."""
    logs, log = one_log(tmp_path, name, data)
    cfg = weir.config(sources=[{"name": "app", "path": logs / "*.log"}], rules=RULES, **config)
    d = weir.start(cfg)
    counted(d, count(data))
    return logs, log, cfg, d


def two_logs(top):
    """top/logs/a.log and b.log with lines, mode 0644: (dir, a, b, their data)."""
    logs = top / "logs"
    logs.mkdir()
    a, b = logs / "a.log", logs / "b.log"
    na, nb = lines("a", 700), lines("b", 300)
    for p, data in ((a, na), (b, nb)):
        p.write_bytes(data)
        os.chmod(p, 0o644)
    return logs, a, b, na + nb


def count(*datas):
    return sum(x.count(b"\n") for x in datas)


def exact(n):
    return lambda s: s["ingest"]["records"] == n and totals(s) == {"any": n}


def counted(d, n, hold=0.0):
    """Wait until weir has counted exactly n lines; with hold, check that
    nothing more arrives for that long (a line read twice shows up late)."""
    snap = d.poll_snapshot(exact(n))
    assert snap["ingest"]["records"] == n and totals(snap) == {"any": n}, snap["ingest"]
    if hold:
        d.hold_snapshot(exact(n), hold)
    return snap


def next_checkpoint(d, timeout=5.0 * SLOW):
    """Wait for a checkpoint written after this call (it holds every line
    counted so far, see the barrier protocol in docs/ARCHITECTURE.md)."""
    c0 = d.snapshot()["ingest"]["checkpoints"]
    snap = d.poll_snapshot(lambda s: s["ingest"]["checkpoints"] > c0, timeout)
    return snap["ingest"]["checkpoints"] > c0


# --- 1. every rotation kind x a crash before, during, after it ---


def test_copytruncate_then_a_checkpoint_then_a_crash_counts_once(weir, tmp_path):
    """The checkpoint after a truncation must carry the fingerprint of the
    file as it is now, not of what was there before the truncation, or the
    restart takes the file for another one and reads it again from 0."""
    n1, n2, n3, n4 = lines("one", 600), lines("two", 300), lines("three", 200), lines("four", 7)
    logs, log, cfg, d = tail_glob(weir, tmp_path, "a.log", n1, checkpoint_interval="1s")
    shutil.copyfile(log, logs / "a.log.2")
    with open(log, "r+b") as f:
        f.truncate(0)
    append(log, n2)
    counted(d, count(n1, n2))
    assert next_checkpoint(d)
    append(log, n3)
    counted(d, count(n1, n2, n3))
    d.kill9()
    d = weir.start(cfg)
    counted(d, count(n1, n2, n3), hold=0.8)
    append(log, n4)
    counted(d, count(n1, n2, n3, n4))


class Logs:
    """One live log under logs/, tailed as logs/*.log, rotated by `kind`:
    rename   a.log -> a.log.1 (outside the glob), a new a.log
    copy     a.log copied to a.log.2 (outside the glob), then truncated
    delete   a.log deleted, a new a.log
    symlink  logs/current.log points to data/genN.txt, re-pointed atomically
    """

    def __init__(self, tmp_path, kind):
        self.kind = kind
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.gen = 1
        if kind == "symlink":
            self.data = tmp_path / "data"
            self.data.mkdir()
            self.live = self.logs / "current.log"
            (self.data / "gen1.txt").write_bytes(b"")
            os.symlink(self.data / "gen1.txt", self.live)
        else:
            self.live = self.logs / "a.log"
            self.live.write_bytes(b"")

    def glob(self):
        return self.logs / "*.log"

    def write(self, data):
        append(self.live, data)

    def rotate(self, old_tail=b""):
        """Rotate; old_tail goes to the old file just before (copy) or just
        after (rename, symlink: a writer that has not reopened yet)."""
        if self.kind == "rename":
            with open(self.live, "ab") as old:
                self.live.rename(self.logs / "a.log.1")
                old.write(old_tail)
            self.live.write_bytes(b"")
        elif self.kind == "copy":
            append(self.live, old_tail)
            shutil.copyfile(self.live, self.logs / "a.log.2")
            with open(self.live, "r+b") as f:
                f.truncate(0)
        elif self.kind == "delete":
            assert not old_tail, "lines of a deleted file cannot be recovered"
            self.live.unlink()
            self.live.write_bytes(b"")
        else:
            with open(self.live, "ab") as old:
                self.gen += 1
                new = self.data / f"gen{self.gen}.txt"
                new.write_bytes(b"")
                tmp = self.logs / "current.tmp"
                os.symlink(new, tmp)
                os.replace(tmp, self.live)
                old.write(old_tail)


KINDS = ["rename", "copy", "delete", "symlink"]


@pytest.mark.parametrize("crash", ["before", "during", "after"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_rotation_kind_with_a_crash_counts_every_line_once(weir, tmp_path, kind, crash):
    """before: kill -9 after a checkpoint, rotate while weir is down.
    during: rotate right after a checkpoint and kill -9 once weir has read
    the rotation, before the next checkpoint. after: kill -9 once a
    checkpoint has been written after the rotation."""
    logs = Logs(tmp_path, kind)
    cfg = weir.config(sources=[{"name": "app", "path": logs.glob()}], rules=RULES,
                      checkpoint_interval="1s")
    n1 = lines("one", 400)                                  # 16 KB: the fingerprint is full
    tail = b"" if kind == "delete" else lines("tail", 30)   # the old file's last lines
    n2 = lines("two", 50)                                   # less than weir's offset
    n3 = lines("three", 20)
    logs.write(n1)
    d = weir.start(cfg)
    counted(d, count(n1))
    assert next_checkpoint(d)           # it holds n1; the next is about a second away
    if crash == "before":
        d.kill9()
        logs.write(tail)        # while weir is down
        logs.rotate()
        logs.write(n2)
        d = weir.start(cfg)
    else:
        logs.rotate(tail)
        logs.write(n2)
        counted(d, count(n1, tail, n2))
        if crash == "after":
            # the old file is closed a second after it went quiet
            d.poll_sources(lambda ss: ss[0]["files_closed"] >= 1, 3 * SLOW)
            assert next_checkpoint(d)
        d.kill9()
        d = weir.start(cfg)
    counted(d, count(n1, tail, n2))
    logs.write(n3)
    counted(d, count(n1, tail, n2, n3), hold=0.5)


# --- 2. copytruncate while weir is behind ---


@pytest.mark.parametrize("how", ["caught_up", "sigstop", "restart"])
@pytest.mark.parametrize("layout", ["copy_outside_glob", "copy_inside_glob"])
def test_copytruncate_while_behind_reads_the_missing_lines_from_the_copy(weir, tmp_path, layout,
                                                                         how):
    """app.log is copied and truncated while weir has not read its last
    lines (weir stopped with SIGSTOP, or not running at all). Those lines
    are only in the copy now: weir reads them from there, then the
    truncated file from 0. When the glob names the copy too, the copy is
    the same lines under a new inode: read from where weir was, not from
    0. caught_up: weir has read everything before the copy (the usual
    logrotate copytruncate)."""
    n1, n2, n3, n4 = lines("one", 300), lines("behind", 120), lines("after", 40), lines("more", 9)
    logs, log = one_log(tmp_path, "app.log", n1)
    if layout == "copy_outside_glob":
        pattern, copy = logs / "*.log", logs / "app.log-20261207"
    else:
        pattern, copy = logs / "app.log*", logs / "app.log.1"
    cfg = weir.config(sources=[{"name": "app", "path": pattern}], rules=RULES,
                      checkpoint_interval="1s")
    d = weir.start(cfg)
    counted(d, count(n1))
    if how == "sigstop":
        os.kill(d.proc.pid, signal.SIGSTOP)
    elif how == "restart":
        d.stop()
    if how != "caught_up":
        append(log, n2)                     # weir does not read these before the truncate
    else:
        n2 = b""
    shutil.copyfile(log, copy)
    with open(log, "r+b") as f:
        f.truncate(0)
    append(log, n3)                         # shorter than weir's offset: a visible truncation
    if how == "sigstop":
        os.kill(d.proc.pid, signal.SIGCONT)
    elif how == "restart":
        d = weir.start(cfg)
    counted(d, count(n1, n2, n3), hold=1.2)
    append(log, n4)
    counted(d, count(n1, n2, n3, n4), hold=0.3)
    src = d.source("app")
    assert src["truncations"] >= 1, src
    if layout == "copy_inside_glob":
        # the copy is tailed, from where weir was in the original
        d.stop()
        d = weir.start(cfg)
        counted(d, count(n1, n2, n3, n4), hold=0.5)
        append(copy, n4)
        counted(d, count(n1, n2, n3, n4, n4))


# --- 3. a rotation just after start ---


def test_a_file_rotated_before_the_first_checkpoint_survives_a_crash(weir, tmp_path):
    """checkpoint_interval is long; a.log is rotated out of the glob and
    its last lines drained; weir is killed right after it closed the file.
    A checkpoint taken soon after the file was retired holds its lines."""
    n1, n2 = lines("one", 200), lines("two", 30)
    logs, log, cfg, d = tail_glob(weir, tmp_path, "a.log", n1, checkpoint_interval="1m")
    log.rename(logs / "a.log.1")
    log.write_bytes(n2)
    counted(d, count(n1, n2))
    d.wait_log(r"a\.log was rotated .* closed")
    poll(lambda: d.snapshot()["ingest"]["checkpoints"] >= 1, 2.0 * SLOW)
    d.kill9()
    d = weir.start(cfg)
    counted(d, count(n1, n2), hold=0.8)


# --- 4. a file that leaves its glob for a while ---


@pytest.mark.parametrize("away", ["other_name", "other_dir"])
def test_a_file_that_leaves_its_glob_and_comes_back_is_not_read_again(weir, tmp_path, away):
    n1, n2 = lines("one", 1000), lines("two", 10)
    logs, log, _, d = tail_glob(weir, tmp_path, "app.log", n1)
    if away == "other_name":
        gone = logs / "app.log.away"
    else:
        (tmp_path / "elsewhere").mkdir()
        gone = tmp_path / "elsewhere" / "app.log"
    log.rename(gone)
    assert d.poll_sources(lambda ss: ss[0]["files_closed"] == 1 and not ss[0]["files"])
    gone.rename(log)
    assert d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    counted(d, count(n1), hold=1.2)
    append(log, n2)
    counted(d, count(n1, n2))
    if away == "other_name":
        # once more: the identity is remembered each time
        log.rename(gone)
        assert d.poll_sources(lambda ss: not ss[0]["files"])
        gone.rename(log)
        counted(d, count(n1, n2), hold=1.2)
    f = d.poll_sources(lambda ss: ss[0]["files"] and ss[0]["files"][0]["offset"] == len(n1 + n2))
    assert f[0]["files"][0]["offset"] == len(n1 + n2)


def test_retired_identities_are_kept_in_the_checkpoint(weir, tmp_path):
    """The file leaves the glob, weir restarts (kill -9), the file comes
    back: it is read on from where it was."""
    n1, n2 = lines("one", 500), lines("two", 10)
    logs, log, cfg, d = tail_glob(weir, tmp_path, "app.log", n1, checkpoint_interval="1s")
    log.rename(logs / "app.log.away")
    assert d.poll_sources(lambda ss: ss[0]["files_closed"] == 1 and not ss[0]["files"])
    assert next_checkpoint(d)
    d.kill9()
    d = weir.start(cfg)
    counted(d, count(n1))
    (logs / "app.log.away").rename(log)
    assert d.poll_sources(lambda ss: ss[0]["files_open"] == 1)
    counted(d, count(n1), hold=1.2)
    append(log, n2)
    counted(d, count(n1, n2))


def test_a_directory_renamed_away_for_a_while_is_not_read_again(weir, tmp_path):
    logs, a, b, n1 = two_logs(tmp_path)
    n2 = lines("two", 10)
    d = weir.start(sources=[{"name": "app", "path": logs / "*.log"}], rules=RULES)
    counted(d, count(n1))
    logs.rename(tmp_path / "logs.away")
    # gone from the glob: read to their end and closed
    assert d.poll_sources(lambda ss: ss[0]["files_closed"] == 2 and not ss[0]["files"])
    (tmp_path / "logs.away").rename(logs)
    assert d.poll_sources(lambda ss: ss[0]["files_open"] == 2)
    counted(d, count(n1), hold=1.2)
    append(a, n2)
    counted(d, count(n1, n2))


NOBODY = 65534


@pytest.fixture
def public_dir():
    """A directory under /tmp that user nobody can reach (tmp_path's
    parents are root's, mode 0700)."""
    top = Path(tempfile.mkdtemp(prefix="weir-once-", dir="/tmp"))
    os.chmod(top, 0o755)
    try:
        yield top
    finally:
        for p in top.rglob("*"):
            if p.is_dir():
                os.chmod(p, 0o755)
        shutil.rmtree(top, ignore_errors=True)


def as_nobody(weir, tmp_path, top, sources, **kw):
    """Start weir as user nobody with its state and config under top."""
    if os.geteuid() != 0:
        pytest.fail("this test drops privileges with setpriv and needs to start as root")
    state = top / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)
    cfg = weir.config(sources=sources, rules=RULES, **kw)
    text = cfg.read_text().replace(yq(tmp_path / "state"), yq(state))
    cfg = top / "weir.yaml"
    cfg.write_text(text)
    os.chmod(cfg, 0o644)
    return weir.start(cfg, prefix=("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                   "--clear-groups"))


def test_a_glob_that_fails_for_three_seconds_changes_nothing(weir, tmp_path, public_dir):
    """The directory is unreadable for 3 s (weir runs as nobody): the glob
    fails, which says nothing about the files. They are kept and not read
    again; the failure is logged once."""
    logs, a, b, n1 = two_logs(public_dir)
    n2 = lines("two", 10)
    d = as_nobody(weir, tmp_path, public_dir, [{"name": "app", "path": str(logs / "*.log")}])
    counted(d, count(n1))
    os.chmod(logs, 0)
    time.sleep(3)
    os.chmod(logs, 0o755)
    counted(d, count(n1), hold=1.2)
    append(a, n2)
    counted(d, count(n1, n2))
    src = d.source("app")
    assert src["files_open"] == 2 and src["files_closed"] == 0, src
    found = re.findall(r"cannot read .*logs.*Permission denied", d.stderr())
    assert len(found) == 1, d.stderr()


# --- 5. what a glob names that is not a regular file ---


def test_fifos_sockets_and_directories_in_a_glob_are_skipped_with_one_message(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = logs / "a.log"
    n1, n2 = lines("one", 50), lines("two", 5)
    a.write_bytes(n1)
    os.mkfifo(logs / "pipe.log")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(logs / "sock.log"))
    (logs / "dir.log").mkdir()
    try:
        d = weir.start(sources=[{"name": "app", "path": logs / "*.log"}], rules=RULES)
        counted(d, count(n1))
        time.sleep(2.5)                     # a few rescans
        append(a, n2)
        counted(d, count(n1, n2))
        err = d.stderr()
        for name, what in (("pipe.log", "a FIFO"), ("sock.log", "a socket"),
                           ("dir.log", "a directory")):
            found = re.findall(rf"skipping \S*{name}: {what}", err)
            assert len(found) == 1, (name, err)
        assert file_paths(d.source("app")) == [str(a)]
    finally:
        sock.close()


# --- 6. counters that lie ---


def test_files_refused_counts_each_refused_file_once(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(8):
        (logs / f"f{i}.log").write_bytes(lines(f"f{i}", 3))
    d = weir.start(sources=[{"name": "app", "path": logs / "*.log"}], rules=RULES, max_files=3)

    def refused(s):
        return s["ingest"]["files_refused"]

    d.poll_snapshot(lambda s: refused(s) >= 5)
    d.hold_snapshot(lambda s: refused(s) == 5, 2.2)    # rescans every second
    for i in range(8, 10):
        (logs / f"f{i}.log").write_bytes(lines(f"f{i}", 3))
    d.poll_snapshot(lambda s: refused(s) >= 7)
    d.hold_snapshot(lambda s: refused(s) == 7, 1.2)
    assert d.stderr().count("tuning.max_files") == 1


# --- 7. state_dir deleted while running ---


def test_a_deleted_state_dir_is_created_again_at_the_next_checkpoint(weir, tmp_path):
    log = tmp_path / "app.log"
    n1, n2, n3 = lines("one", 100), lines("two", 10), lines("three", 7)
    log.write_bytes(n1)
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=RULES,
                      checkpoint_interval="1s")
    d = weir.start(cfg)
    counted(d, count(n1))
    state = tmp_path / "state"
    shutil.rmtree(state)
    assert poll(lambda: (state / "weir.state").is_file(), 5 * SLOW), "state_dir not re-created"
    assert len(re.findall(r"state_dir .* was missing; created it again", d.stderr())) == 1
    # the lock is taken again: a second weir could not share the directory
    with open(state / "lock", "rb") as lk:
        with pytest.raises(BlockingIOError):
            fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
    ing = d.poll_snapshot(lambda s: s["ingest"]["last_checkpoint_ok"] is True)["ingest"]
    assert ing["checkpoint_errors"] == 0 and ing["last_checkpoint_ms"] > 0, ing

    # A checkpoint that cannot be written is counted and shown; a later
    # good one is shown too.
    shutil.rmtree(state)
    state.write_bytes(b"not a directory")
    ing = d.poll_snapshot(lambda s: s["ingest"]["last_checkpoint_ok"] is False, 5 * SLOW)["ingest"]
    assert ing["last_checkpoint_ok"] is False and ing["checkpoint_errors"] >= 1, ing
    good_ms = ing["last_checkpoint_ms"]
    time.sleep(1.2)                         # another checkpoint fails, not logged
    errors = d.snapshot()["ingest"]["checkpoint_errors"]
    assert d.stderr().count("checkpoint failed") == 1, d.stderr()
    state.unlink()
    ing = d.poll_snapshot(lambda s: s["ingest"]["last_checkpoint_ok"] is True, 5 * SLOW)["ingest"]
    assert ing["last_checkpoint_ms"] > good_ms and ing["checkpoint_errors"] >= errors, ing
    append(log, n2)
    counted(d, count(n1, n2))
    assert next_checkpoint(d)
    d.kill9()
    d = weir.start(cfg)
    append(log, n3)
    counted(d, count(n1, n2, n3), hold=0.5)
