"""`weir scan`: one pass over files or stdin through the daemon's pipeline.

Record rules checked here: a record ends at LF; CR right before LF is not
part of it; a last line without LF is a record; a rule matches inside one
record only and counts it at most once; lines longer than tuning.max_line
are cut to max_line bytes and counted in lines_truncated."""

import json
import random
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (RUN_TIMEOUT, WEIR_BIN, assert_no_sanitizer_report, expected_counts,
                      records_of, run_weir, scan_config, strict_json)

GOLDEN = Path(__file__).resolve().parent / "golden"


def scan(cfg, *logs, input=None):
    r = run_weir("scan", "-c", cfg, *logs, input=input)
    assert r.returncode == 0, r.stderr
    return r.json()


def totals(out):
    return {r["name"]: r["total"] for r in out["rules"]}


def golden_rules():
    """The rules of golden/mixed.yaml, read with a line parser made for that
    file's plain layout (name, match in single quotes, optional caseless)."""
    rules = []
    for ln in (GOLDEN / "mixed.yaml").read_text().splitlines():
        if ln.startswith("  - name: "):
            rules.append({"name": ln[len("  - name: "):]})
        elif ln.startswith("    match: '") and ln.endswith("'"):
            rules[-1]["match"] = ln[len("    match: '"):-1].replace("''", "'")
        elif ln.strip() == "caseless: true":
            rules[-1]["caseless"] = True
    return rules


# The golden expectation golden/mixed.expected.json was computed, when the
# file was made, with Python `re` record by record (records_of(), each record
# cut to max_line=1024 bytes) and not from weir's output; several rules were
# then checked by hand (errors 4, timeouts 4, done_at_end 2, empty 3,
# lines_truncated 3). test_golden_expectation_agrees_with_python_re keeps it
# honest.
def test_scan_matches_golden_output():
    r = run_weir("scan", "-c", GOLDEN / "mixed.yaml", GOLDEN / "mixed.log")
    assert r.returncode == 0, r.stderr
    assert r.json() == json.loads((GOLDEN / "mixed.expected.json").read_text())


def test_golden_expectation_agrees_with_python_re():
    data = (GOLDEN / "mixed.log").read_bytes()
    # The features the golden log promises are really in it.
    assert b"\r\n" in data and b"\x00" in data and b"\xff" in data and b"\n\n" in data
    assert not data.endswith(b"\n")
    recs = records_of(data)
    rules = golden_rules()
    assert len(rules) == 20
    want = json.loads((GOLDEN / "mixed.expected.json").read_text())
    assert want["records"] == len(recs)
    assert want["bytes"] == len(data)
    assert want["lines_truncated"] == sum(1 for r in recs if len(r) > 1024)
    assert totals(want) == expected_counts(recs, rules, max_line=1024)


def test_golden_from_stdin_equals_golden_from_file():
    data = (GOLDEN / "mixed.log").read_bytes()
    want = json.loads((GOLDEN / "mixed.expected.json").read_text())
    r = run_weir("scan", "-c", GOLDEN / "mixed.yaml", input=data)
    assert r.returncode == 0, r.stderr
    assert r.json() == want
    r = run_weir("scan", "-c", GOLDEN / "mixed.yaml", "-", input=data)
    assert r.returncode == 0, r.stderr
    assert r.json() == want


AB = [{"name": "a_then_b", "match": "a[^z]*b"}]


@pytest.mark.parametrize("data,want", [
    (b"a\nb\n", 0),
    (b"a\nb", 0),
    (b"a\r\nb\r\n", 0),
    (b"xa\n\nbx\n", 0),
    (b"ab\n", 1),
    (b"a\nab\nb\n", 1),
    (b"a--b a--b a--b\n", 1),   # one record counts once, however many matches
    (b"a\rb\n", 1),            # a CR inside a line is part of the record
])
def test_rule_never_matches_across_records(tmp_path, data, want):
    cfg = scan_config(tmp_path / "scan.yaml", AB)
    out = scan(cfg, input=data)
    assert totals(out) == {"a_then_b": want}
    assert out["records"] == len(records_of(data))


