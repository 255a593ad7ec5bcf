"""The shipped rule packs (packaging/rules/*.yaml) on their sample logs and
on real logs.

For each pack, tests/rules/ holds a sample log (PACK.log: hits and near
misses for every rule), a scan config that includes the pack (PACK.yaml),
the expected result (PACK.golden.json) and the expected aggregates
(PACK.aggregates.json). The expectations come from the Python reference
tests/e2e/refmatch.py (tests/rules/regen.py writes them), never from weir.

What is checked:
- the packs themselves: a header comment naming the source format with an
  example config, unique prefixed rule names, regexes inside the subset
  Hyperscan and Python `re` agree on; `weir check` accepts each pack;
- the goldens still equal what the reference computes now;
- weir scan over each sample gives the golden totals, and the aggregates
  (value, top, distinct) the reference computed; with --expect it accepts
  the golden and rejects a doctored one with a readable diff;
- the match-only rules of every pack on the sample, through a config that
  lists them inline (needs none of the newer config features);
- the sshd, kernel, apache and nginx packs over the real logs in the shared
  test data, against the reference, and the reference against upstream's
  own ground truth (loghub's event ids, lnav's compiled counts).

A test that needs a feature weir does not have yet fails and names it (see
Features); nothing is skipped.
"""

import csv
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, run_weir, yq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import refmatch  # noqa: E402

RULES_DIR = REPO_ROOT / "packaging" / "rules"
SAMPLES = REPO_ROOT / "tests" / "rules"
PACKS = sorted(p.stem for p in RULES_DIR.glob("*.yaml"))
PREFIX = {"nginx": "nginx_", "apache": "apache_", "sshd": "ssh_", "sudo": "sudo_",
          "kernel": "kernel_", "systemd": "systemd_", "errors": "err_"}
# The --format each pack's sample is scanned with (as in each pack's header).
FORMAT = {"nginx": "combined", "apache": "combined", "sshd": "raw", "sudo": "raw",
          "kernel": "raw", "systemd": "raw", "errors": "raw"}
AGG_KEYS = ("value", "top", "distinct")


# ---------------------------------------------------------------- features


class Features:
    """Which of the newer features this weir build has, found by trying
    each on a tiny config. need() fails the calling test, naming every
    missing feature it asked for, with what weir said."""

    PROBES = ("include:", "--format combined", "--format syslog", "where on access fields",
              "rule without match", "named captures as fields", "value:", "top:", "distinct:",
              "--expect")

    def __init__(self, tmp):
        self.tmp = tmp
        self.result = {}

    def _scan(self, name, rules_yaml, data, *extra, include=None):
        cfg = self.tmp / f"probe-{len(self.result)}.yaml"
        text = "rules:\n" + rules_yaml
        if include is not None:
            inc = self.tmp / f"probe-inc-{len(self.result)}.yaml"
            inc.write_text("rules:\n" + include)
            text += f"include: [{yq(inc.name)}]\n"
        cfg.write_text(text)
        r = run_weir("scan", *extra, "-c", cfg, input=data)
        return r

    def _probe(self, name):
        line = (b'192.0.2.1 - - [03/Mar/2024:10:00:00 +0000] "GET /x HTTP/1.1" 404 12 "-" '
                b'"curl/8" 0.5\n')
        r1 = "  - name: p\n    match: 'GET'\n"
        if name == "include:":
            r = self._scan(name, r1, line, include="  - name: q\n    match: 'x'\n")
            return r.returncode == 0 and '"q"' in r.stdout.decode(), r
        if name.startswith("--format "):
            r = self._scan(name, r1, line, "--format", name.split()[1])
            return r.returncode == 0, r
        if name == "where on access fields":
            r = self._scan(name, r1 + "    where: {status: 404, request_time: '>0.4'}\n", line,
                           "--format", "combined")
            return r.returncode == 0 and _totals_or_none(r) == {"p": 1}, r
        if name == "rule without match":
            r = self._scan(name, "  - name: p\n    where: {status: '>=400'}\n", line,
                           "--format", "combined")
            return r.returncode == 0 and _totals_or_none(r) == {"p": 1}, r
        if name == "named captures as fields":
            r = self._scan(name, "  - name: p\n    match: '(?<verb>[A-Z]+) /'\n"
                                 "    where: {verb: GET}\n", line)
            return r.returncode == 0 and _totals_or_none(r) == {"p": 1}, r
        if name in ("value:", "top:", "distinct:"):
            key = name[:-1]
            r = self._scan(name, r1 + f"    {key}: status\n", line, "--format", "combined")
            ok = r.returncode == 0 and key in (_rule_or_none(r, "p") or {})
            return ok, r
        if name == "--expect":
            g = self.tmp / "probe-golden.json"
            g.write_text('{"rules": [{"name": "p", "total": 1}]}\n')
            r = self._scan(name, r1, line, "--expect", g)
            return r.returncode == 0, r
        raise AssertionError(name)

    def has(self, name):
        if name not in self.result:
            ok, r = self._probe(name)
            self.result[name] = (ok, "" if ok else
                                 f"exit {r.returncode}: {r.stderr.strip()[:300] or r.stdout[:300]!r}")
        return self.result[name][0]

    def need(self, *names):
        missing = [n for n in names if not self.has(n)]
        if missing:
            pytest.fail("waits on weir features: " + ", ".join(missing) + "\n" + "\n".join(
                f"  {n}: {self.result[n][1]}" for n in missing), pytrace=False)


