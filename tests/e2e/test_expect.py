"""`weir scan --expect GOLDEN`: the scan's result compared with a saved one.

Exit 0 and one summary line on stderr when they match; exit 1 and one line
per difference under a header when they differ; exit 2 when the golden
cannot be read or is not valid JSON (named by file:line:col). stdout stays
empty with --expect."""

import json
from pathlib import Path

import pytest

from conftest import run_weir

GOLDEN = Path(__file__).resolve().parent / "golden"
CFG = GOLDEN / "mixed.yaml"
LOG = GOLDEN / "mixed.log"


def golden():
    """The checked expectation of mixed.log (see test_scan.py)."""
    return json.loads((GOLDEN / "mixed.expected.json").read_text())


def write(tmp_path, obj, name="golden.json"):
    p = tmp_path / name
    p.write_text(json.dumps(obj, indent=2) + "\n")
    return p


def expect(path, *logs):
    return run_weir("scan", "-c", CFG, "--expect", path, *(logs or (LOG,)))


def differs(path, *lines):
    """The exact stderr of a run whose result differs from path."""
    return f"weir scan: result differs from {path}:\n" + "".join(f"  {ln}\n" for ln in lines)


def rule(g, name):
    return next(r for r in g["rules"] if r["name"] == name)


def test_identical_golden_matches(tmp_path):
    path = write(tmp_path, golden())
    r = expect(path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""
    assert r.stderr == f"weir scan: matches {path} (20 rules)\n"


def test_golden_made_from_a_scan_matches(tmp_path):
    """The documented way: weir scan > golden.json, then --expect it."""
    r = run_weir("scan", "-c", CFG, LOG)
    assert r.returncode == 0, r.stderr
    path = tmp_path / "made.json"
    path.write_bytes(r.stdout)
    r = expect(path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"weir scan: matches {path} (20 rules)\n"


def test_rule_order_in_the_golden_does_not_matter(tmp_path):
    g = golden()
    g["rules"].reverse()
    r = expect(write(tmp_path, g))
    assert r.returncode == 0, r.stderr


def test_changed_total_is_one_exact_line(tmp_path):
    g = golden()
    rule(g, "ssh_failed")["total"] = 12
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stdout == b""
    assert r.stderr == differs(path, "rule ssh_failed: total: expected 12, got 2")


def test_rule_missing_from_the_golden(tmp_path):
    g = golden()
    g["rules"] = [x for x in g["rules"] if x["name"] != "timeouts"]
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(path, "rule timeouts: not in the golden")


def test_golden_rule_missing_from_the_result(tmp_path):
    g = golden()
    g["rules"].insert(3, {"name": "retired_rule", "total": 7})
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(path, "rule retired_rule: not in the result")


def test_changed_records_and_other_top_level_numbers(tmp_path):
    g = golden()
    g["records"] = 30
    g["lines_truncated"] = 2
    g["no_such_counter"] = 0      # a key scan does not produce
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(path,
                               "records: expected 30, got 29",
                               "lines_truncated: expected 2, got 3",
                               "no_such_counter: missing (expected 0)")


def test_nested_key_the_result_lacks_is_missing(tmp_path):
    g = golden()
    rule(g, "errors")["no_such_stat"] = {"count": 4, "mean": 2.5}
    rule(g, "tab")["no_such_list"] = {"items": [{"value": "x", "count": 1}]}
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(
        path,
        'rule errors: no_such_stat: missing (expected {"count": 4, "mean": 2.5})',
        'rule tab: no_such_list: missing (expected {"items": [{"value": "x", "count": 1}]})')


# A rule with value/top/distinct, for the nested comparisons. A binary
# without those rule keys skips these tests.
STATS_CFG = """rules:
  - name: took
    match: 'took (?P<ms>[0-9]+)ms user=(?P<user>[a-z]+)'
    value: ms
    unit: ms
    top: user
    distinct: user
  - name: plain
    match: 'x'
tuning: {workers: 2}
"""
STATS_LOG = b"took 5ms user=bob\ntook 7ms user=al\nx\ntook 1ms user=bob\n"


@pytest.fixture
def stats(tmp_path):
    """(config, log, golden dict made by a scan) for STATS_CFG."""
    cfg = tmp_path / "stats.yaml"
    cfg.write_text(STATS_CFG)
    r = run_weir("check", "-c", cfg)
    if r.returncode != 0:
        pytest.skip(f"this weir has no value/top/distinct rules: {r.stderr.strip()}")
    log = tmp_path / "stats.log"
    log.write_bytes(STATS_LOG)
    r = run_weir("scan", "-c", cfg, log)
    assert r.returncode == 0, r.stderr
    g = r.json()
    t = rule(g, "took")
    if not {"value", "top", "distinct"} <= set(t):
        pytest.skip(f"this weir's scan output has no value/top/distinct: {t}")
    return cfg, log, g


def test_golden_with_nested_stats_made_from_a_scan_matches(tmp_path, stats):
    cfg, log, g = stats
    path = write(tmp_path, g)
    r = run_weir("scan", "-c", cfg, "--expect", path, log)
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"weir scan: matches {path} (2 rules)\n"


def test_nested_stats_differ_with_their_path(tmp_path, stats):
    cfg, log, g = stats
    t = rule(g, "took")
    assert t["top"]["items"][0] == {"value": "bob", "count": 2, "error": 0}, t
    t["value"]["p75"] = 0.007                 # a key the result lacks
    t["value"]["count"] = 4                   # an integer: exact
    t["value"]["mean"] *= 1 + 1e-12           # a real within 1e-9: equal
    t["value"]["max"] *= 1 + 1e-6             # a real outside 1e-9
    t["top"]["items"][0]["count"] = 5
    t["top"]["items"].append({"value": "zed", "count": 1})
    t["distinct"]["estimate"] = 3
    path = write(tmp_path, g)
    r = run_weir("scan", "-c", cfg, "--expect", path, log)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(
        path,
        "rule took: value.count: expected 4, got 3",
        f"rule took: value.max: expected {t['value']['max']:.15g}, got 0.007",
        "rule took: value.p75: missing (expected 0.007)",
        "rule took: top.items: expected 3 elements, got 2",
        "rule took: top.items[0].count: expected 5, got 2",
        "rule took: distinct.estimate: expected 3, got 2")


def test_every_difference_is_listed_in_golden_order(tmp_path):
    g = golden()
    rule(g, "errors")["total"] = 5
    rule(g, "empty")["total"] = "3"
    g["rules"] = [x for x in g["rules"] if x["name"] != "http_2xx"]
    g["bytes"] = 1
    path = write(tmp_path, g)
    r = expect(path)
    assert r.returncode == 1, r.stderr
    assert r.stderr == differs(path,
                               "rule errors: total: expected 5, got 4",
                               'rule empty: total: expected "3", got 3',
                               "rule http_2xx: not in the golden",
                               "bytes: expected 1, got 4258")


def test_stdin_log_with_a_golden(tmp_path):
    path = write(tmp_path, golden())
    r = run_weir("scan", "-c", CFG, "--expect", path, input=LOG.read_bytes())
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""


def test_unreadable_golden_exits_2(tmp_path):
    missing = tmp_path / "no-such-golden.json"
    r = expect(missing)
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr == f"{missing}: cannot read the golden: No such file or directory\n"
    r = expect(tmp_path)
    assert r.returncode == 2
    assert r.stderr == f"{tmp_path}: cannot read the golden: Is a directory\n"


@pytest.mark.parametrize("text,pos,msg", [
    ('{\n  "rules": [\n    {"name": "a", "total": 1},\n  ]\n}\n', "4:3",
     "unexpected token near ']'"),
    ('{"rules": [], "records": 2', "1:26", "'}' expected near end of file"),
    ("", "1:0", "'[' or '{' expected near end of file"),
    ('{"rules": [], "records": 1, "records": 2}', "1:37",
     "duplicate object key near '\"records\"'"),
])
def test_invalid_json_golden_exits_2_naming_the_position(tmp_path, text, pos, msg):
    path = tmp_path / "bad.json"
    path.write_text(text)
    r = expect(path)
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr == f"{path}:{pos}: invalid JSON: {msg}\n"


@pytest.mark.parametrize("obj,msg", [
    ([], "the golden must be a JSON object like the output of weir scan"),
    ({"records": 29}, 'the golden has no "rules" array'),
    ({"rules": [{"total": 1}]}, 'rules[0] is not an object with a string "name"'),
    ({"rules": [{"name": "a"}, {"name": "a"}]}, "rule 'a' is listed twice"),
])
def test_golden_of_the_wrong_shape_exits_2(tmp_path, obj, msg):
    path = write(tmp_path, obj)
    r = expect(path)
    assert r.returncode == 2
    assert r.stderr == f"{path}: {msg}\n"


def test_bad_config_still_exits_2_before_the_golden(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("rules:\n  - name: r\n    match: 'a{2,1}'\n")
    r = run_weir("scan", "-c", cfg, "--expect", tmp_path / "none.json", input=b"aa\n")
    assert r.returncode == 2
    assert str(cfg) + ":3:12:" in r.stderr
    assert "none.json" not in r.stderr


def test_missing_log_still_fails_and_names_it(tmp_path):
    path = write(tmp_path, golden())
    missing = tmp_path / "no-such.log"
    r = expect(path, missing)
    assert r.returncode == 2
    assert str(missing) in r.stderr


def test_expect_is_refused_outside_scan(tmp_path):
    path = write(tmp_path, golden())
    r = run_weir("check", "-c", CFG, "--expect", path)
    assert r.returncode == 2
    assert r.stderr == "weir: --expect is an option of scan only\n"


def test_help_documents_expect():
    r = run_weir("help")
    assert r.returncode == 0
    assert b"--expect GOLDEN" in r.stdout
