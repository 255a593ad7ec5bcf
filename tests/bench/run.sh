#!/usr/bin/env bash
# run.sh - make bench's scan, tailing, aggregation, HTTP API and dashboard
# benchmarks, one after the other.
# See tests/bench/README.md for what is measured and how to read it.
#
#   make bench            (sets WEIR_BIN and BENCH_BIN)
#   BENCH_BYTES=200M make bench
#
# 1. scan.py: `weir scan` with rules50.yaml and rules1000.yaml over a corpus
#    (BENCH_BYTES, default 1G), beside the bare Hyperscan ceiling
#    (hs_ceiling -m lines, both cores), grep, rg and mtail; exact per-rule
#    counts; bars weir >= BENCH_BAR (0.70) of the ceiling and >=
#    BENCH_MTAIL_BAR (100) times mtail. Its knobs (BENCH_BYTES, BENCH_RUNS,
#    BENCH_JOBS, BENCH_RULES, BENCH_BAR, BENCH_GREP_*, BENCH_MTAIL_*, ...)
#    are listed in scan.py and README.md.
# 2. tail.py (unless BENCH_TAIL=0): weir serve tailing 1/100/1000 files vs
#    GNU tail -F, and freshness; knobs BENCH_TAIL_*, BENCH_FRESH_*.
# 3. agg.py (unless BENCH_AGG=0): the aggregator's memory and cost - peak
#    RSS with 1/50/1,000 rules (scan, a 30-day steady state, serve), a top:
#    rule over 10M distinct keys vs sort | uniq -c | sort -rn | head, and
#    agg_bench's ns per matched record and per-tick window merge; bars
#    BENCH_AGG_RSS_BAR, BENCH_AGG_TOPK_RSS_BAR; knobs BENCH_AGG_*.
# 4. api.py (unless BENCH_API=0): wrk on /api/v1/snapshot and /metrics with
#    100 rules, alone and while weir ingests a corpus at full speed;
#    requests/s, p99, the ingest throughput lost to serving; bars
#    BENCH_API_RPS_BAR (20,000 req/s), BENCH_API_P99_BAR (10 ms),
#    BENCH_API_LOSS_BAR (0.10); knobs BENCH_API_*.
# 5. dashboard.mjs (unless BENCH_DASHBOARD=0): the browser dashboard with
#    1,000 rules over a growing nginx access log, beside GoAccess's
#    real-time HTML report: first render, bytes and main-thread time per
#    tick, JS heap over BENCH_DASHBOARD_SECONDS (600); bars
#    BENCH_DASHBOARD_RENDER_BAR (1000 ms), BENCH_DASHBOARD_TICK_BAR (16 ms),
#    BENCH_DASHBOARD_MEM_BAR (0.10); knobs BENCH_DASHBOARD_*.
#
# Environment: WEIR_BIN (default build/release/weir), BENCH_BIN (default
# build/release/bench), BENCH_DIR (/dev/shm), BENCH_SEED (1), BENCH_TAIL (1),
# BENCH_AGG (1), BENCH_API (1), BENCH_DASHBOARD (1).
#
# Exit status: 0 when every part run passes; 2 when the scan part cannot run
# (a missing tool, no space: the others are then not run); 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
export WEIR_BIN=${WEIR_BIN:-$root/build/release/weir}
export BENCH_BIN=${BENCH_BIN:-$root/build/release/bench}
BENCH_TAIL=${BENCH_TAIL:-1}
BENCH_AGG=${BENCH_AGG:-1}
BENCH_API=${BENCH_API:-1}
BENCH_DASHBOARD=${BENCH_DASHBOARD:-1}

verdict() { # verdict RC: PASS, FAIL (RC) or skipped (RC empty)
	if [[ -z $1 ]]; then echo skipped; elif (($1 == 0)); then echo PASS; else echo "FAIL ($1)"; fi
}

scan_rc=0
"$PY" "$here/scan.py" || scan_rc=$?

tail_rc=
if ((scan_rc != 2)) && [[ $BENCH_TAIL != 0 ]]; then
	echo
	tail_rc=0
	"$PY" "$here/tail.py" all || tail_rc=$?
fi

agg_rc=
if ((scan_rc != 2)) && [[ $BENCH_AGG != 0 ]]; then
	echo
	agg_rc=0
	"$PY" "$here/agg.py" all || agg_rc=$?
fi

api_rc=
if ((scan_rc != 2)) && [[ $BENCH_API != 0 ]]; then
	echo
	api_rc=0
	"$PY" "$here/api.py" all || api_rc=$?
fi

dash_rc=
if ((scan_rc != 2)) && [[ $BENCH_DASHBOARD != 0 ]]; then
	echo
	dash_rc=0
	node "$here/dashboard.mjs" || dash_rc=$?
fi

echo
echo "make bench: scan $(verdict "$scan_rc"), tail $(verdict "$tail_rc"), agg $(verdict "$agg_rc"), api $(verdict "$api_rc"), dashboard $(verdict "$dash_rc")"
((scan_rc == 2)) && exit 2
((scan_rc == 0 && ${tail_rc:-0} == 0 && ${agg_rc:-0} == 0 && ${api_rc:-0} == 0 && ${dash_rc:-0} == 0)) || exit 1
exit 0