def _totals_or_none(r):
    try:
        return {x["name"]: x["total"] for x in json.loads(r.stdout)["rules"]}
    except (ValueError, KeyError, TypeError):
        return None


def _rule_or_none(r, name):
    try:
        return {x["name"]: x for x in json.loads(r.stdout)["rules"]}[name]
    except (ValueError, KeyError, TypeError):
        return None


@pytest.fixture(scope="session")
def features(tmp_path_factory):
    return Features(tmp_path_factory.mktemp("features"))


# ---------------------------------------------------------------- helpers


def scan(cfg, *files, fmt=None, extra=()):
    """weir scan; returns the parsed JSON (asserts a clean exit)."""
    args = ["scan"] + (["--format", fmt] if fmt else []) + ["-c", cfg, *extra, *files]
    r = run_weir(*args)
    assert r.returncode == 0, f"weir {' '.join(map(str, args))} exited {r.returncode}:\n{r.stderr}"
    return r.json()


def totals(result):
    return {r["name"]: r["total"] for r in result["rules"]}


def diff_totals(got, want, what=""):
    """A readable table of the rules whose totals differ ('' if none)."""
    names = list(want) + [n for n in got if n not in want]
    rows = [(n, want.get(n, "-"), got.get(n, "-")) for n in names if got.get(n) != want.get(n)]
    if not rows:
        return ""
    w = max(len(n) for n, _, _ in rows)
    lines = [f"{what}{len(rows)} of {len(names)} rules differ:",
             f"  {'rule'.ljust(w)}  {'expected':>9}  {'weir':>9}"]
    lines += [f"  {n.ljust(w)}  {str(e):>9}  {str(g):>9}" for n, e, g in rows]
    return "\n".join(lines)


def pack_rules(pack):
    return yaml.load((RULES_DIR / f"{pack}.yaml").read_text(), Loader=yaml.BaseLoader)["rules"]


def match_only(rule):
    """A rule that only uses match (+ caseless): evaluable by today's weir
    and independent of the source format."""
    return "match" in rule and "where" not in rule


def inline_config(path, rules, max_line=None):
    """A config listing rules inline, keeping only name, match, caseless."""
    lines = ["rules:"]
    for r in rules:
        lines.append(f"  - name: {r['name']}")
        lines.append(f"    match: {yq(r['match'])}")
        if r.get("caseless") in refmatch.TRUE or "caseless" in (r.get("flags") or []):
            lines.append("    caseless: true")
    if max_line:
        lines.append(f"tuning: {{max_line: {max_line}}}")
    path.write_text("\n".join(lines) + "\n")
    return path


def include_config(path, packs, max_line=None, sources=()):
    """A config that includes the shipped packs by absolute path; sources:
    (name, format) pairs, each reading a file that does not exist."""
    incs = ", ".join(yq(RULES_DIR / f"{p}.yaml") for p in packs)
    text = ""
    if sources:
        text += "sources:\n" + "".join(
            f"  - name: {n}\n    path: {yq(path.parent / (n + '.log'))}\n    format: {f}\n"
            for n, f in sources)
    text += f"include: [{incs}]\n"
    if max_line:
        text += f"tuning: {{max_line: {max_line}}}\n"
    path.write_text(text)
    return path


