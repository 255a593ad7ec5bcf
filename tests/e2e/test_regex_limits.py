"""A rule's captures cannot stall a worker, and what they lose is counted.

PCRE2 runs a rule's captures (Hyperscan only decides the match). A regex
such as (?<x>(a+)+)b backtracks exponentially on a long run of a's: PCRE2
now stops after PAT_MATCH_LIMIT steps and the rule counts
match_limit_hits; `weir check` warns about such regexes. When PCRE2's JIT
cannot run (the kernel refuses writable-then-executable memory, as under
systemd's MemoryDenyWriteExecute), weir says so once and counts the rules
that run interpreted. Matches whose value:/top:/distinct: field is absent
are counted (fields_missing) instead of vanishing.
"""

import json
import signal
import sys

from conftest import WEIR_BIN, poll, run_weir, yq

# Run weir with the kernel's memory-deny-write-execute (prctl PR_SET_MDWE,
# PR_MDWE_REFUSE_EXEC_GAIN; Linux >= 6.3), inherited across execve: the
# same refusal MemoryDenyWriteExecute=yes gives a systemd service.
MDWE = [sys.executable, "-c",
        "import ctypes, os, sys\n"
        "if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0):\n"
        "    sys.exit('prctl(PR_SET_MDWE) failed: errno %d' % ctypes.get_errno())\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n"]

PATHO = "'(?<x>(a+)+)b'"


def write_rules(path, extra=""):
    path.write_text(
        "listen: 127.0.0.1:0\n"
        "rules:\n"
        f"  - name: patho\n    match: {PATHO}\n    top: x\n"
        "  - name: user\n    match: 'user=(?<u>\\w+)|nouser'\n    top: u\n"
        + extra)
    return path


def rule(result, name):
    return next(r for r in result["rules"] if r["name"] == name)


def test_pathological_captures_stop_at_the_limit_and_are_counted(tmp_path):
    cfg = write_rules(tmp_path / "weir.yaml")
    log = tmp_path / "a.log"
    bad = ["a" * 40 + "c ab"] * 300
    good = ["xab", "aab"] * 50
    users = ["user=alice", "user=bob", "nouser", "user=alice"] * 25
    log.write_text("\n".join(bad + good + users) + "\n")
    r = run_weir("scan", "-c", cfg, log)
    assert r.returncode == 0, r.stderr
    out = r.json()
    patho = rule(out, "patho")
    assert patho["total"] == 400
    # every pathological line gave up; the 100 short ones were captured
    assert patho["match_limit_hits"] == 300
    assert patho["fields_missing"] == 300
    assert {i["value"]: i["count"] for i in patho["top"]["items"]} == {"a": 50, "aa": 50}
    user = rule(out, "user")
    assert user["total"] == 100
    assert user["fields_missing"] == 25  # the "nouser" lines matched without a user
    assert "match_limit_hits" not in user


def test_check_warns_about_nested_repetition_with_its_place(tmp_path):
    cfg = write_rules(tmp_path / "weir.yaml")
    r = run_weir("check", "-c", cfg)
    assert r.returncode == 0, r.stderr
    assert f"{cfg}:4:12: warning: rule 'patho': the group at offset 5 repeats" in r.stderr, r.stderr
    assert "rule 'user'" not in r.stderr
    safe = tmp_path / "safe.yaml"
    safe.write_text("rules:\n  - name: ok\n    match: 'from (?<ip>\\S+) port (?<p>\\d+)'\n"
                    "    top: ip\n")
    r = run_weir("check", "-c", safe)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_a_jit_refused_by_the_kernel_is_said_once_and_counted(weir, tmp_path):
    log = tmp_path / "a.log"
    log.write_text("user=alice\nxab\n")
    cfg = tmp_path / "weir.yaml"
    cfg.write_text(
        "listen: 127.0.0.1:0\n"
        f"state_dir: {yq(tmp_path / 'state')}\n"
        "sources:\n"
        f"  - name: app\n    type: file\n    path: {yq(log)}\n    start: beginning\n"
        "rules:\n"
        f"  - name: patho\n    match: {PATHO}\n    top: x\n"
        "  - name: user\n    match: 'user=(?<u>\\w+)'\n    top: u\n"
        "  - name: plain\n    match: 'x'\n"
        "tuning: {tick_ms: 100}\n")
    d = weir.start(cfg, prefix=MDWE)
    snap = d.poll_snapshot(lambda s: {r["name"]: r["total"] for r in s["rules"]}
                           == {"patho": 1, "user": 1, "plain": 1})
    user = next(r for r in snap["rules"] if r["name"] == "user")
    assert [i["value"] for i in user["top"]["items"]] == ["alice"]  # captured, interpreted
    stats = d.get("/api/v1/stats")[2]
    assert stats["pcre2_interpreted_rules"] == 2
    # a reload compiles again: still said once
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log(r"reload: 3 rules")
    assert d.stderr().count("PCRE2 JIT unavailable") == 1, d.stderr()
    assert "the captures of 2 rule(s) run interpreted" in d.stderr()
