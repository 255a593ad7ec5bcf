"""The rule language beyond regexes, end to end: fields from a source's
format, named captures, where: on them, value/top/distinct, include:,
unmatched records, and hot reload (SIGHUP and POST /api/v1/reload) under
load. Expected numbers are computed here, independently of weir."""
import json
import random
import re
import signal
import time

from conftest import Appender, poll, run_weir, totals, yq

METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
PATHS = ["/", "/index.html", "/api/v1/items", "/login", "/wp-login.php", "/static/app.js"]
STATUSES = [200, 200, 200, 301, 404, 500, 502, 503]


def access_lines(n, seed):
    """Combined-format lines with nginx's request time appended, and what
    each holds."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ip = f"10.0.{rng.randrange(4)}.{rng.randrange(256)}"
        m, p, s = rng.choice(METHODS), rng.choice(PATHS), rng.choice(STATUSES)
        b = rng.randrange(0, 50000)
        rt = rng.randrange(1, 3000) / 1000
        line = (f'{ip} - - [21/Nov/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] '
                f'"{m} {p} HTTP/1.1" {s} {b} "-" "curl/8.0" {rt:.3f}')
        out.append(dict(line=line, ip=ip, method=m, path=p, status=s, bytes=b, rt=rt))
    return out


def write_cfg(path, body):
    path.write_text(body)
    return path


def test_access_fields_captures_values_top_distinct(tmp_path):
    recs = access_lines(5000, 1)
    log = tmp_path / "access.log"
    # two lines that are not access-log lines: kept, matched as text, counted
    log.write_text("\n".join(r["line"] for r in recs) + "\nnot an access line\n\n")
    cfg = write_cfg(tmp_path / "c.yaml", """
sources:
  - {name: web, type: file, path: /x.log, format: combined}
rules:
  - {name: server_errors, where: {status: ">=500"}}
  - {name: not_found, where: {status: 404, method: [GET, POST]}}
  - {name: not_get, where: {method: "!=GET"}}
  - name: slow
    where: {request_time: ">1.5"}
    value: request_time
    unit: s
  - name: bytes_by_path
    match: '" [23][0-9][0-9] '
    value: bytes
    unit: b
    top: path
    top_k: 3
    distinct: ip
  - name: by_octet
    match: '^10\\.0\\.(?<net>[0-9]+)\\.'
    top: net
    where: {net: "<2"}
  - {name: text, match: 'not an access'}
""")
    r = run_weir("scan", "-c", cfg, log)
    assert r.returncode == 0, r.stderr
    out = r.json()
    by = {x["name"]: x for x in out["rules"]}
    assert out["records"] == 5002
    assert out["parse_errors"] == 2  # the two non-access lines
    assert by["server_errors"]["total"] == sum(x["status"] >= 500 for x in recs)
    assert by["not_found"]["total"] == sum(x["status"] == 404 and x["method"] in ("GET", "POST")
                                           for x in recs)
    assert by["not_get"]["total"] == sum(x["method"] != "GET" for x in recs)
    slow = [x["rt"] for x in recs if x["rt"] > 1.5]
    v = by["slow"]["value"]
    assert by["slow"]["total"] == len(slow) == v["count"]
    assert abs(v["sum"] - sum(slow)) < 1e-6 * max(1, sum(slow))
    assert v["min"] == min(slow) and v["max"] == max(slow) and v["unit"] == "s"
    ok = [x for x in recs if 200 <= x["status"] < 400]
    b = by["bytes_by_path"]
    assert b["total"] == len(ok)
    assert b["value"]["sum"] == sum(x["bytes"] for x in ok)
    counts = {}
    for x in ok:
        counts[x["path"]] = counts.get(x["path"], 0) + 1
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert [(i["value"], i["count"]) for i in b["top"]["items"]] == want
    assert all(i["error"] == 0 for i in b["top"]["items"])  # 6 paths < its counters
    nip = len({x["ip"] for x in ok})
    assert abs(b["distinct"]["estimate"] - nip) <= 0.02 * nip
    nets = [x["ip"].split(".")[2] for x in recs if int(x["ip"].split(".")[2]) < 2]
    assert by["by_octet"]["total"] == len(nets)
    assert {i["value"]: i["count"] for i in by["by_octet"]["top"]["items"]} == \
        {n: nets.count(n) for n in set(nets)}
    assert by["text"]["total"] == 1
    # the unmatched: records no rule counted
    matched = sum(1 for x in recs if x["status"] >= 500 or x["status"] == 404
                  or x["method"] != "GET" or x["rt"] > 1.5 or 200 <= x["status"] < 400
                  or int(x["ip"].split(".")[2]) < 2)
    assert out["unmatched"] == 5000 - matched + 1  # + the empty line


def test_json_and_logfmt_fields(tmp_path):
    rng = random.Random(2)
    jl, ll, want_err, want_user = [], [], 0, {}
    for i in range(2000):
        lvl = rng.choice(["info", "warn", "error"])
        user = f"u{rng.randrange(50)}"
        ms = rng.randrange(1, 900)
        jl.append(json.dumps({"time": "2026-11-21T10:00:00Z", "level": lvl,
                              "req": {"user": user, "ms": ms}, "msg": "a \"quoted\" é"}))
        ll.append(f'time=2026-11-21T10:00:00Z level={lvl} user={user} took={ms}ms '
                  f'msg="a \\"quoted\\" thing"')
        if lvl == "error":
            want_err += 1
            want_user[user] = want_user.get(user, 0) + 1
    jl.append('{"level": "error", broken')  # invalid JSON: counted, kept as raw
    rules = """