def _num(d, *keys):
    for k in keys:
        if isinstance(d, dict) and isinstance(d.get(k), (int, float)):
            return d[k]
    return None


def _close(a, b, rel=1e-9, abs_=1e-9):
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _top_items(top):
    """weir's top as [(value, truncated, count, error)], from {"items":
    [{"value", "count", "error", "truncated"}]} (or a list of such)."""
    if isinstance(top, dict):
        top = top.get("items")
    out = []
    for it in top or []:
        if isinstance(it, dict):
            out.append((it.get("value"), bool(it.get("truncated")), it.get("count"),
                        it.get("error", 0)))
        else:
            out.append((None, False, None, 0))
    return out


def top_problems(name, g, w):
    """weir's top (g) against the reference's exact counts (w). weir keeps
    Space-Saving counters (aggregate/topk.h; more of them than the k it
    lists): with bound 0 its answer is exact (items and order equal the
    reference's); otherwise every item's true count lies in [count - error,
    count], error <= bound, and a value left out has a true count of at
    most max(bound, the smallest listed count)."""
    if not isinstance(g, dict):
        return [f"{name}: no 'top' object in weir's output (got {g!r})"]
    probs = []
    items = _top_items(g)
    exact = {(v, cut): c for v, cut, c in w["counts"]}
    if g.get("total") != w["total"]:
        probs.append(f"{name}: top.total = {g.get('total')}, want {w['total']}")
    bound = g.get("bound", 0)
    if not isinstance(bound, int):
        return probs + [f"{name}: top.bound is {bound!r}"]
    if bound == 0:
        want = [(it["value"], bool(it.get("truncated")), it["count"], 0) for it in w["items"]]
        if items != want:
            probs.append(f"{name}: top (bound 0, so exact) differs:\n      weir: {items}\n"
                         f"      want: {want}")
        return probs
    if bound > w["total"] / w["k"]:
        probs.append(f"{name}: top.bound {bound} > total/k = {w['total'] / w['k']:.1f}")
    if len(items) != min(w["k"], len(exact)):
        probs.append(f"{name}: top has {len(items)} items, want {min(w['k'], len(exact))}")
    for v, cut, c, err in items:
        true = exact.get((v, cut), 0)
        if not (c - err <= true <= c) or err > bound:
            probs.append(f"{name}: top {v!r}: count {c} error {err} (bound {bound}), "
                         f"true count {true}")
    listed = {(v, cut) for v, cut, _, _ in items}
    # A value not listed is either in the table below the listed ones (the
    # table has more counters than k) or not in it, at most bound.
    low = min((c for _, _, c, _ in items), default=0)
    missed = sorted(((c, k) for k, c in exact.items() if c > max(bound, low) and k not in listed),
                    reverse=True)
    if missed:
        probs.append(f"{name}: top leaves out {len(missed)} values whose true count exceeds both "
                     f"the bound {bound} and the smallest listed count {low}: "
                     + ", ".join(f"{k[0]!r} {c}" for c, k in missed[:4]))
    counts = [c for _, _, c, _ in items]
    if counts != sorted(counts, reverse=True):
        probs.append(f"{name}: top not sorted by count: {counts}")
    return probs


def aggregate_problems(name, got, want, distinct_tol=0.02):
    """Differences between weir's aggregates of one rule (got: its rule
    object) and the reference's (want: refmatch's value/top/distinct)."""
    probs = []
    if "value" in want:
        w, g = want["value"], got.get("value")
        if not isinstance(g, dict):
            probs.append(f"{name}: no 'value' object in weir's output (got {g!r})")
        else:
            for key in ("count", "sum", "min", "max", "mean"):
                gv = g.get(key)
                if w[key] is None:
                    if w["count"] == 0 and gv not in (None, 0):
                        probs.append(f"{name}: value.{key} = {gv}, want none (no values)")
                elif not _close(gv if isinstance(gv, (int, float)) else None, w[key], 1e-6):
                    probs.append(f"{name}: value.{key} = {gv}, want {w[key]}")
    if "top" in want:
        probs += top_problems(name, got.get("top"), want["top"])
    if "distinct" in want:
        w, g = want["distinct"]["count"], got.get("distinct")
        gv = g if isinstance(g, (int, float)) else _num(g, "estimate", "count", "value")
        if gv is None:
            probs.append(f"{name}: no 'distinct' estimate in weir's output (got {g!r})")
        elif abs(gv - w) > max(1.0, distinct_tol * w):
            probs.append(f"{name}: distinct = {gv}, want {w} (tolerance max(1, {distinct_tol:.0%}))")
    return probs


