"""The snapshot's bodies over HTTP: gzip for clients that take it, ETags
per tick with 304 Not Modified, and series requests answered by the
aggregator's thread (suspended meanwhile) that survive a shutdown."""

import gzip
import http.client
import json
import signal
import threading
import time

import pytest

from conftest import poll, strict_json

CACHED = ["/api/v1/snapshot", "/api/v1/sources", "/metrics", "/api/v1/stats"]
RULES = [{"name": f"r{i}", "match": f"word{i}"} for i in range(40)]


@pytest.fixture
def d(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"".join(b"word%d \xff\x01 line\n" % (i % 40) for i in range(2000)))
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES, tick_ms=300)
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 2000)
    return d


def tag_base(etag):
    """The tick an ETag names, less its representation."""
    assert etag.startswith('"') and etag.endswith('"'), etag
    return etag.removesuffix('-gz"').removesuffix('"')


def same_tick(d, path, ae_a, ae_b):
    """Two responses for path with the two Accept-Encodings, from one tick."""
    def both():
        a = d.request(path, headers={"Accept-Encoding": ae_a} if ae_a else None)
        b = d.request(path, headers={"Accept-Encoding": ae_b} if ae_b else None)
        if tag_base(a[1]["etag"]) == tag_base(b[1]["etag"]):
            return a, b
        return None
    return poll(both)


@pytest.mark.parametrize("path", CACHED)
def test_gzip_body_is_the_same_document(d, path):
    (st1, h1, plain), (st2, h2, packed) = same_tick(d, path, None, "gzip")
    assert st1 == st2 == 200
    assert "content-encoding" not in h1
    assert h1["vary"] == h2["vary"] == "Accept-Encoding"
    assert h1["cache-control"] == h2["cache-control"] == "no-cache"
    assert h1["content-type"] == h2["content-type"]
    if len(plain) < 1024:  # too small to be worth compressing
        assert "content-encoding" not in h2 and packed == plain and h1["etag"] == h2["etag"]
        return
    assert h2["content-encoding"] == "gzip"
    assert h2["etag"] != h1["etag"] and h2["etag"].endswith('-gz"')
    assert len(packed) < len(plain) / 3, (len(packed), len(plain))
    assert gzip.decompress(packed) == plain
    if path != "/metrics":
        strict_json(plain, path)


@pytest.mark.parametrize("ae,gz", [
    ("gzip", True), ("GZIP", True), ("x-gzip", True), ("deflate, gzip;q=0.5", True),
    ("*", True), ("gzip;q=0", False), ("gzip; q=0.000", False), ("identity", False),
    ("br, deflate", False), ("gzip;q=0, *", False), ("*;q=0", False), ("gzip;q=2", False),
    ("", False),
])
def test_accept_encoding_is_honoured(d, ae, gz):
    st, h, body = d.request("/api/v1/snapshot", headers={"Accept-Encoding": ae})
    assert st == 200
    assert (h.get("content-encoding") == "gzip") == gz, (ae, h)
    strict_json(gzip.decompress(body) if gz else body)


def test_if_none_match_answers_304_until_the_next_tick(d):
    for ae in (None, "gzip"):
        hdrs = {"Accept-Encoding": ae} if ae else {}

        def fresh():
            st, h, _ = d.request("/api/v1/snapshot", headers=hdrs)
            assert st == 200
            st, h2, body = d.request("/api/v1/snapshot",
                                     headers={**hdrs, "If-None-Match": h["etag"]})
            return (h, h2, st, body) if st == 304 else None  # else a tick passed between
        h, h2, st, body = poll(fresh)
        assert body == b"" and h2["etag"] == h["etag"] and h2["vary"] == "Accept-Encoding"
        # A list, a weak tag, or * also match; another tag does not.
        for inm in (f'"nope", {h["etag"]}', "W/" + h["etag"]):
            st, _, _ = d.request("/api/v1/snapshot", headers={**hdrs, "If-None-Match": inm})
            assert st in (200, 304)  # 200 only if a tick passed
        st, _, _ = d.request("/api/v1/snapshot", headers={**hdrs, "If-None-Match": "*"})
        assert st == 304
        st, _, body = d.request("/api/v1/snapshot", headers={**hdrs, "If-None-Match": '"x-1"'})
        assert st == 200 and body
        # The next tick has a new tag, and the old one no longer matches.
        old = h["etag"]
        poll(lambda: d.request("/api/v1/snapshot", headers=hdrs)[1]["etag"] != old)
        st, h3, body = d.request("/api/v1/snapshot", headers={**hdrs, "If-None-Match": old})
        assert st == 200 and h3["etag"] != old and body


def test_etags_do_not_repeat_across_restarts(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(b"word1\n")
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=RULES[:2], tick_ms=200)
    tags = []
    for _ in range(2):
        d = weir.start(cfg)
        tags.append(d.request("/api/v1/snapshot")[1]["etag"])
        err = d.stop()
        # a plain start and stop warns of nothing (libmicrohttpd once
        # complained of the order of its options here)
        assert " warn: " not in err and " error: " not in err, err
    # seq restarts at 1 with the process; the per-process nonce keeps the
    # tags apart so a client's cached copy is not taken for the new one
    assert tags[0].split("-")[0] != tags[1].split("-")[0], tags


def test_series_are_answered_while_ingesting_and_survive_shutdown(weir, tmp_path):
    """Series requests wait suspended for the aggregator's thread. Many at
    once, some with errors, while records flow and then while the daemon
    stops: every request gets an answer (200, 400, 404, or 503 when it came
    during shutdown) or a refused connection after the stop, and weir exits
    cleanly without waiting on a suspended request."""
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "app", "path": log}], rules=RULES[:4], tick_ms=100)
    stop = threading.Event()
    seen, bad = {}, []
    paths = ["/api/v1/series/r1?range=1m&step=1s", "/api/v1/series/r2?range=24h",
             "/api/v1/series/nope", "/api/v1/series/r3?range=60d"]

    def client(i):
        while not stop.is_set():
            path = paths[i % len(paths)]
            try:
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                c.close()
            except (ConnectionError, OSError):
                if d.proc.poll() is None and not stop.is_set():
                    time.sleep(0.01)
                continue
            seen[r.status] = seen.get(r.status, 0) + 1
            want = {0: 200, 1: 200, 2: 404, 3: 400}[i % len(paths)]
            if r.status not in (want, 503):
                bad.append((path, r.status, body[:200]))
            elif r.status == 200:
                j = json.loads(body)
                if j["rule"] != path.split("/")[4].split("?")[0]:
                    bad.append((path, j))
            i += len(paths)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    with open(log, "ab") as f:
        for n in range(20):
            f.write(b"word1 word2\n" * 200)
            f.flush()
            time.sleep(0.05)
    d.poll_snapshot(lambda s: s["ingest"]["records"] == 4000)
    assert seen.get(200, 0) > 20, seen
    err = d.stop(signal.SIGTERM)  # asserts exit 0 and "stopped cleanly"
    stop.set()
    for t in threads:
        t.join(30)
        assert not t.is_alive()
    assert not bad, bad[:5]
    assert "stopped cleanly" in err