rules:
  - {name: errors, where: {level: error}}
  - name: err_ms
    where: {level: error}
    value: %s
    top: %s
    top_k: 100
  - {name: raw_text, match: 'broken'}
"""
    (tmp_path / "j.log").write_text("\n".join(jl) + "\n")
    (tmp_path / "l.log").write_text("\n".join(ll) + "\n")
    jc = write_cfg(tmp_path / "j.yaml", rules % ("req.ms", "req.user"))
    lc = write_cfg(tmp_path / "l.yaml", rules % ("took", "user"))
    for cfg, log, fmt, unit_scale in ((jc, "j.log", "json", 1), (lc, "l.log", "logfmt", 1e-3)):
        r = run_weir("scan", "--format", fmt, "-c", cfg, tmp_path / log)
        assert r.returncode == 0, r.stderr
        out = r.json()
        by = {x["name"]: x for x in out["rules"]}
        assert by["errors"]["total"] == want_err, fmt
        assert by["err_ms"]["value"]["count"] == want_err, fmt
        assert {i["value"]: i["count"] for i in by["err_ms"]["top"]["items"]} == want_user, fmt
        if fmt == "json":
            assert out["parse_errors"] == 1 and by["raw_text"]["total"] == 1
        else:
            # took=123ms carries its unit: read in seconds
            assert by["err_ms"]["value"]["max"] <= 0.9 + 1e-9
            assert out["parse_errors"] == 0


def test_include_nested_glob_and_errors_in_included_files(tmp_path):
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "a.yaml").write_text("rules:\n  - {name: a, match: aaa}\n")
    (tmp_path / "packs" / "b.yaml").write_text(
        "include: ../more/c.yaml\nrules:\n  - {name: b, match: bbb}\n")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "c.yaml").write_text("rules:\n  - {name: c, match: ccc}\n")
    cfg = write_cfg(tmp_path / "main.yaml",
                    "include: [packs/*.yaml]\nrules:\n  - {name: own, match: own}\n")
    log = tmp_path / "x.log"
    log.write_text("aaa\nbbb ccc\nown\nnone\n")
    r = run_weir("scan", "-c", cfg, log)
    assert r.returncode == 0, r.stderr
    assert {x["name"]: x["total"] for x in r.json()["rules"]} == \
        {"own": 1, "a": 1, "c": 1, "b": 1}
    # an error inside an included file names that file, line and column
    (tmp_path / "more" / "c.yaml").write_text("rules:\n  - {name: c, match: ccc, colour: 1}\n")
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 2
    assert f"{tmp_path}/packs/../more/c.yaml:2:27: unknown key 'colour' in rule" in r.stderr
    # a loop, and a glob that matches nothing
    (tmp_path / "more" / "c.yaml").write_text("include: ../packs/b.yaml\n")
    write_cfg(tmp_path / "bad.yaml", "include: [packs/*.yaml, nothing/*.yaml]\n")
    r = run_weir("check", "-c", tmp_path / "bad.yaml")
    assert r.returncode == 2
    assert "includes itself (an include loop)" in r.stderr
    assert "bad.yaml:1:25: include '" in r.stderr and "matches no file" in r.stderr


def test_fields_a_rule_cannot_have_are_errors_with_positions(tmp_path):
    cfg = write_cfg(tmp_path / "c.yaml", """sources:
  - {name: s, type: file, path: /x, format: combined}