def check_aggregates(result, want_aggs, what):
    """Compare every rule's aggregates; fail with all problems at once."""
    by_name = {r["name"]: r for r in result["rules"]}
    probs = []
    for name, want in want_aggs.items():
        probs += aggregate_problems(name, by_name.get(name, {}), want)
    assert not probs, f"{what}: {len(probs)} aggregate differences:\n  " + "\n  ".join(probs)


# ---------------------------------------------------------------- the packs


def test_there_are_seven_packs():
    assert PACKS == sorted(PREFIX), PACKS


@pytest.mark.parametrize("pack", PACKS)
def test_pack_header_names_format_and_example(pack):
    text = (RULES_DIR / f"{pack}.yaml").read_text()
    head = []
    for ln in text.splitlines():
        if not ln.startswith("#"):
            break
        head.append(ln)
    assert len(head) >= 8, f"{pack}.yaml: the file must open with a comment block"
    block = "\n".join(head)
    assert re.search(r"[Ff]ormat: (raw|syslog|combined|common|any)", block), block
    assert re.search(r"#\s+format: (raw|syslog|combined|common)", block), \
        f"{pack}.yaml: the example config sets no format:\n{block}"
    assert re.search(r"#\s+include: \[", block) and re.search(r"#\s+sources:", block), block
    assert f"Rule names start with {PREFIX[pack]}" in block, block


def test_rule_names_are_unique_and_prefixed():
    seen = {}
    for pack in PACKS:
        for r in pack_rules(pack):
            n = r["name"]
            assert n.startswith(PREFIX[pack]), f"{pack}: rule {n} lacks the prefix {PREFIX[pack]}"
            assert re.fullmatch(r"[a-z0-9_]+", n), n
            assert n not in seen, f"rule {n} in both {seen[n]} and {pack}"
            seen[n] = pack
    assert len(seen) >= 100, len(seen)


@pytest.mark.parametrize("pack", PACKS)
def test_pack_regexes_stay_in_the_common_subset(pack):
    """refmatch refuses regexes outside the subset. Every field a rule reads
    is one of its captures or (access packs) a field of the format; every
    capture is read; no capture shadows an access log field."""
    cfg = refmatch.Config(SAMPLES / f"{pack}.yaml")
    format_fields = set(refmatch.ACCESS_FIELDS) if FORMAT[pack] == "combined" else set()
    for r in cfg.rules:
        assert not set(r.captures) & set(refmatch.ACCESS_FIELDS), (r.name, r.captures)
        read = {f for f, _ in r.where} | {r.value, r.top, r.distinct} - {None}
        assert read <= set(r.captures) | format_fields, \
            f"{r.name} reads {sorted(read - set(r.captures) - format_fields)}: no such capture"
        unused = set(r.captures) - read
        assert not unused, f"{r.name}: captures {sorted(unused)} that nothing reads"
    assert [r.name for r in cfg.rules] == [r["name"] for r in pack_rules(pack)]


def test_pack_regexes_compile_in_hyperscan(tmp_path):
    """Every rule's regex, all packs at once, through today's inline config."""
    rules = [r for p in PACKS for r in pack_rules(p) if "match" in r]
    r = run_weir("check", "-c", inline_config(tmp_path / "all.yaml", rules))
    assert r.returncode == 0, r.stderr


# The sources each pack's header example gives.
HEADER_SOURCES = {"nginx": [("nginx", "combined"), ("nginx_errors", "raw")],
                  "apache": [("apache", "combined"), ("apache_errors", "raw")]}


@pytest.mark.parametrize("pack", PACKS)
def test_weir_check_accepts_pack(pack, tmp_path, features):
    """With the sources the pack's header suggests (weir checks that every
    field a rule reads is a capture or a field of some source's format)."""
    features.need("include:")
    sources = HEADER_SOURCES.get(pack, [(pack, "syslog")])
    r = run_weir("check", "-c", include_config(tmp_path / "c.yaml", [pack], sources=sources))
    assert r.returncode == 0, r.stderr
    assert f"{len(pack_rules(pack))} rules" in r.stdout.decode(), r.stdout