def test_last_line_without_newline_is_a_record(tmp_path):
    rules = [{"name": "y_line", "match": "^y$"}, {"name": "any", "match": "^"}]
    cfg = scan_config(tmp_path / "scan.yaml", rules)
    log = tmp_path / "nonl.log"
    log.write_bytes(b"x\ny")
    out = scan(cfg, log)
    assert totals(out) == {"y_line": 1, "any": 2}
    assert out["records"] == 2
    assert out["bytes"] == 3
    out = scan(cfg, input=b"x\r\ny")
    assert totals(out) == {"y_line": 1, "any": 2}
    assert out["records"] == 2


def test_empty_input_has_no_records(tmp_path):
    cfg = scan_config(tmp_path / "scan.yaml", [{"name": "any", "match": "^"}])
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    out = scan(cfg, log)
    assert out == {"rules": [{"name": "any", "total": 0}], "records": 0, "bytes": 0,
                   "lines_truncated": 0, "unmatched": 0, "parse_errors": 0}


def test_long_lines_are_cut_and_counted(tmp_path):
    max_line = 1024
    rules = [
        {"name": "tail_marker", "match": "TAIL"},        # only past the cut
        {"name": "head_marker", "match": "^HEAD"},
        {"name": "ends_in_q", "match": "q$"},            # $ at the cut point
        {"name": "straddle", "match": "q{1000}STRADDLE"},
    ]
    lines = []
    for n in (1, 1023, 1024, 1025, 2048, 5000, 70000):
        lines.append(b"HEAD" + b"q" * (n - 4) + b"TAIL")   # length n + 4
        lines.append(b"q" * n)
    lines.append(b"q" * 1017 + b"STRADDLE")                  # 1025 bytes
    data = b"\n".join(lines) + b"\n"
    recs = records_of(data)
    cfg = scan_config(tmp_path / "scan.yaml", rules, max_line=max_line)
    out = scan(cfg, input=data)
    assert out["records"] == len(recs)
    assert out["bytes"] == len(data)
    assert out["lines_truncated"] == sum(1 for r in recs if len(r) > max_line)
    assert totals(out) == expected_counts(recs, rules, max_line=max_line)
    # By hand: 6 HEAD..TAIL lines (n + 4 > 1024 for every n but 1), 4 q lines
    # (n > 1024) and the STRADDLE line are cut; TAIL survives only for n = 1;
    # q$ holds for the 7 q lines and the HEAD lines with n >= 1024 (5).
    assert out["lines_truncated"] == 11
    assert totals(out) == {"tail_marker": 1, "head_marker": 7, "ends_in_q": 12, "straddle": 0}


def test_several_files_add_up(tmp_path):
    rng = random.Random(3)
    rules = [
        {"name": "err", "match": "error", "caseless": True},
        {"name": "joined", "match": "^tail-of-one(head-of-two)?$"},
        {"name": "glued", "match": "onehead"},
        {"name": "num", "match": "^[0-9]+$"},
    ]
    files, all_recs, size = [], [], 0
    for i in range(4):
        body = b"".join(
            rng.choice([b"ERROR x", b"fine", b"an error", b"12345", b"12a"]) + rng.choice([b"\n", b"\r\n"])
            for _ in range(rng.randrange(50, 300)))
        if i == 1:
            body += b"tail-of-one"          # no final newline: must not join the next file
        if i == 2:
            body = b"head-of-two\n" + body
        p = tmp_path / f"part{i}.log"
        p.write_bytes(body)
        files.append(p)
        all_recs += records_of(body)
        size += len(body)
    cfg = scan_config(tmp_path / "scan.yaml", rules)
    out = scan(cfg, *files)
    assert out["records"] == len(all_recs)
    assert out["bytes"] == size
    want = expected_counts(all_recs, rules)
    assert want["joined"] == 1 and want["glued"] == 0
    assert totals(out) == want
    # And per file, the totals add up to the same.
    per_file = [totals(scan(cfg, f)) for f in files]
    assert {k: sum(t[k] for t in per_file) for k in want} == want


