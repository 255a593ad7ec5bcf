"""A bad config is fatal at start-up, for `weir check` and `weir serve`
alike: exit 2 and one `FILE:LINE:COL: message` line per problem, pointing at
the offending text. Positions are found here by searching the config text."""

import re
import subprocess

import pytest

from conftest import EXIT_TIMEOUT, LISTEN_RE, WEIR_BIN, assert_no_sanitizer_report, run_weir

HEAD = "listen: 127.0.0.1:0\nstate_dir: /tmp/weir-e2e-unused\n"


def pos(text, needle, nth=1):
    """1-based (line, col) of the nth occurrence of needle in text."""
    i = -1
    for _ in range(nth):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


# (id, config text, [(needle, nth, [words the message must contain])])
CASES = [
    ("unknown_top_level_key",
     HEAD + "windows: [10s]\nbogus_key: 1\n",
     [("bogus_key", 1, ["unknown key", "bogus_key"])]),
    ("unknown_key_in_source",
     HEAD + "sources:\n  - name: s\n    type: file\n    path: /tmp/x.log\n    strat: end\n",
     [("strat", 1, ["unknown key", "strat"])]),
    ("unknown_key_in_rule_flow_mapping",
     HEAD + "rules:\n  - {name: r, match: abc, casless: true}\n",
     [("casless", 1, ["unknown key", "casless"])]),
    ("two_unknown_keys_both_reported",
     HEAD + "tuning:\n  workers: 2\n  wrokers: 3\nfoo: 1\n",
     [("wrokers", 1, ["unknown key", "wrokers"]), ("foo", 1, ["unknown key", "foo"])]),
    ("bad_regex_inverted_repeat",
     HEAD + "rules:\n  - name: fine\n    match: abc\n  - name: inverted\n    match: 'a{2,1}'\n",
     [("'a{2,1}'", 1, ["inverted", "a{2,1}"])]),
    ("bad_regex_lookbehind_plain_scalar_deep_column",
     HEAD + "rules:\n  - name: lookbehind\n    caseless: true\n    match:      (?<=a+)b\n",
     [("(?<=a+)b", 1, ["lookbehind", "(?<=a+)b"])]),
    ("two_bad_regexes_in_flow_mappings",
     HEAD + "rules:\n  - {name: one,   match: \"a{2,1}\"}\n  - {name: ok, match: x}\n"
            "  - {name: two, match: '(?<=a+)b'}\n",
     [('"a{2,1}"', 1, ["one", "a{2,1}"]), ("'(?<=a+)b'", 1, ["two", "(?<=a+)b"])]),
    ("yaml_unclosed_flow_sequence",
     HEAD + "windows: [10s, 1m\nrules: []\n",
     [("[", 1, ["["])]),
    ("yaml_mapping_value_in_plain_scalar",
     HEAD + "rules:\n  - name: r\n    match: foo: bar\n",
     [(": bar", 1, [])]),
    ("duplicate_rule_name",
     HEAD + "rules:\n  - name: same\n    match: x\n  - name: same\n    match: y\n",
     [("same", 2, ["duplicate", "same"])]),
    ("bad_window_duration",
     HEAD + "windows: [10s, 1fortnight]\n",
     [("1fortnight", 1, ["1fortnight"])]),
]


def expected_prefixes(cfg, text, errors):
    out = []
    for needle, nth, words in errors:
        line, col = pos(text, needle, nth)
        out.append((f"{cfg}:{line}:{col}: ", words))
    return out


def check_messages(stderr, cfg, text, errors):
    lines = stderr.splitlines()
    for prefix, words in expected_prefixes(cfg, text, errors):
        hits = [ln for ln in lines if ln.startswith(prefix)]
        assert hits, f"no line starting {prefix!r} in:\n{stderr}"
        for w in words:
            assert any(w in h for h in hits), f"{w!r} not in {hits}"


@pytest.mark.parametrize("text,errors", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_reports_file_line_col(tmp_path, text, errors):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 2, (r.returncode, r.stderr)
    check_messages(r.stderr, cfg, text, errors)
    # Every line on stderr is one error in the FILE:LINE:COL: form.
    for ln in r.stderr.splitlines():
        assert re.match(rf"^{re.escape(str(cfg))}:\d+:\d+: \S", ln), ln
    assert b"ok" not in r.stdout


@pytest.mark.parametrize("text,errors", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_serve_refuses_to_start(tmp_path, text, errors):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    try:
        p = subprocess.run([WEIR_BIN, "serve", "-c", str(cfg)], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("weir serve kept running with a bad config")
    err = p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(err)
    assert p.returncode == 2, (p.returncode, err)
    assert not LISTEN_RE.search(err), err
    check_messages(err, cfg, text, errors)


def test_check_accepts_a_good_config(tmp_path):
    log = tmp_path / "x.log"
    text = (HEAD + "windows: [10s, 1m, 5m, 1h]\n"
            f"sources:\n  - {{name: x, type: file, path: '{log}', start: end}}\n"
            "rules:\n  - name: a\n    match: 'error|fail(ed|ure)'\n    caseless: true\n"
            "  - {name: b, match: '^[0-9]{4}-[0-9]{2}', flags: [dotall]}\n"
            "  - name: c.d-e_f\n    match: '\\x00[^\\r]*$'\n"
            "tuning: {workers: 3, batch_size: 262144, max_line: 4096, tick_ms: 250}\n")
    cfg = tmp_path / "good.yaml"
    cfg.write_text(text)
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert re.fullmatch(rf"{re.escape(str(cfg))}: ok \(.*\)\n", out), out
    assert "3 rules" in out and "4 windows" in out and "1 source" in out, out
    assert r.stderr == ""


@pytest.mark.parametrize("cmd", ["check", "serve"])
def test_missing_config_file_is_named(tmp_path, cmd):
    cfg = tmp_path / "does-not-exist.yaml"
    r = run_weir(cmd, "-c", cfg, timeout=EXIT_TIMEOUT)
    assert r.returncode != 0
    assert str(cfg) in r.stderr, r.stderr
    assert not LISTEN_RE.search(r.stderr)