def test_weir_check_rejects_access_pack_without_access_source(tmp_path, features):
    """The access rules read fields only a combined/common source has."""
    features.need("include:")
    r = run_weir("check", "-c", include_config(tmp_path / "c.yaml", ["nginx"],
                                               sources=[("plain", "raw")]))
    assert r.returncode == 2 and "nginx_404" in r.stderr, r.stderr


# ---------------------------------------------------------------- samples


@pytest.mark.parametrize("pack", PACKS)
def test_golden_agrees_with_reference(pack):
    """The goldens are the reference's answer today (regen.py wrote them)."""
    cfg = refmatch.Config(SAMPLES / f"{pack}.yaml")
    data = (SAMPLES / f"{pack}.log").read_bytes()
    res = refmatch.scan_bytes(cfg, data, FORMAT[pack], aggregates=True)
    assert refmatch.golden_of(res) == json.loads((SAMPLES / f"{pack}.golden.json").read_text())
    aggs = {r["name"]: {k: r[k] for k in AGG_KEYS if k in r} for r in res["rules"] if len(r) > 2}
    assert aggs == json.loads((SAMPLES / f"{pack}.aggregates.json").read_text())


@pytest.mark.parametrize("pack", PACKS)
def test_sample_has_hits_and_misses_for_every_rule(pack):
    golden = json.loads((SAMPLES / f"{pack}.golden.json").read_text())
    n = golden["records"]
    assert 250 <= n <= 1000, n
    for r in golden["rules"]:
        assert 0 < r["total"] < n, f"{pack}: rule {r['name']} counts {r['total']} of {n}"
    data = (SAMPLES / f"{pack}.log").read_bytes()
    assert data.endswith(b"\n") and b"\r" not in data


@pytest.mark.parametrize("pack", PACKS)
def test_sample_match_only_rules_equal_golden(pack, tmp_path):
    """Works with today's config language: the pack's match-only rules,
    listed inline, over its sample."""
    rules = [r for r in pack_rules(pack) if match_only(r)]
    want = {k: v for k, v in totals(json.loads((SAMPLES / f"{pack}.golden.json").read_text())).items()
            if k in {r["name"] for r in rules}}
    out = scan(inline_config(tmp_path / "inline.yaml", rules), SAMPLES / f"{pack}.log")
    d = diff_totals(totals(out), want, f"{pack} sample, match-only rules: ")
    assert not d, d


@pytest.mark.parametrize("pack", PACKS)
def test_sample_equals_golden(pack, features):
    """The whole pack, included from its file, over its sample, with the
    pack's source format."""
    features.need("include:", f"--format {FORMAT[pack]}")
    rules = pack_rules(pack)
    if any("where" in r for r in rules):
        features.need("where on access fields" if FORMAT[pack] == "combined"
                      else "named captures as fields")
    if any("where" in r and "match" not in r for r in rules):
        features.need("rule without match")
    out = scan(SAMPLES / f"{pack}.yaml", SAMPLES / f"{pack}.log", fmt=FORMAT[pack])
    golden = json.loads((SAMPLES / f"{pack}.golden.json").read_text())
    d = diff_totals(totals(out), totals(golden), f"{pack} sample: ")
    assert not d, d
    for k in refmatch.GOLDEN_KEYS:
        assert out.get(k) == golden[k], (k, out.get(k), golden[k])


AGG_PACKS = [p for p in PACKS if any(k in r for r in pack_rules(p) for k in AGG_KEYS + ("group_by",))]


@pytest.mark.parametrize("pack", AGG_PACKS)
def test_sample_aggregates_equal_reference(pack, features):
    rules = pack_rules(pack)
    used = [f"{k}:" for k in AGG_KEYS if any(k in r or (k == "top" and "group_by" in r)
                                            for r in rules)]
    features.need("include:", f"--format {FORMAT[pack]}", "named captures as fields", *used)
    out = scan(SAMPLES / f"{pack}.yaml", SAMPLES / f"{pack}.log", fmt=FORMAT[pack])
    want = json.loads((SAMPLES / f"{pack}.aggregates.json").read_text())
    assert want, f"{pack}: no rule with value/top/distinct"
    check_aggregates(out, want, f"{pack} sample")


