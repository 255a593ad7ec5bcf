"""Sources by glob: several paths per source, `exclude:`, files that appear,
vanish or get renamed while weir runs, and a thousand files at once.

Every expected count is computed here from the bytes written, with Python
`re` (conftest.expected_counts); the per-file view comes from
GET /api/v1/sources."""

import functools
import os
import random
import time

from conftest import SANITIZER, expected_counts, file_paths, records_of, totals

# "Picked up within a second": the test allows 2 s (more under sanitizers).
PICKUP_S = 6.0 if SANITIZER else 2.0

RULES = [
    {"name": "any", "match": "^"},
    {"name": "seven", "match": "7$"},
    {"name": "errors", "match": "error", "caseless": True},
]


def numbered(tag, first, n):
    """n distinct lines (bytes, LF-terminated); every 13th one is an error."""
    return b"".join(
        (f"{tag} line {i:06d} " + ("ERROR disk" if i % 13 == 0 else "ok")
         + (" 7" if i % 5 == 0 else "")).encode() + b"\n"
        for i in range(first, first + n))


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


@functools.lru_cache(maxsize=16)
def _expected(datas):
    recs = [r for d in datas for r in records_of(d)]
    return len(recs), expected_counts(recs, RULES)


def exact(snap, datas):
    """True when the snapshot counts exactly the records of datas."""
    n, exp = _expected(tuple(datas))
    return snap["ingest"]["records"] == n and totals(snap) == exp


def assert_exact(snap, datas):
    recs = [r for d in datas for r in records_of(d)]
    assert snap["ingest"]["records"] == len(recs), snap["ingest"]
    assert totals(snap) == expected_counts(recs, RULES)


def assert_files_read_to_end(src):
    """Every file the source tails now was read to its current size."""
    for f in src["files"]:
        st = os.stat(f["path"])
        assert f["state"] == "open", f
        assert f["inode"] == st.st_ino, f
        assert f["offset"] == f["size"] == st.st_size, f
        assert f["lag"] == 0, f
        assert f["error"] is None, f


def test_glob_picks_up_a_new_file_with_lines_written_before_it_was_noticed(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = logs / "a.log"
    da = numbered("a", 0, 100)
    a.write_bytes(da)
    (logs / "notes.txt").write_bytes(b"ERROR not matched by the glob 7\n")
    pattern = str(logs / "*.log")
    d = weir.start(sources=[{"name": "logs", "path": pattern}], rules=RULES)
    srcs = d.poll_sources(lambda ss: ss[0]["lines"] == 100)
    src = srcs[0]
    assert src["name"] == "logs" and src["type"] == "file"
    assert src["paths"] == [pattern]
    assert src["files_open"] == 1
    assert file_paths(src) == [str(a)]

    # b.log appears with its lines already in it (written by the same call
    # that creates it); c.log is prepared under a name the glob does not
    # match and renamed into place, so it appears whole.
    b, c = logs / "b.log", logs / "c.log"
    db, dc = numbered("b", 0, 250), numbered("c", 0, 40)
    t0 = time.monotonic()
    b.write_bytes(db)
    (logs / "c.tmp").write_bytes(dc)
    os.rename(logs / "c.tmp", c)
    srcs = d.poll_sources(lambda ss: {str(b), str(c)} <= set(file_paths(ss[0])),
                          timeout=PICKUP_S + 5)
    took = time.monotonic() - t0
    assert {str(b), str(c)} <= set(file_paths(srcs[0])), srcs[0]
    assert took <= PICKUP_S, f"new files took {took:.2f}s to show up"

    # Both keep being followed, and the old file too.
    db2, da2 = numbered("b", 250, 60), numbered("a", 100, 30)
    append(b, db2)
    append(a, da2)
    datas = [da, da2, db, db2, dc]
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: ss[0]["lines"] == 100 + 30 + 250 + 60 + 40)[0]
    assert src["lines"] == 480
    assert src["bytes"] == sum(map(len, datas))
    assert src["files_open"] == 3
    assert file_paths(src) == sorted(map(str, (a, b, c)))
    assert_files_read_to_end(src)
    per_file = {f["path"]: f for f in src["files"]}
    assert per_file[str(b)]["lines"] == 310 and per_file[str(b)]["bytes"] == len(db) + len(db2)
    assert per_file[str(c)]["lines"] == 40
    assert src["errors"] == 0 and src["files_closed"] == 0
    d.hold_snapshot(lambda s: exact(s, datas), 1.0)