rules:
  - {name: a, match: 'x(?<who>[a-z]+)', top: whom}
  - {name: b, where: {status: ">=x"}}
  - {name: c, match: 'y', value: level}
""")
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 2
    assert "c.yaml:5:31: 'where: status' compares numbers: 'x' is not a number" in r.stderr
    r = run_weir("check", "-c", write_cfg(tmp_path / "d.yaml", cfg.read_text().replace(
        "  - {name: b, where: {status: \">=x\"}}\n", "")))
    assert r.returncode == 2
    assert ("d.yaml:4:46: rule 'a': top field 'whom' is neither a named capture of its "
            "match nor a field of the sources' format (combined)") in r.stderr
    assert "rule 'c': value field 'level' is neither" in r.stderr


def test_unmatched_records_are_counted_and_the_last_ones_kept(weir, tmp_path):
    log = tmp_path / "u.log"
    log.write_text("".join(f"hit {i}\n" if i % 3 else f"nobody wants {i}\n" for i in range(300)))
    d = weir.start(sources=[dict(name="s", path=log)], rules=[dict(name="hit", match="^hit")])
    src = d.poll_sources(lambda s: s[0]["lines"] == 300 and s[0]["unmatched"] == 100)[0]
    assert src["unmatched"] == 100
    recent = src["unmatched_recent"]
    assert 1 <= len(recent) <= 10
    assert recent[-1]["text"] == "nobody wants 297"
    assert all(re.fullmatch(r"nobody wants \d+", x["text"]) for x in recent)


def test_reload_keeps_counts_exact_under_load(weir, tmp_path):
    """20 reloads (POST and SIGHUP, alternating rule sets) while a writer
    appends: the unchanged rule counts every line exactly once, the record
    total is exact, and a broken config is refused with its position."""
    log = tmp_path / "in.log"
    log.write_text("")
    state = tmp_path / "state"
    base = (f"listen: 127.0.0.1:0\nstate_dir: {yq(state)}\n"
            "http: {unauthenticated_writes: true}\n"
            f"sources:\n  - {{name: s, type: file, path: {yq(log)}}}\n"
            "tuning: {workers: 2, tick_ms: 100}\nrules:\n"
            "  - {name: all, match: '^'}\n  - {name: err, match: 'error', caseless: true}\n")
    cfg = tmp_path / "weir.yaml"
    cfg.write_text(base)
    d = weir.start(cfg)
    w = Appender([log], seed=5, pause=(0.0005, 0.003))
    w.start()
    try:
        for i in range(20):
            extra = f"  - {{name: extra{i % 3}, match: 'ok|done'}}\n" if i % 2 else ""
            cfg.write_text(base + extra)
            if i % 4 == 3:
                done = len(re.findall(r"reload: \d+ rules from", d.stderr()))
                d.proc.send_signal(signal.SIGHUP)
                assert poll(lambda: len(re.findall(r"reload: \d+ rules from", d.stderr()))
                            > done, timeout=10), d.stderr()
            else:
                status, _, raw = d.request("/api/v1/reload", method="POST")
                assert status == 200, raw
                assert json.loads(raw)["status"] == "ok"
            time.sleep(0.05)
        cfg.write_text(base + "  - {name: broken, match: '(unclosed'}\n")
        status, _, raw = d.request("/api/v1/reload", method="POST")
        assert status == 422
        msg = json.loads(raw)["error"]["message"]
        assert "weir.yaml:10:" in msg and "rule 'broken'" in msg
    finally:
        w.stop()
        w.join()
    data = b"".join(w.chunks)
    n = data.count(b"\n")
    want_err = sum(1 for line in data.split(b"\n")[:-1] if b"error" in line.lower())
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == n, timeout=20)
    t = totals(snap)
    assert t["all"] == n
    assert t["err"] == want_err
    assert "broken" not in t