@pytest.mark.parametrize("pack", [p for p in PACKS if FORMAT[p] == "raw"])
def test_syslog_format_does_not_change_regex_packs(pack, features):
    """The syslog-style packs match text only: parsing the header as syslog
    must give the same totals as raw."""
    features.need("include:", "--format syslog", "named captures as fields")
    out = scan(SAMPLES / f"{pack}.yaml", SAMPLES / f"{pack}.log", fmt="syslog")
    golden = json.loads((SAMPLES / f"{pack}.golden.json").read_text())
    d = diff_totals(totals(out), totals(golden), f"{pack} sample as syslog: ")
    assert not d, d


def test_expect_accepts_golden_and_rejects_doctored_one(tmp_path, features):
    features.need("include:", "--format combined", "--expect", "where on access fields",
                  "rule without match")
    for pack in PACKS:
        golden = SAMPLES / f"{pack}.golden.json"
        r = run_weir("scan", "--format", FORMAT[pack], "-c", SAMPLES / f"{pack}.yaml",
                     "--expect", golden, SAMPLES / f"{pack}.log")
        assert r.returncode == 0, f"{pack}: --expect rejected its golden:\n{r.stderr}"
    # Doctor one total and records: non-zero exit, and the diff names both.
    g = json.loads((SAMPLES / "nginx.golden.json").read_text())
    victim = g["rules"][5]
    victim["total"] += 7
    g["records"] -= 1
    bad = tmp_path / "doctored.golden.json"
    bad.write_text(json.dumps(g))
    r = run_weir("scan", "--format", "combined", "-c", SAMPLES / "nginx.yaml",
                 "--expect", bad, SAMPLES / "nginx.log")
    assert r.returncode != 0, "--expect accepted a doctored golden"
    text = r.stderr + r.stdout.decode("utf-8", "replace")
    assert victim["name"] in text and str(victim["total"]) in text \
        and str(victim["total"] - 7) in text, f"diff does not show the rule's totals:\n{text}"
    assert "records" in text, f"diff does not show records:\n{text}"
    # A rule missing from the golden is a difference too.
    g = json.loads((SAMPLES / "nginx.golden.json").read_text())
    dropped = g["rules"].pop()
    bad.write_text(json.dumps(g))
    r = run_weir("scan", "--format", "combined", "-c", SAMPLES / "nginx.yaml",
                 "--expect", bad, SAMPLES / "nginx.log")
    assert r.returncode != 0
    assert dropped["name"] in r.stderr + r.stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------- real logs


def _ref_and_weir(tmp_path, packs, files, fmt, features, aggregates=True):
    """Run the reference and weir (packs included from their files) on the
    real files; assert equal totals and aggregates; return the reference's
    result."""
    cfg = include_config(tmp_path / "real.yaml", packs)
    ref = refmatch.scan_files(refmatch.Config(cfg), files, fmt, aggregates=True)
    rules = [r for p in packs for r in pack_rules(p)]
    need = ["include:", f"--format {fmt}", "named captures as fields"]
    if any("where" in r and "match" not in r for r in rules):
        need += ["where on access fields", "rule without match"]
    if aggregates:
        need += [f"{k}:" for k in AGG_KEYS if any(k in r for r in rules)]
    features.need(*need)
    out = scan(cfg, *files, fmt=fmt)
    d = diff_totals(totals(out), refmatch.totals(ref), f"{'+'.join(packs)} on "
                    f"{', '.join(Path(f).name for f in files)}: ")
    assert not d, d
    for k in refmatch.GOLDEN_KEYS:
        assert out.get(k) == ref[k], (k, out.get(k), ref[k])
    if aggregates:
        want = {r["name"]: {k: r[k] for k in AGG_KEYS if k in r} for r in ref["rules"]
                if len(r) > 2}
        check_aggregates(out, want, f"{'+'.join(packs)} on real logs")
    return ref


def _match_only_on_real(tmp_path, packs, files):
    """Today's path: the packs' match-only rules inline, weir vs reference."""
    rules = [r for p in packs for r in pack_rules(p) if match_only(r)]
    cfg = inline_config(tmp_path / "inline.yaml", rules)
    ref = refmatch.scan_files(refmatch.Config(cfg), files)
    out = scan(cfg, *files)
    d = diff_totals(totals(out), refmatch.totals(ref), "match-only rules on real logs: ")
    assert not d, d
    return refmatch.totals(ref)


def _loghub_events(testdata, system):
    """EventId per line of a loghub log, from upstream's structured CSV."""
    path = testdata / "loghub" / system / f"{system}_2k.log_structured.csv"
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def _sum_events(rows, ids, component=None):
    return sum(1 for r in rows if r["EventId"] in ids and
               (component is None or r["Component"] == component))