def test_files_appearing_later_are_read_from_the_start_even_with_start_end(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = logs / "a.log"
    old = numbered("old", 0, 500)
    a.write_bytes(old)
    d = weir.start(sources=[{"name": "logs", "path": logs / "*.log", "start": "end"}], rules=RULES)
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 1)[0]
    assert src["files"][0]["offset"] == len(old), "start: end skips what is there at start"

    b = logs / "b.log"
    db = numbered("b", 0, 120)
    b.write_bytes(db)            # appeared after start: read from 0
    da = numbered("a", 500, 70)
    append(a, da)
    snap = d.poll_snapshot(lambda s: exact(s, [db, da]))
    assert_exact(snap, [db, da])
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 2)[0]
    assert_files_read_to_end(src)
    d.hold_snapshot(lambda s: exact(s, [db, da]), 1.0)


def test_several_paths_per_source_and_exclude(weir, tmp_path):
    nginx, app = tmp_path / "nginx", tmp_path / "app"
    nginx.mkdir()
    app.mkdir()
    read = {  # files the source must read
        nginx / "access.log": numbered("access", 0, 200),
        nginx / "error.log": numbered("error", 0, 50),
        app / "app.log": numbered("app", 0, 80),
        tmp_path / "single.log": numbered("single", 0, 30),
    }
    never = {  # files it must never read
        nginx / "access.log.1": numbered("rotated", 0, 100),  # not matched by *.log
        nginx / "skip.log": numbered("skip", 0, 100),          # excluded by a path pattern
        nginx / "debug.log": numbered("ndebug", 0, 100),       # excluded by a base-name pattern
        app / "debug.log": numbered("adebug", 0, 100),         # idem, other directory
        tmp_path / "other.log": numbered("other", 0, 100),     # not in any path
    }
    for p, data in {**read, **never}.items():
        p.write_bytes(data)
    paths = [str(nginx / "*.log"), str(app / "*.log"), str(tmp_path / "single.log")]
    excludes = ["debug*", str(nginx / "skip.*")]
    d = weir.start(sources=[{"name": "multi", "path": paths, "exclude": excludes}], rules=RULES)
    datas = list(read.values())
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 4)[0]
    assert src["paths"] == paths
    assert file_paths(src) == sorted(map(str, read))
    assert src["files_open"] == 4

    # Appends go to every file, excluded ones too; new files appear, one
    # excluded by each pattern, one included.
    more = {}
    for i, p in enumerate(list(read) + list(never)):
        more[p] = numbered(f"more{i}", 0, 10 + i)
        append(p, more[p])
    created = {app / "new.log": numbered("new", 0, 25)}
    created_never = {app / "debug2.log": numbered("d2", 0, 25),
                     nginx / "skip.2.log": numbered("s2", 0, 25),
                     app / "new.txt": numbered("txt", 0, 25)}
    for p, data in {**created, **created_never}.items():
        p.write_bytes(data)
    datas = list(read.values()) + [more[p] for p in read] + list(created.values())
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 5)[0]
    assert file_paths(src) == sorted(map(str, list(read) + list(created)))
    assert_files_read_to_end(src)
    assert src["lines"] == sum(len(records_of(x)) for x in datas)
    # And nothing from the excluded files shows up later.
    d.hold_snapshot(lambda s: exact(s, datas), 1.0)
    assert file_paths(d.sources()[0]) == sorted(map(str, list(read) + list(created)))


def test_deleted_file_is_read_to_its_end_then_closed(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a, b = logs / "a.log", logs / "b.log"
    da, db = numbered("a", 0, 40), numbered("b", 0, 60)
    a.write_bytes(da)
    b.write_bytes(db)
    (logs / "old.gz").write_bytes(b"\x1f\x8b binary ERROR 7\n")
    # exclude as a single string (not a list)
    d = weir.start(sources=[{"name": "logs", "path": logs / "*", "exclude": "*.gz"}],
                   rules=RULES)
    snap = d.poll_snapshot(lambda s: exact(s, [da, db]))
    assert_exact(snap, [da, db])
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 2)[0]
    assert file_paths(src) == [str(a), str(b)]

    # Lines written just before the delete: weir still holds the file open
    # and must read them before closing it.
    db2 = numbered("b", 60, 300)
    with open(b, "ab") as f:
        f.write(db2)
    b.unlink()
    datas = [da, db, db2]
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: ss[0]["files_closed"] == 1 and len(ss[0]["files"]) == 1)[0]
    assert file_paths(src) == [str(a)]
    assert src["files_open"] == 1
    assert src["files_closed"] == 1
    assert src["lines"] == 400
    assert src["bytes"] == sum(map(len, datas))
    assert src["errors"] == 0

    # The source goes on with the remaining file.
    da2 = numbered("a", 40, 9)
    append(a, da2)
    datas.append(da2)
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    d.hold_snapshot(lambda s: exact(s, datas), 1.0)


