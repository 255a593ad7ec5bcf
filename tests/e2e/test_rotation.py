"""Rotation while tailing: the path moving on to another file.

Each test writes known lines before and after the rotation and waits for
the exact record count; nothing may be lost or counted twice.
"""
import os
import time


def _source(snap):
    """The source's counters (rotations, truncations...) in the snapshot."""
    return snap["ingest"]["sources"][0]


def _file_offset(d, want):
    """The offset of the one file the source tails now (GET /api/v1/sources),
    polled until it is `want`."""
    ss = d.poll_sources(lambda ss: len(ss[0]["files"]) == 1 and ss[0]["files"][0]["offset"] == want)
    assert len(ss[0]["files"]) == 1, ss[0]
    return ss[0]["files"][0]["offset"]


def test_rename_and_create_reads_old_tail_then_new_file(weir, tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"a1\na2\n")
    d = weir.start(sources=[{"name": "app", "path": log}], rules=[{"name": "any", "match": "^"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    # The writer still holds the old file: lines appended after the rename
    # belong to the old file and must be read before switching.
    with open(log, "ab") as old:
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"b1\nb2\nb3\n")
        old.write(b"a3\na4-no-newline")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 7)
    assert snap["rules"][0]["total"] == 7  # a1..a4 (last line flushed at rotation) + b1..b3
    assert _source(snap)["rotations"] == 1
    # The new file keeps being followed from where it was read.
    with open(log, "ab") as f:
        f.write(b"b4\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 8)
    assert _file_offset(d, len(b"b1\nb2\nb3\nb4\n")) == len(b"b1\nb2\nb3\nb4\n")


def test_delete_and_recreate(weir, tmp_path):
    log = tmp_path / "svc.log"
    log.write_bytes(b"one\ntwo\n")
    d = weir.start(sources=[{"name": "svc", "path": log}], rules=[{"name": "any", "match": "^"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    log.unlink()
    d.wait_log(r"svc.log was deleted")
    log.write_bytes(b"three\nfour\nfive\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 5)
    assert snap["rules"][0]["total"] == 5
    assert _file_offset(d, len(b"three\nfour\nfive\n")) == len(b"three\nfour\nfive\n")


def test_symlink_repointed(weir, tmp_path):
    a = tmp_path / "a.log"
    b = tmp_path / "b.log"
    link = tmp_path / "current.log"
    a.write_bytes(b"x\ny\n")
    b.write_bytes(b"p\nq\nr\n")
    os.symlink(a, link)
    d = weir.start(sources=[{"name": "cur", "path": link}], rules=[{"name": "any", "match": "^"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    tmp = tmp_path / "current.tmp"
    os.symlink(b, tmp)
    os.replace(tmp, link)  # atomic re-point, as deploy tools do
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 5)
    assert _source(snap)["rotations"] == 1


def test_copytruncate_rereads_from_start(weir, tmp_path):
    log = tmp_path / "ct.log"
    log.write_bytes(b"l1\nl2\nl3\n")
    d = weir.start(sources=[{"name": "ct", "path": log}], rules=[{"name": "any", "match": "^"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 3)
    with open(log, "r+b") as f:
        f.truncate(0)
    with open(log, "ab") as f:
        f.write(b"n1\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 4)
    assert _source(snap)["truncations"] == 1
    assert _source(snap)["rotations"] == 0


def test_sources_endpoint_reports_file_state(weir, tmp_path):
    log = tmp_path / "s.log"
    log.write_bytes(b"a\nb\nc\npartial")
    d = weir.start(sources=[{"name": "s", "path": log}], rules=[{"name": "any", "match": "^"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 3)

    def ready():
        status, headers, body = d.get("/api/v1/sources")
        assert status == 200
        assert headers["content-type"] == "application/json"
        return body if body["sources"][0]["lines"] == 3 else None

    body = None
    for _ in range(200):
        body = ready()
        if body:
            break
        time.sleep(0.05)
    assert body, "sources never showed 3 lines"
    src = body["sources"][0]
    st = os.stat(log)
    assert src["name"] == "s"
    assert src["type"] == "file"
    assert src["paths"] == [str(log)]
    assert src["files_open"] == 1
    assert src["lines"] == 3
    assert src["bytes"] == st.st_size
    for k in ("lines_truncated", "bytes_discarded", "partial_flushes", "rotations",
              "truncations", "files_closed", "errors"):
        assert src[k] == 0, (k, src)
    assert src["last_read"].endswith("Z")
    assert len(src["files"]) == 1
    f = src["files"][0]
    assert f["path"] == str(log)
    assert f["inode"] == st.st_ino
    assert f["state"] == "open"
    assert f["size"] == st.st_size
    assert f["offset"] == st.st_size   # read to the end; the partial line waits
    assert f["lag"] == 0
    assert f["lines"] == 3
    assert f["bytes"] == st.st_size
    assert f["truncations"] == 0 and f["errors"] == 0
    assert f["error"] is None
    assert f["last_read"].endswith("Z")
    # The snapshot carries the same source counters, without the files.
    snap = d.snapshot()
    s = snap["ingest"]["sources"][0]
    assert "files" not in s
    assert s["name"] == "s" and s["paths"] == [str(log)] and s["files_open"] == 1


def test_partial_last_line_is_flushed_after_idle_timeout(weir, tmp_path):
    log = tmp_path / "p.log"
    log.write_bytes(b"whole\n")
    d = weir.start(sources=[{"name": "p", "path": log, "flush_after": "1s"}],
                   rules=[{"name": "any", "match": "^"}, {"name": "tail", "match": "^tail$"}])
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 1)
    with open(log, "ab") as f:
        f.write(b"tail")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 2)
    assert snap["rules"][1]["total"] == 1, "the flushed partial line is a record of its own"
    assert _source(snap)["partial_flushes"] == 1
    # The writer finishing its line later gives a new record, not a lost one.
    with open(log, "ab") as f:
        f.write(b" end\nnext\n")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 4)
    assert snap["rules"][0]["total"] == 4