# loghub OpenSSH: which upstream templates each sshd rule stands for.
OPENSSH_TRUTH = {
    "ssh_failed_password": {"E9", "E10"},
    "ssh_invalid_user": {"E13"},
    "ssh_accepted_password": {"E1"},
    "ssh_failed_other_method": {"E8"},
    "ssh_pam_auth_failure": {"E19", "E20"},
    "ssh_pam_user_unknown": {"E21"},
    "ssh_pam_more_failures": {"E15", "E16", "E17", "E18"},
    "ssh_too_many_failures": {"E4", "E5"},
    "ssh_break_in_attempt": {"E27"},
    "ssh_disconnect": {"E6", "E7", "E24", "E25", "E26"},
    "ssh_connection_closed": {"E2"},
    "ssh_preauth": {"E2", "E4", "E5", "E6", "E7", "E11", "E12", "E24", "E25"},
    "ssh_bad_banner": {"E3"},
    "ssh_session_opened": {"E23"},
    "ssh_session_closed": {"E22"},
    "ssh_fatal_or_error": {"E6", "E7", "E11"},
    "ssh_accepted_publickey": set(),
    "ssh_negotiation_failed": set(),
    "ssh_server_listening": set(),
}


def test_reference_agrees_with_loghub_openssh_templates(testdata):
    """The reference itself, against upstream's event ids (the loghub
    structured CSV), for every sshd rule, and the failed-password top list
    against a count of the CSV's parameters."""
    rows = _loghub_events(testdata, "OpenSSH")
    cfg = refmatch.Config(SAMPLES / "sshd.yaml")
    log = testdata / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
    ref = refmatch.scan_files(cfg, [log], aggregates=True)
    got = refmatch.totals(ref)
    want = {name: _sum_events(rows, ids) for name, ids in OPENSSH_TRUTH.items()}
    assert {n: got[n] for n in OPENSSH_TRUTH} == want
    assert set(OPENSSH_TRUTH) == {r.name for r in cfg.rules} - {"ssh_failed_password_root"}
    # root: the E9 lines whose user is root
    assert got["ssh_failed_password_root"] == sum(
        1 for r in rows if r["EventId"] == "E9" and "password for root from" in r["Content"])
    # top failing clients: the address in E9/E10 lines, counted from the CSV
    by_ip = Counter(re.search(r" from (\S+) port", r["Content"]).group(1) for r in rows
                    if r["EventId"] in ("E9", "E10"))
    top = next(r["top"] for r in ref["rules"] if r["name"] == "ssh_failed_password")
    assert [(i["value"], i["count"]) for i in top["items"][:3]] == \
        sorted(by_ip.items(), key=lambda kv: (-kv[1], kv[0]))[:3]


def test_reference_agrees_with_loghub_apache_templates(testdata):
    rows = _loghub_events(testdata, "Apache")
    cfg = refmatch.Config(SAMPLES / "apache.yaml")
    log = testdata / "loghub" / "Apache" / "Apache_2k.log"
    got = refmatch.totals(refmatch.scan_files(cfg, [log], "raw"))
    assert got["apache_error_dir_index_forbidden"] == _sum_events(rows, {"E4"})
    assert got["apache_error_mod_jk_error_state"] == _sum_events(rows, {"E3"})
    assert got["apache_error_jk2_child_missing"] == _sum_events(rows, {"E5"})
    assert got["apache_error_level"] == sum(1 for r in rows if r["Level"] == "error")
    assert got["apache_error_by_client"] == _sum_events(rows, {"E4"})
    assert all(v == 0 for k, v in got.items() if not k.startswith("apache_error_"))


def test_reference_agrees_with_loghub_linux_templates(testdata):
    rows = _loghub_events(testdata, "Linux")
    cfg = refmatch.Config(SAMPLES / "sshd.yaml")
    log = testdata / "loghub" / "Linux" / "Linux_2k.log"
    got = refmatch.totals(refmatch.scan_files(cfg, [log]))
    assert got["ssh_pam_auth_failure"] == _sum_events(
        rows, {"E16", "E17", "E18", "E19"}, "sshd(pam_unix)")
    assert got["ssh_pam_user_unknown"] == _sum_events(rows, {"E27"}, "sshd(pam_unix)")
    kcfg = refmatch.Config(SAMPLES / "kernel.yaml")
    kgot = refmatch.totals(refmatch.scan_files(kcfg, [log]))
    assert kgot["kernel_boot"] == _sum_events(rows, {"E68"})


