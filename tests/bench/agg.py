#!/usr/bin/python3
"""agg.py - the aggregator's memory and cost (issue 6), beside baselines.

  tests/bench/agg.py [all|rss|topk|cost]      (default: all; run.sh runs it)

rss    Peak RSS of `weir scan` over a corpus from gen (BENCH_AGG_BYTES, 200 MiB,
       in BENCH_DIR) with 1 rule, rules50.yaml and rules1000.yaml, default
       windows; beside it `weir check` of the same rules (config + Hyperscan
       compile: what any weir with these rules holds); the same scan, at
       event time, after lines stamped in every pane the tiers hold (the
       whole history resident: a weir that has run 30 days); and `weir
       serve` with the same rules and a demo source (BENCH_AGG_DEMO_RATE
       lines/s) for BENCH_AGG_SERVE_SECONDS: its peak RSS (VmHWM) and the
       snapshot's ingest.aggregate_bytes (the history: fixed per rule, all
       tiers allocated at start, in scan as in serve). weir runs with
       BENCH_AGG_WORKERS (2) workers. Bar: with 1,000 rules every one of
       these peaks <= BENCH_AGG_RSS_BAR MiB.
topk   A top: rule (top_k 10) over BENCH_AGG_KEYS (10,000,000) logfmt lines
       `session=<16 hex digits>`, every key distinct: `weir scan` (peak RSS,
       time, the top list) and `weir serve` reading the same file (VmHWM,
       aggregate_bytes, the top list), beside what a user would run instead,
       `LC_ALL=C sort FILE | uniq -c | sort -rn | head` (each process's peak
       RSS, wall time), in the same run. Checks: the rule's total and the top
       list's total = the keys; 10 items, none claiming more than 1 for sure
       (count - error <= 1), bound <= total / 80. Bar: weir's peak RSS <=
       BENCH_AGG_TOPK_RSS_BAR MiB (scan and serve).
cost   agg_bench (agg_bench.c): ns per matched record of the aggregator's
       work with and without value:/top:/distinct: fields, the history's
       bytes, and one snapshot's window merge per rule (ms); its table.

Peak RSS of a process that ran to its end is wait4(2)'s ru_maxrss, taken by
`agg_bench -x` (a Python child would count Python's pages too). Standard
library only; see tests/bench/README.md for how to read the figures and the
knobs. Exit status: 0 every check and bar passed; 1 a check or bar failed or
weir failed; 2 a setup problem (a missing binary, no space, a baseline that
does not work).
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (BENCH_BIN, BENCH_DIR, BENCH_SEED, DEFAULT_PACK, HERE,  # noqa: E402
                      POLL_S, START_S, WEIR_BIN, Fail, Setup, WeirServe, check_bench_dir,
                      count, count_lines, env, kill_all, load_pack, machine, pick_rules,
                      rules_yaml, run_main, say, spawn, stop, workdir, yq)


def size(v):
    """200M, 1G, 1048576: bytes (K/M/G are powers of 1024)."""
    s = v.strip().upper().removesuffix("IB").removesuffix("B")
    m = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    n = int(s[:-1]) * m[s[-1]] if s and s[-1] in m else int(s)
    if n <= 0:
        raise ValueError(v)
    return n


BYTES = env("BENCH_AGG_BYTES", "200M", size)
PACKS = env("BENCH_AGG_RULES", "rules50.yaml,rules1000.yaml")
ONE_RULE = env("BENCH_AGG_ONE_RULE", "http_5xx")
SERVE_S = env("BENCH_AGG_SERVE_SECONDS", "10", float)
DEMO_RATE = env("BENCH_AGG_DEMO_RATE", "20000", count)
RSS_BAR = env("BENCH_AGG_RSS_BAR", "128", float)  # MiB, 1,000 rules: 54 measured
KEYS = env("BENCH_AGG_KEYS", "10M", count)
TOPK_RSS_BAR = env("BENCH_AGG_TOPK_RSS_BAR", "64", float)  # MiB: 28 measured
COST_ARGS = env("BENCH_AGG_COST_ARGS", "").split()
TIMEOUT = env("BENCH_AGG_TIMEOUT", "600", float)
RESULTS = env("BENCH_AGG_RESULTS", "")
WORKERS = env("BENCH_AGG_WORKERS", "2", int)
TICK_MS = 100  # serve: snapshots (and aggregate_bytes) refresh quickly
# weir's workers: fixed (2) so that RSS compares across machines (0: one per core)
W_ARGS = ["-w", str(WORKERS)] if WORKERS else []
TUNING = f"tuning: {{tick_ms: {TICK_MS}" + (f", workers: {WORKERS}}}" if WORKERS else "}")

C_ENV = dict(os.environ, LC_ALL="C")
MiB = 1 << 20


def mib(b):
    return f"{b / MiB:.1f} MiB" if b is not None else "-"


# --- measuring ---------------------------------------------------------------


LAUNCHER = os.path.join(BENCH_BIN, "agg_bench")


def launch(argv, result, **kw):
    """Start argv under `agg_bench -x result` (agg_bench.c): its peak RSS is
    wait4's ru_maxrss without the Python process's pages (a child forked by
    Python would count them). kw as for subprocess.Popen."""
    return spawn([LAUNCHER, "-x", result, "--"] + argv, **kw)


def measured(p, result, what):
    """Wait for a launch()ed process: dict(rc, maxrss (bytes), seconds,
    cpu_s). Killed after BENCH_AGG_TIMEOUT seconds (then Fail)."""
    try:
        p.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()  # and the command with it (PR_SET_PDEATHSIG)
        stop(p)
        raise Fail(f"{what}: still running after {TIMEOUT:.0f} s (BENCH_AGG_TIMEOUT)")
    stop(p)  # it has ended: this only forgets it
    if p.returncode:
        raise Setup(f"agg_bench -x failed to run {what} (exit {p.returncode})")
    with open(result) as f:
        r = json.load(f)
    os.unlink(result)
    return r


def run_rss(argv, out_path):
    """Run argv to its end, stdout to out_path: dict(rc, seconds, maxrss,
    cpu_s, err)."""
    err_path, res_path = out_path + ".err", out_path + ".rss"
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        p = launch(argv, res_path, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
        r = measured(p, res_path, os.path.basename(argv[0]))
    with open(err_path, "rb") as f:
        r["err"] = f.read().decode(errors="replace")
    os.unlink(err_path)
    return r


def proc_status(pid):
    """VmHWM and VmRSS of a running process, bytes."""
    out = {}
    for ln in open(f"/proc/{pid}/status"):
        k, _, v = ln.partition(":")
        if k in ("VmHWM", "VmRSS"):
            out[k] = int(v.split()[0]) * 1024
    return out


def serve_until(w, done, what):
    """Poll w's snapshot until done(snapshot) is true; that snapshot."""
    t0 = time.monotonic()
    while True:
        snap = w.snapshot()
        if snap is not None and done(snap):
            return snap
        if time.monotonic() - t0 > TIMEOUT:
            w.fail(f"{what}: not reached after {TIMEOUT:.0f} s (BENCH_AGG_TIMEOUT)")
        time.sleep(POLL_S * 10)