def test_large_input_across_many_batches(tmp_path):
    """Several MB with small batches: records split across batch edges."""
    rng = random.Random(11)
    words = [b"error", b"ERROR", b"warn", b"ok", b"id=7", b"id=x", b"done", b"\xff", b"\x00"]
    lines = []
    for _ in range(60000):
        n = rng.randrange(0, 12)
        ln = b" ".join(rng.choice(words) for _ in range(n))
        lines.append(ln + rng.choice([b"\n", b"\r\n"]))
    data = b"".join(lines)
    rules = [
        {"name": "err", "match": "error", "caseless": True},
        {"name": "warn_first", "match": "^warn"},
        {"name": "done_last", "match": "done$"},
        {"name": "id_alpha", "match": "id=[^0-9]"},
        {"name": "empty", "match": "^$"},
        {"name": "ff", "match": "\\xff"},
        {"name": "nul_then_ok", "match": "\\x00 ok"},
    ]
    cfg = scan_config(tmp_path / "scan.yaml", rules, workers=3, batch_size=65536, max_line=4096)
    out = scan(cfg, input=data)
    recs = records_of(data)
    assert out["records"] == len(recs) == 60000
    assert out["bytes"] == len(data)
    assert out["lines_truncated"] == 0
    assert totals(out) == expected_counts(recs, rules)


def test_missing_file_fails_and_names_it(tmp_path):
    cfg = scan_config(tmp_path / "scan.yaml", AB)
    good = tmp_path / "good.log"
    good.write_bytes(b"ab\n")
    missing = tmp_path / "no-such-file.log"
    for args in ([missing], [good, missing], [missing, good]):
        r = run_weir("scan", "-c", cfg, *args)
        assert r.returncode != 0, r.stdout
        assert str(missing) in r.stderr, r.stderr


def test_scan_with_bad_config_fails_with_position(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("rules:\n  - name: r\n    match: 'a{2,1}'\n")
    r = run_weir("scan", "-c", cfg, input=b"aa\n")
    assert r.returncode == 2
    assert re.search(rf"^{re.escape(str(cfg))}:3:12: .*'r'", r.stderr, re.M), r.stderr


def test_stdin_arriving_in_pieces(tmp_path):
    """Reads end anywhere: inside a line, between CR and LF, before the last
    unterminated line. The records are still the lines."""
    rules = [{"name": "done_end", "match": "done$"}, {"name": "cr", "match": "\\r"},
             {"name": "ab", "match": "^ab$"}, {"name": "split_word", "match": "^hello world$"}]
    pieces = [b"ends with done\r", b"\nhel", b"lo world\r\n", b"a", b"b\nlast done"]
    cfg = scan_config(tmp_path / "scan.yaml", rules)
    p = subprocess.Popen([WEIR_BIN, "scan", "-c", str(cfg)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for piece in pieces[:-1]:
            p.stdin.write(piece)
            p.stdin.flush()
            time.sleep(0.05)
        out, err = p.communicate(pieces[-1], timeout=RUN_TIMEOUT)  # then EOF
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert_no_sanitizer_report(err.decode("utf-8", "replace"))
    assert p.returncode == 0, err
    got = strict_json(out)
    data = b"".join(pieces)
    recs = records_of(data)
    assert got["records"] == len(recs) == 4
    assert got["bytes"] == len(data)
    assert totals(got) == expected_counts(recs, rules) == {"done_end": 2, "cr": 0, "ab": 1,
                                                           "split_word": 1}