def test_reference_agrees_with_lnav_shop_counts(testdata):
    """The combined-format parser of the reference against the compiled
    counts shipped with the lnav shop log (nginx combined + XFF)."""
    d = testdata / "access_logs" / "lnav"
    counts = json.loads((d / "logfile_shop_access_log.0.derived_counts.json").read_text())
    cfg = refmatch.Config(SAMPLES / "nginx.yaml")
    ref = refmatch.scan_files(cfg, [d / "logfile_shop_access_log.0"], "combined", aggregates=True)
    got = refmatch.totals(ref)
    st = counts["by_status"]
    assert got["nginx_requests"] == counts["lines"] == 1000
    assert got["nginx_2xx"] == sum(v for k, v in st.items() if k.startswith("2"))
    assert got["nginx_3xx"] == sum(v for k, v in st.items() if k.startswith("3"))
    assert got["nginx_4xx"] == sum(v for k, v in st.items() if k.startswith("4"))
    assert got["nginx_404"] == st.get("404", 0)
    assert got["nginx_5xx"] == 0 and got["nginx_request_time"] == 0
    assert got["nginx_post"] == counts["by_method"]["POST"]
    by = {r["name"]: r for r in ref["rules"]}
    assert by["nginx_bytes_sent"]["value"]["sum"] == counts["bytes_sent_total"]
    distinct_key = next(k for k in counts if "distinct" in k and "ip" in k.lower())
    assert by["nginx_top_clients"]["distinct"]["count"] == counts[distinct_key]


def test_sshd_pack_on_loghub_openssh_match_only(tmp_path, testdata):
    log = testdata / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
    got = _match_only_on_real(tmp_path, ["sshd"], [log])
    assert got["ssh_failed_password"] > 500 and got["ssh_break_in_attempt"] > 80


def test_real_logs_match_only_rules(tmp_path, testdata):
    """All packs' match-only rules over every real log at once (today's
    config language): weir equals the reference."""
    lh = testdata / "loghub"
    files = [lh / "OpenSSH" / "OpenSSH_2k.log", lh / "Linux" / "Linux_2k.log",
             lh / "Apache" / "Apache_2k.log",
             testdata / "access_logs" / "lnav" / "logfile_shop_access_log.0",
             testdata / "syslog" / "lnav_syslog_samples" / "logfile_syslog.0"]
    got = _match_only_on_real(tmp_path, PACKS, files)
    assert got["apache_error_mod_jk_error_state"] > 500 and got["nginx_bots"] > 0


def test_sshd_pack_on_loghub_openssh(tmp_path, testdata, features):
    _ref_and_weir(tmp_path, ["sshd"], [testdata / "loghub" / "OpenSSH" / "OpenSSH_2k.log"],
                  "raw", features)


def test_sshd_and_kernel_packs_on_loghub_linux(tmp_path, testdata, features):
    _ref_and_weir(tmp_path, ["sshd", "kernel"], [testdata / "loghub" / "Linux" / "Linux_2k.log"],
                  "raw", features)


def test_apache_pack_on_loghub_apache_error_log(tmp_path, testdata, features):
    """With --format combined: the pack's access rules declare access
    fields, so weir refuses it on a raw source; the error log's lines are
    then parse errors, and its error rules (regexes) still count."""
    ref = _ref_and_weir(tmp_path, ["apache"], [testdata / "loghub" / "Apache" / "Apache_2k.log"],
                        "combined", features)
    assert ref["parse_errors"] == 2000


def test_apache_pack_on_lnav_access_logs(tmp_path, testdata, features):
    d = testdata / "access_logs" / "lnav"
    files = [d / "logfile_access_log.0", d / "logfile_access_log.1",
             d / "logfile_shop_access_log.0"]
    _ref_and_weir(tmp_path, ["apache"], files, "combined", features)


def test_nginx_pack_on_lnav_shop_log(tmp_path, testdata, features):
    d = testdata / "access_logs" / "lnav"
    ref = _ref_and_weir(tmp_path, ["nginx"], [d / "logfile_shop_access_log.0"], "combined",
                        features)
    assert refmatch.totals(ref)["nginx_requests"] == 1000