def serve_settled(w, snap):
    """A snapshot 11 ticks after snap: aggregate_bytes is refreshed every 10."""
    seq = snap["seq"]
    return serve_until(w, lambda s: s["seq"] >= seq + 11, "11 more snapshots")


# --- rss: weir scan and serve with 1, 50, 1,000 rules ---------------------------


def pack_path(p):
    p = p.strip()
    return os.path.abspath(p) if os.path.exists(p) or os.path.isabs(p) else os.path.join(HERE, p)


HIST_LINE = ' 203.0.113.7 - - [-] "GET / HTTP/1.1" 503 612 "-" "curl/8.0"\n'


def write_history(path):
    """A matching access-log line stamped (ISO 8601 prefix) in every pane the
    tiers hold at this moment: each of the last 900 seconds, 1,440 minutes
    and 720 hours, oldest first. Returns the number of lines."""
    now = int(time.time())
    secs = {(now // 3600 - h) * 3600 + 1800 for h in range(720)}
    secs |= {(now // 60 - m) * 60 + 30 for m in range(1440)}
    secs |= {now - s for s in range(900)}
    secs = sorted(x for x in secs if x <= now)
    with open(path, "w") as f:
        for x in secs:
            f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(x)) + HIST_LINE)
    return len(secs)


def rss_part(work, results):
    say("=== rss: peak RSS with 1, 50 and 1,000 rules (default windows) ===")
    corpus = os.path.join(work, "corpus.log")
    r = subprocess.run([os.path.join(BENCH_BIN, "gen"), "-o", corpus, "-b", str(BYTES), "-s",
                        str(BENCH_SEED)], capture_output=True, text=True)
    if r.returncode:
        raise Setup(f"gen failed: {r.stderr.strip()}")
    cbytes, clines = os.path.getsize(corpus), count_lines(corpus)
    say(f"corpus: {cbytes:,} bytes, {clines:,} lines (gen -s {BENCH_SEED}, in {BENCH_DIR})")

    one = os.path.join(work, "one_rule.yaml")
    with open(one, "w") as f:
        f.write("\n".join(rules_yaml(pick_rules(DEFAULT_PACK, ONE_RULE,
                                                "BENCH_AGG_ONE_RULE"))) + "\n")
    packs = [(f"1 rule ({ONE_RULE})", one)] + [(os.path.basename(pack_path(p)), pack_path(p))
                                                for p in PACKS.split(",") if p.strip()]
    rows, ok = [], True
    for label, path in packs:
        if not os.path.isfile(path):
            raise Setup(f"{path}: no such rule pack")
        rules = load_pack(path)
        row = {"pack": label, "rules": len(rules)}
        say(f"[{label}] weir check; weir scan over the corpus and over a 30-day history; "
            f"weir serve {SERVE_S:g} s ...")
        chk = run_rss([WEIR_BIN, "check", "-c", path], os.path.join(work, "check.out"))
        if chk["rc"]:
            raise Setup(f"weir check -c {path}: exit {chk['rc']}\n{chk['err'].strip()}")
        row["check_rss"] = chk["maxrss"]
        out = os.path.join(work, "scan.json")
        sc = run_rss([WEIR_BIN, "scan", *W_ARGS, "-c", path, corpus], out)
        if sc["rc"]:
            raise Fail(f"weir scan -c {path}: exit {sc['rc']}\n{sc['err'].strip()[-2000:]}")
        j = json.load(open(out))
        if j.get("records") != clines:
            raise Fail(f"weir scan -c {path}: {j.get('records')} records, the corpus has "
                       f"{clines}")
        row.update(scan_rss=sc["maxrss"], scan_s=sc["seconds"], scan_cpu_s=sc["cpu_s"])
        # the same, after a 30-day history at event time: every pane in use
        hist, hcfg = os.path.join(work, "history.log"), os.path.join(work, "history.yaml")
        with open(hcfg, "w") as f:
            f.write(f"sources:\n  - {{name: history, type: file, path: /dev/null, time: event}}"
                    f"\ninclude: {yq(path)}\n")
        nhist = write_history(hist)
        hs = run_rss([WEIR_BIN, "scan", *W_ARGS, "-c", hcfg, hist, corpus], out)
        if hs["rc"]:
            raise Fail(f"weir scan -c {hcfg}: exit {hs['rc']}\n{hs['err'].strip()[-2000:]}")
        j = json.load(open(out))
        if j.get("records") != nhist + clines or not any(r["total"] >= nhist
                                                         for r in j["rules"]):
            raise Fail(f"weir scan of the history and the corpus: {j.get('records')} records "
                       f"(expected {nhist + clines:,}), or no rule counting the {nhist} "
                       "history lines")
        row.update(history_rss=hs["maxrss"], history_lines=nhist)
        # weir serve: the same rules, a demo source
        w = WeirServe(work, "serve", ["sources:", f"  - {{name: demo, type: demo, rate: "
                                      f"{DEMO_RATE}}}", TUNING], rules, None)
        try:
            w.wait_listening(START_S)
            t0 = time.monotonic()
            time.sleep(SERVE_S)
            snap = serve_until(w, lambda s: True, "a snapshot")
            snap = serve_settled(w, snap)
            st = proc_status(w.proc.pid)
            row.update(serve_s=time.monotonic() - t0, serve_hwm=st["VmHWM"],
                       serve_rss=st["VmRSS"], serve_records=snap["ingest"]["records"],
                       aggregate_bytes=snap["ingest"].get("aggregate_bytes"))
            if not row["serve_records"]:
                w.fail("weir serve counted no records from its demo source")
        finally:
            w.close()
        rows.append(row)
    os.unlink(corpus)

    say()
    say(f"{'rules':<24} {'weir check':>11} {'weir scan':>11} {'scan s':>7} {'steady':>12} "
        f"{'weir serve':>11} {'aggregate_bytes':>16}")
    for row in rows:
        say(f"{row['pack']:<24} {mib(row['check_rss']):>11} {mib(row['scan_rss']):>11} "
            f"{row['scan_s']:>7.2f} {mib(row['history_rss']):>12} {mib(row['serve_hwm']):>11} "
            f"{mib(row['aggregate_bytes']):>16}")
    say(f"Peak RSS, MiB = 2^20 bytes. weir check: config + Hyperscan compile. weir scan: over "
        f"the {cbytes / MiB:.0f} MiB corpus\n(arrival time: a few panes in use). steady: weir "
        f"scan (time: event) of {rows[0]['history_lines']:,} lines stamped in every pane\nthe "
        "tiers hold, then the corpus: all of the history resident, as in a weir that has run "
        f"for 30 days.\nweir serve: VmHWM after {SERVE_S:g} s with a demo source at "
        f"{DEMO_RATE:,} lines/s (tick {TICK_MS} ms; "
        f"{min(r['serve_records'] for r in rows):,}+ records).\naggregate_bytes: the serve "
        "snapshot's ingest.aggregate_bytes, the history (all tiers, allocated at\nstart in "
        "scan as in serve; its pages become resident as panes are first used).")
    results["rss"] = rows
    big = max(rows, key=lambda x: x["rules"])
    worst = max(big["scan_rss"], big["history_rss"], big["serve_hwm"])
    passed = worst <= RSS_BAR * MiB
    ok &= passed
    say(f"RSS BAR:  {'PASS' if passed else 'FAIL'} - with {big['rules']:,} rules weir's peak "
        f"RSS is {mib(worst)} at most (scan {mib(big['scan_rss'])}, steady "
        f"{mib(big['history_rss'])}, serve {mib(big['serve_hwm'])}; bar <= {RSS_BAR:g} MiB)")
    return ok


# --- topk: 10M distinct keys -----------------------------------------------------


def write_keys(path, n):
    """n lines `session=<16 hex>`, every key distinct (i times an odd constant
    mod 2^64 is a bijection); (bytes, seconds)."""
    t0 = time.monotonic()
    mult, mask = 0x9E3779B97F4A7C15, (1 << 64) - 1
    with open(path, "w") as f:
        for lo in range(0, n, 1 << 20):
            f.write("".join(f"session={(i * mult) & mask:016x}\n"
                            for i in range(lo, min(n, lo + (1 << 20)))))
    return os.path.getsize(path), time.monotonic() - t0


TOPK_RULE = ["  - name: top_session", "    match: 'session='", "    top: session",
             "    top_k: 10"]


def check_top(label, rule, n):
    """Problems with a rule's JSON after n distinct keys ([] when sane)."""
    bad = []
    top = rule.get("top") or {}
    items = top.get("items") or []
    if rule.get("total") != n:
        bad.append(f"{label}: rule total {rule.get('total')} != {n}")
    if top.get("total") != n:
        bad.append(f"{label}: top total {top.get('total')} != {n}")
    if len(items) != 10:
        bad.append(f"{label}: {len(items)} top items, not 10")
    for it in items:
        if it["count"] - it["error"] > 1 or it["count"] < 1:
            bad.append(f"{label}: item {it['value']} claims count {it['count']} error "
                       f"{it['error']}: every key occurs once")
            break
    if top.get("bound", 0) > n // 80 + 1:
        bad.append(f"{label}: bound {top.get('bound')} > total / 80")
    return bad


def sort_pipeline(path, work):
    """LC_ALL=C sort FILE | uniq -c | sort -rn | head, each stage its own
    process; (seconds, [(stage, peak RSS)], output, the most bytes sort's
    temporary files held at once, sampled every 20 ms)."""
    argvs = [["sort", path], ["uniq", "-c"], ["sort", "-rn"], ["head"]]
    tmp = os.path.join(work, "sort-tmp")
    os.makedirs(tmp)
    env_ = dict(C_ENV, TMPDIR=tmp)  # sort's temporary files: in memory too, and measured
    peak_tmp, done = [0], threading.Event()

    def watch_tmp():
        while not done.wait(0.02):
            n = 0
            try:
                for e in os.scandir(tmp):
                    try:
                        n += e.stat().st_size
                    except OSError:  # removed meanwhile
                        pass
            except OSError:  # the run is being torn down
                return
            peak_tmp[0] = max(peak_tmp[0], n)

    watcher = threading.Thread(target=watch_tmp, daemon=True)
    watcher.start()
    try:
        procs, prev = [], subprocess.DEVNULL
        t0 = time.monotonic()
        for i, argv in enumerate(argvs):
            res = os.path.join(work, f"stage{i}.rss")
            p = launch(argv, res, stdin=prev, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, env=env_)
            if prev is not subprocess.DEVNULL:
                prev.close()
            prev = p.stdout
            procs.append((argv, p, res))
        out = prev.read().decode(errors="replace")
        prev.close()
        stages = []
        for argv, p, res in procs:
            r = measured(p, res, " ".join(argv))
            # the second sort dies of SIGPIPE (-13) once head has its 10 lines
            if r["rc"] not in (0, -13):
                raise Setup(f"{' '.join(argv)} exited {r['rc']}")
            stages.append((" ".join(os.path.basename(a) for a in argv), r["maxrss"]))
        secs = time.monotonic() - t0
    finally:
        done.set()
        watcher.join()
    shutil.rmtree(tmp, ignore_errors=True)
    return secs, stages, out, peak_tmp[0]


def topk_part(work, results):
    say(f"=== topk: a top: rule (top_k 10) over {KEYS:,} distinct keys ===")
    keys = os.path.join(work, "keys.log")
    kbytes, gen_s = write_keys(keys, KEYS)
    say(f"keys: {KEYS:,} lines `session=<16 hex>`, {kbytes:,} bytes (written in {gen_s:.1f} s)")
    cfg = os.path.join(work, "topk.yaml")
    with open(cfg, "w") as f:
        f.write("\n".join(["sources:", "  - {name: keys, type: file, path: /dev/null, "
                           "format: logfmt}", "rules:"] + TOPK_RULE) + "\n")
    res, problems = {"keys": KEYS, "bytes": kbytes}, []

    say("[1/3] weir scan ...")
    out = os.path.join(work, "topk.json")
    sc = run_rss([WEIR_BIN, "scan", *W_ARGS, "-c", cfg, keys], out)
    if sc["rc"]:
        raise Fail(f"weir scan -c {cfg}: exit {sc['rc']}\n{sc['err'].strip()[-2000:]}")
    j = json.load(open(out))
    problems += check_top("weir scan", j["rules"][0], KEYS)
    res["scan"] = dict(rss=sc["maxrss"], seconds=sc["seconds"], cpu_s=sc["cpu_s"],
                       top=j["rules"][0].get("top"),
                       aggregate_bytes=j.get("ingest", {}).get("aggregate_bytes"))

    say("[2/3] weir serve reading the same file ...")
    rules_file = os.path.join(work, "topk-rules.yaml")
    with open(rules_file, "w") as f:
        f.write("\n".join(["rules:"] + TOPK_RULE) + "\n")
    w = WeirServe(work, "topk", ["sources:", f"  - {{name: keys, type: file, path: {yq(keys)}, "
                                 "format: logfmt}", f"include: {yq(rules_file)}", TUNING], [],
                  None)
    try:
        w.wait_listening(START_S)
        t0 = time.monotonic()
        snap = serve_until(w, lambda s: s["ingest"]["records"] >= KEYS, f"{KEYS:,} records")
        secs = time.monotonic() - t0
        snap = serve_settled(w, snap)
        st = proc_status(w.proc.pid)
        problems += check_top("weir serve", snap["rules"][0], KEYS)
        if snap["ingest"]["records"] != KEYS:
            problems.append(f"weir serve: {snap['ingest']['records']} records, not {KEYS}")
        res["serve"] = dict(hwm=st["VmHWM"], rss=st["VmRSS"], seconds=secs,
                            aggregate_bytes=snap["ingest"].get("aggregate_bytes"),
                            sketch_oom=snap["ingest"].get("sketch_oom"))
    finally:
        w.close()

    say("[3/3] LC_ALL=C sort FILE | uniq -c | sort -rn | head ...")
    b_s, stages, b_out, b_tmp = sort_pipeline(keys, work)
    lines = b_out.splitlines()
    if len(lines) != 10 or any(ln.split()[0] != "1" for ln in lines):
        raise Setup(f"the sort pipeline printed {lines[:3]}...: expected 10 keys counted once")
    res["sort"] = dict(seconds=b_s, stages=stages, tmp_bytes=b_tmp)
    os.unlink(keys)

    say()
    s, v = res["scan"], res["serve"]
    b_max = max(r for _, r in stages)
    b_sum = sum(r for _, r in stages)
    agg_b = s["aggregate_bytes"] if s["aggregate_bytes"] is not None else v["aggregate_bytes"]
    agg_from = "scan" if s["aggregate_bytes"] is not None else "serve's snapshot"
    say(f"{'tool':<36} {'seconds':>8} {'peak RSS':>11}  notes")
    say(f"{'weir scan':<36} {s['seconds']:>8.2f} {mib(s['rss']):>11}  "
        f"top total {s['top']['total']:,}, bound {s['top']['bound']:,}; cpu {s['cpu_s']:.2f} s")
    say(f"{'weir serve (file source)':<36} {v['seconds']:>8.2f} {mib(v['hwm']):>11}  "
        f"until the snapshot shows every record; aggregate_bytes {mib(v['aggregate_bytes'])}, "
        f"sketch_oom {v['sketch_oom']}")
    say(f"{'sort | uniq -c | sort -rn | head':<36} {b_s:>8.2f} {mib(b_max):>11}  "
        "largest process; " + ", ".join(f"{n} {mib(r)}" for n, r in stages)
        + f" (sum {mib(b_sum)}); temporary files up to {mib(b_tmp)} (in TMPDIR, on "
        f"{BENCH_DIR})")
    say(f"aggregate_bytes (from {agg_from}): {mib(agg_b)} - the history, the top rule's pane "
        "tables included: bounded whatever the\nnumber of keys (a few panes in use here; with "
        "every pane full see agg_bench's tiers_bytes, cost part)")
    res["ratios"] = {"rss_sort_over_scan": b_max / s["rss"], "time_sort_over_scan":
                     b_s / s["seconds"]}
    say(f"sort pipeline / weir scan: peak RSS {b_max / s['rss']:.1f}x (its largest process; "
        f"{b_sum / s['rss']:.1f}x the sum), time {b_s / s['seconds']:.1f}x")
    ok = True
    if problems:
        ok = False
        for p in problems:
            say(f"TOPK CHECK: FAIL - {p}")
    else:
        say(f"TOPK CHECK: PASS - scan and serve: total {KEYS:,}, 10 items, each counted "
            "once at most for sure, bound <= total / 80")
    worst = max(s["rss"], v["hwm"])
    passed = worst <= TOPK_RSS_BAR * MiB
    ok &= passed
    say(f"TOPK BAR: {'PASS' if passed else 'FAIL'} - weir's peak RSS over {KEYS:,} distinct "
        f"keys is {mib(worst)} (scan {mib(s['rss'])}, serve {mib(v['hwm'])}; bar <= "
        f"{TOPK_RSS_BAR:g} MiB)")
    results["topk"] = res
    return ok


# --- cost: agg_bench -------------------------------------------------------------


def cost_part(work, results):
    argv = [os.path.join(BENCH_BIN, "agg_bench")] + COST_ARGS
    say(f"=== cost: {' '.join(os.path.relpath(a) if '/' in a else a for a in argv)} ===")
    out = os.path.join(work, "agg_bench.out")
    r = run_rss(argv, out)  # agg_bench under agg_bench -x: for the timeout
    text = open(out, encoding="utf-8", errors="replace").read()
    say(text.rstrip())
    results["cost"] = {"output": text, "seconds": r["seconds"]}
    if r["rc"]:
        say(f"COST: FAIL - agg_bench exited {r['rc']}: {r['err'].strip()[-500:]}")
        return False
    say(f"COST: PASS - agg_bench ran in {r['seconds']:.0f} s")
    return True


# --- main --------------------------------------------------------------------------


def main(what):
    t_start = time.monotonic()
    need = [WEIR_BIN, LAUNCHER]  # agg_bench measures every peak RSS
    if what in ("all", "rss"):
        need.append(os.path.join(BENCH_BIN, "gen"))
    for x in need:
        if not os.access(x, os.X_OK):
            raise Setup(f"{x} is missing or not executable (run: make bench)")
    if what in ("all", "topk"):
        for tool in ("sort", "uniq", "head"):
            if not shutil.which(tool):
                raise Setup(f"{tool} (coreutils) is missing")
    space = (BYTES if what in ("all", "rss") else 0) + \
        (KEYS * 25 * 3 if what in ("all", "topk") else 0) + (64 << 20)
    check_bench_dir(space, "(BENCH_AGG_BYTES, BENCH_AGG_KEYS)")
    fs = subprocess.run(["stat", "-f", "-c", "%T", BENCH_DIR], capture_output=True,
                        text=True).stdout.strip()
    say(f"weir aggregation bench: {what}")
    say(f"machine: {machine()}; load average {open('/proc/loadavg').read().split()[0]}")
    say(f"files in: {BENCH_DIR} ({fs}) - in memory; weir: {WEIR_BIN}, "
        f"{WORKERS or 'one per core'} workers (BENCH_AGG_WORKERS)")
    work = workdir("agg")
    results, verdicts = {}, []
    try:
        floor = run_rss([shutil.which("true") or "/bin/true"], os.path.join(work, "true.out"))
        say(f"peak RSS: wait4's ru_maxrss of a process started by agg_bench -x; floor (`true`): "
            f"{mib(floor['maxrss'])}")
        say()
        for part, fn in (("rss", rss_part), ("topk", topk_part), ("cost", cost_part)):
            if what not in ("all", part):
                continue
            try:
                ok = fn(work, results)
            except Fail as e:
                say(f"{part.upper()}: FAIL - {e}")
                ok = False
            verdicts.append((part, ok))
            say()
    finally:
        kill_all()
        shutil.rmtree(work, ignore_errors=True)
        if RESULTS:
            with open(RESULTS, "w") as f:
                json.dump(results, f, indent=1)
    say("agg bench: " + ", ".join(f"{p} {'PASS' if k else 'FAIL'}" for p, k in verdicts)
        + f" ({(time.monotonic() - t_start) / 60:.1f} minutes)")
    return 0 if all(k for _, k in verdicts) else 1


if __name__ == "__main__":
    run_main(main, ("rss", "topk", "cost"), __doc__)
