#!/usr/bin/env bash
# run.sh - weir's throughput benchmark, beside its baselines, in one run.
# See tests/bench/README.md for what is measured and how to read it.
#
#   make bench            (sets WEIR_BIN and BENCH_BIN)
#   BENCH_BYTES=200M make bench
#
# Environment:
#   WEIR_BIN     the weir binary                (default build/release/weir)
#   BENCH_BIN    directory holding gen and hs_ceiling (default build/release/bench)
#   BENCH_BYTES  corpus size, suffix K/M/G = 1024^n (default 1G)
#   BENCH_SEED   corpus seed                    (default 1)
#   BENCH_RUNS   timed runs of weir and hs_ceiling; the best counts (default 3)
#   BENCH_JOBS   grep/rg processes at a time    (default 2: both cores)
#   BENCH_RULES  rule pack                      (default tests/bench/rules50.yaml)
#   BENCH_DIR    where the corpus goes          (default /dev/shm: tmpfs)
#   BENCH_BAR    weir must reach this fraction of the ceiling (default 0.50)
#   BENCH_TAIL   0 skips the tailing benchmarks (tail.py: throughput over
#                1/100/1000 files vs GNU tail -F, freshness); their own
#                knobs (BENCH_TAIL_*, BENCH_FRESH_*) are in tail.py and README
#
# Exit status: 0 when weir's per-rule counts equal grep's and rg's, weir
# reaches the bar, and tail.py passes (exact counts, freshness p99 bar);
# 1 otherwise; 2 on a usage or setup problem of the scan benchmark.
set -euo pipefail

# Worker mode, used through xargs: count one rule's lines with grep or rg.
# Arguments: __count TOOL INDEX. Reads BENCH_WORK/rules/INDEX.{re,ci}.
if [[ ${1:-} == __count ]]; then
	tool=$2 idx=$3
	re=$(<"$BENCH_WORK/rules/$idx.re")
	ci=$(<"$BENCH_WORK/rules/$idx.ci")
	flags=()
	[[ $ci == 1 ]] && flags=(-i)
	rc=0
	case $tool in
	grep) out=$(LC_ALL=C grep -c -E "${flags[@]}" -e "$re" "$BENCH_CORPUS") || rc=$? ;;
	rg) out=$(rg --no-config -c "${flags[@]}" -e "$re" "$BENCH_CORPUS") || rc=$? ;;
	*) exit 2 ;;
	esac
	# Both exit 1 when nothing matched (rg then prints nothing); 2 is an error.
	if ((rc > 1)); then
		echo "run.sh: $tool failed (exit $rc) on rule $idx: $re" >&2
		exit 255 # makes xargs stop
	fi
	echo "${out:-0}" >"$BENCH_WORK/$tool/$idx"
	exit 0
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
WEIR_BIN=${WEIR_BIN:-$root/build/release/weir}
BENCH_BIN=${BENCH_BIN:-$root/build/release/bench}
BENCH_BYTES=${BENCH_BYTES:-1G}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-3}
BENCH_JOBS=${BENCH_JOBS:-2}
BENCH_RULES=${BENCH_RULES:-$here/rules50.yaml}
BENCH_DIR=${BENCH_DIR:-/dev/shm}
BENCH_BAR=${BENCH_BAR:-0.50}
BENCH_TAIL=${BENCH_TAIL:-1}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

for x in "$WEIR_BIN" "$BENCH_BIN/gen" "$BENCH_BIN/hs_ceiling" "$PY"; do
	[[ -x $x ]] || die "$x is missing or not executable (run: make bench)"
done
command -v grep >/dev/null || die "grep is missing (scripts/deps.sh bench)"
command -v rg >/dev/null || die "rg (ripgrep) is missing (scripts/deps.sh bench)"
[[ -f $BENCH_RULES ]] || die "$BENCH_RULES: no such file"
[[ -d $BENCH_DIR && -w $BENCH_DIR ]] || die "$BENCH_DIR is not a writable directory"