def test_file_renamed_to_a_name_the_glob_still_matches_is_not_read_twice(weir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    a = logs / "a.log"
    d1 = numbered("one", 0, 100)
    a.write_bytes(d1)
    d = weir.start(sources=[{"name": "logs", "path": logs / "*.log"}], rules=RULES)
    d.poll_snapshot(lambda s: exact(s, [d1]))
    ino = os.stat(a).st_ino

    renamed = logs / "a-2026.log"
    d2, d3 = numbered("two", 0, 50), numbered("three", 0, 50)
    with open(a, "ab") as w:         # the writer keeps its handle across the rename
        a.rename(renamed)
        w.write(d2)
    append(renamed, d3)              # and a new handle by the new name
    datas = [d1, d2, d3]
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: file_paths(ss[0]) == [str(renamed)])[0]
    assert file_paths(src) == [str(renamed)], "listed once, under its new name"
    assert src["files"][0]["inode"] == ino
    assert src["files_open"] == 1
    assert src["lines"] == 200
    assert_files_read_to_end(src)
    # A re-read would show up late: the counts stay.
    d.hold_snapshot(lambda s: exact(s, datas), 1.5)

    # A new a.log (as after a rotation) is a new file, read from 0.
    d4 = numbered("four", 0, 30)
    a.write_bytes(d4)
    datas.append(d4)
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == 2)[0]
    assert file_paths(src) == sorted([str(a), str(renamed)])
    assert src["lines"] == 230
    d.hold_snapshot(lambda s: exact(s, datas), 1.0)


def test_a_thousand_files_tailed_at_once(weir, tmp_path):
    n = 1000
    many = tmp_path / "many"
    many.mkdir()
    paths = [many / f"f{i:04d}.log" for i in range(n)]
    before = [numbered(f"f{i}", 0, 1 + i % 4) for i in range(n)]   # 1..4 lines each
    for p, data in zip(paths, before):
        p.write_bytes(data)
    d = weir.start(sources=[{"name": "many", "path": many / "f*.log"}], rules=RULES)
    n_before = sum(len(records_of(x)) for x in before)
    src = d.poll_sources(lambda ss: ss[0]["files_open"] == n and ss[0]["lines"] == n_before)[0]
    assert src["files_open"] == n
    assert len(src["files"]) == n
    assert src["lines"] == n_before

    datas = list(before)
    for rnd in range(3):
        for i, p in enumerate(paths):
            data = numbered(f"f{i}r{rnd}", 0, 2 + (i + rnd) % 3)
            append(p, data)
            datas.append(data)
        time.sleep(0.05)
    n_all = sum(len(records_of(x)) for x in datas)
    snap = d.poll_snapshot(lambda s: exact(s, datas))
    assert_exact(snap, datas)
    assert snap["ingest"]["records"] == n_all
    src = d.poll_sources(lambda ss: ss[0]["lines"] == n_all)[0]
    assert src["files_open"] == n
    assert len(src["files"]) == n
    assert file_paths(src) == sorted(map(str, paths))
    assert src["bytes"] == sum(map(len, datas))
    assert src["errors"] == 0
    assert_files_read_to_end(src)
    d.hold_snapshot(lambda s: exact(s, datas), 1.0)


def test_more_files_than_batches_each_filling_a_batch(weir, tmp_path):
    """Regression: 60 files that each fill a whole batch in one read, more
    files than the pool has batches (workers x 8 + 24 = 40). Shipping a full
    batch used to need a second batch for its partial tail, so 40 files
    holding full batches waited for each other forever."""
    logdir = tmp_path / "many"
    logdir.mkdir()
    rng = random.Random(60)
    data = {}
    for i in range(60):
        lines = [b"file %d line %d %s\n" % (i, j, b"x" * rng.randrange(10, 200))
                 for j in range(2000)]
        data[i] = b"".join(lines)
        (logdir / f"m{i:02d}.log").write_bytes(data[i])
    total = sum(d.count(b"\n") for d in data.values())
    d = weir.start(sources=[{"name": "many", "path": str(logdir / "*.log")}],
                   rules=[{"name": "any", "match": "^"}], batch_size="64KiB", max_line="16KiB")
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == total)
    assert snap["ingest"]["records"] == total
    assert totals(snap) == {"any": total}