work=$(mktemp -d "$BENCH_DIR/weir-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus.log
mkdir -p "$work/rules" "$work/grep" "$work/rg"

# --- rules: one line-based parse (the format is ours; no PyYAML needed) ---
"$PY" - "$BENCH_RULES" "$work/rules" <<'EOF'
import sys

path, outdir = sys.argv[1], sys.argv[2]
rules, cur = [], None
for no, raw in enumerate(open(path, encoding="ascii"), 1):
    s = raw.strip()
    if not s or s.startswith("#") or s == "rules:":
        continue
    if s.startswith("- "):
        cur = {"line": no}
        rules.append(cur)
        s = s[2:].strip()
    if cur is None:
        sys.exit(f"{path}:{no}: the bench parser reads only a `rules:` list")
    key, sep, val = s.partition(":")
    val = val.strip()
    if not sep or key not in ("name", "match", "caseless") or key in cur:
        sys.exit(f"{path}:{no}: the bench parser knows name, match, caseless, once each")
    if val.startswith("'"):
        if len(val) < 2 or not val.endswith("'"):
            sys.exit(f"{path}:{no}: unterminated single-quoted value")
        val = val[1:-1].replace("''", "'")
    elif key == "match":
        sys.exit(f"{path}:{no}: write match values in single quotes")
    cur[key] = val
if not rules:
    sys.exit(f"{path}: no rules")
with open(f"{outdir}/names", "w") as names:
    for i, r in enumerate(rules):
        if "name" not in r or "match" not in r:
            sys.exit(f"{path}:{r['line']}: rule without name or match")
        if r.get("caseless", "false") not in ("true", "false"):
            sys.exit(f"{path}:{r['line']}: caseless must be true or false")
        open(f"{outdir}/{i}.re", "w").write(r["match"])
        open(f"{outdir}/{i}.ci", "w").write("1" if r.get("caseless") == "true" else "0")
        names.write(r["name"] + "\n")
EOF
nrules=$(wc -l <"$work/rules/names")

# --- corpus ---
want=$("$PY" -c '
import sys
s = sys.argv[1].strip().upper().removesuffix("IB").removesuffix("B")
m = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
print(int(s[:-1]) * m[s[-1]] if s[-1] in m else int(s))' "$BENCH_BYTES") ||
	die "BENCH_BYTES=$BENCH_BYTES is not a size"
avail=$(df -PB1 "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
((avail > want + (64 << 20))) || die "$BENCH_DIR has $avail bytes free; the corpus needs $want"

fs=$(stat -f -c %T "$BENCH_DIR")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "weir bench: $nrules rules ($(basename "$BENCH_RULES")), corpus $BENCH_BYTES seed $BENCH_SEED"
echo "machine:    $(nproc) CPUs ($cpu), $(uname -r)"
echo "corpus in:  $BENCH_DIR ($fs) - in memory, so this measures CPU, not disk"
"$BENCH_BIN/gen" -o "$corpus" -b "$want" -s "$BENCH_SEED" 2>/dev/null
bytes=$(stat -c %s "$corpus")
lines=$(wc -l <"$corpus")
echo "corpus:     $bytes bytes, $lines lines ($((bytes / lines)) bytes/line)"
echo

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# --- (a) weir scan: best of BENCH_RUNS ---
echo "[1/4] weir scan, best of $BENCH_RUNS ..."
weir_s=
for ((i = 0; i < BENCH_RUNS; i++)); do
	t0=$(now)
	"$WEIR_BIN" scan -c "$BENCH_RULES" "$corpus" >"$work/weir.json"
	t1=$(now)
	s=$(elapsed "$t0" "$t1")
	echo "      run $((i + 1)): ${s} s"
	if [[ -z $weir_s ]] || awk -v a="$s" -v b="$weir_s" 'BEGIN { exit !(a < b) }'; then
		weir_s=$s
	fi
done
"$PY" - "$work/weir.json" "$work/rules/names" "$work/weir.counts" "$bytes" "$lines" <<'EOF'
import json, sys

j = json.load(open(sys.argv[1]))
names = open(sys.argv[2]).read().split()
totals = {r["name"]: r["total"] for r in j["rules"]}
with open(sys.argv[3], "w") as out:
    for n in names:
        out.write(f"{totals.get(n, 'missing')}\n")
nlines = j.get("lines", j.get("records"))
if j.get("bytes") != int(sys.argv[4]) or nlines != int(sys.argv[5]):
    print(f"      weir read {j.get('bytes')} bytes, {nlines} lines; "
          f"the corpus has {sys.argv[4]} bytes, {sys.argv[5]} lines")
    sys.exit(1)
EOF

# --- (b), (c) grep and rg: one process per rule, BENCH_JOBS at a time ---
export BENCH_WORK=$work BENCH_CORPUS=$corpus
grep_s='' rg_s=''
for tool in grep rg; do
	n=2
	[[ $tool == rg ]] && n=3
	echo "[$n/4] $tool -c per rule, $BENCH_JOBS at a time ..."
	t0=$(now)
	seq 0 $((nrules - 1)) | xargs -P "$BENCH_JOBS" -n 1 "$here/run.sh" __count "$tool"
	t1=$(now)
	printf -v "${tool}_s" %s "$(elapsed "$t0" "$t1")"
	for ((i = 0; i < nrules; i++)); do cat "$work/$tool/$i"; done >"$work/$tool.counts"
done

# --- (d) the Hyperscan ceiling ---
echo "[4/4] hs_ceiling -t $BENCH_JOBS, best of $BENCH_RUNS ..."
"$BENCH_BIN/hs_ceiling" -c "$BENCH_RULES" -t "$BENCH_JOBS" -n "$BENCH_RUNS" -m weir \
	"$corpus" >"$work/ceil.json"
"$BENCH_BIN/hs_ceiling" -c "$BENCH_RULES" -t "$BENCH_JOBS" -n "$BENCH_RUNS" -m lines \
	"$corpus" >"$work/ceil_lines.json"
echo

# --- report and verdicts ---
scan_rc=0
"$PY" - "$work" "$bytes" "$lines" "$weir_s" "$grep_s" "$rg_s" "$BENCH_BAR" "$BENCH_JOBS" <<'EOF' || scan_rc=$?
import json, sys

work, nbytes, nlines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
weir_s, grep_s, rg_s = map(float, sys.argv[4:7])
bar, jobs = float(sys.argv[7]), sys.argv[8]
ceil = json.load(open(f"{work}/ceil.json"))
ceil_l = json.load(open(f"{work}/ceil_lines.json"))

rows = [
    ("weir scan", weir_s, "whole process: read, frame, scan, count"),
    (f"grep -E x{jobs}", grep_s, "one pass per rule, all rules"),
    (f"rg x{jobs}", rg_s, "one pass per rule, all rules"),
    (f"hs_ceiling -t{jobs}", ceil["seconds"], "weir's database, 1 MiB blocks, scan only"),
    (f"hs_ceiling lines", ceil_l["seconds"], "same rules, no SINGLEMATCH, MULTILINE"),
]
# A database whose rules are all SINGLEMATCH may stop scanning a block once
# every rule has matched (hs_ceiling detects it); then its "ceiling" is not
# a rate any exact per-line counter can reach: use the every-match one.
bar_ceil, bar_name = ceil["seconds"], "weir's database"
early = ceil.get("early_stop", False)
if early:
    bar_ceil, bar_name = ceil_l["seconds"], "every-match database"
mbps = lambda s: nbytes / s / 1e6
weir = mbps(weir_s)
print(f"{'tool':<18} {'seconds':>9} {'MB/s':>9} {'lines/s':>12} {'weir x':>8}  what")
for name, s, what in rows:
    print(f"{name:<18} {s:>9.3f} {mbps(s):>9.1f} {nlines / s:>12,.0f} "
          f"{weir / mbps(s):>8.2f}  {what}")
print(f"(MB = 10^6 bytes; 'weir x' = weir's throughput / the tool's)")
print()
print(f"weir/grep    = {weir / mbps(grep_s):.2f}x")
print(f"weir/rg      = {weir / mbps(rg_s):.2f}x")
print(f"weir/ceiling = {weir / mbps(bar_ceil):.2f}  (bar: >= {bar:.2f}; ceiling of {bar_name})")
if early:
    print("note: with weir's database Hyperscan stops scanning a block once every rule has")
    print("      matched (hs_ceiling: early_stop), so that row is not a reachable ceiling")
print()

names = open(f"{work}/rules/names").read().split()
cnt = {t: open(f"{work}/{t}.counts").read().split() for t in ("weir", "grep", "rg")}
bad = [(n, cnt["weir"][i], cnt["grep"][i], cnt["rg"][i]) for i, n in enumerate(names)
       if not cnt["weir"][i] == cnt["grep"][i] == cnt["rg"][i]]
ok = True
if bad:
    ok = False
    print(f"COUNTS: FAIL - {len(bad)} of {len(names)} rules differ:")
    print(f"  {'rule':<24} {'weir':>10} {'grep':>10} {'rg':>10}")
    for n, w, g, r in bad:
        print(f"  {n:<24} {w:>10} {g:>10} {r:>10}")
else:
    print(f"COUNTS: PASS - all {len(names)} per-rule counts of weir equal grep's and rg's")
frac = weir / mbps(bar_ceil)
if frac >= bar:
    print(f"BAR:    PASS - weir reaches {frac:.0%} of the Hyperscan ceiling (bar {bar:.0%})")
else:
    ok = False
    print(f"BAR:    FAIL - weir reaches {frac:.0%} of the Hyperscan ceiling (bar {bar:.0%})")
sys.exit(0 if ok else 1)
EOF

# --- tailing: throughput for 1, 100, 1000 files and freshness (tail.py) ---
tail_rc=0
if [[ $BENCH_TAIL != 0 ]]; then
	rm -f "$corpus" # free the tmpfs for tail.py's own files
	echo
	WEIR_BIN=$WEIR_BIN BENCH_BIN=$BENCH_BIN BENCH_DIR=$BENCH_DIR BENCH_SEED=$BENCH_SEED \
		"$PY" "$here/tail.py" all || tail_rc=$?
fi

echo
echo "make bench: scan $( ((scan_rc == 0)) && echo PASS || echo "FAIL ($scan_rc)")," \
	"tail $( ((BENCH_TAIL == 0)) && echo skipped || { ((tail_rc == 0)) && echo PASS || echo "FAIL ($tail_rc)"; })"
((scan_rc == 0 && tail_rc == 0)) || exit 1
