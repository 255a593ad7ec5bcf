"""Real logs from outside the team (../shared/testdata, see its SOURCES.md)
with ground truth from upstream: each rule below selects exactly one loghub
event template (or one level), so weir's total must equal the count that
loghub/expected_counts.json gives for it (compiled from upstream's
*_structured.csv). The nginx shop log is checked against its
derived_counts.json.

The loghub *_2k.log files use CRLF and (except HDFS) have no newline after
the last line: 2,000 records each.

Before comparing weir with the ground truth, each rule is run with Python
`re` over the same records and must give the ground-truth count too; that
proves the rule selects its template, so a mismatch afterwards is weir's."""

import json
import re
import time

import pytest

from conftest import expected_counts, records_of, run_weir, scan_config

# system -> [(rule name, regex, caseless, expected_counts key, [ids])]
LOGHUB = {
    "OpenSSH": [
        ("accepted_password", r"Accepted password for [^ ]+ from [0-9.]+ port [0-9]+ ssh2$",
         False, "by_event_id", ["E1"]),
        ("failed_password", r"sshd\[[0-9]+\]: Failed password for ", False, "by_event_id",
         ["E9", "E10"]),
        ("failed_password_invalid_user", r"Failed password for invalid user .* from ", False,
         "by_event_id", ["E10"]),
        ("invalid_user", r"sshd\[[0-9]+\]: Invalid user ", False, "by_event_id", ["E13"]),
        # Caseless: "Invalid user" (E13) and "invalid user" (E8, E10, E12).
        ("invalid_user_any_case", r"INVALID USER", True, "by_event_id",
         ["E8", "E10", "E12", "E13"]),
        ("break_in_attempt", r"POSSIBLE BREAK-IN ATTEMPT!$", False, "by_event_id", ["E27"]),
        ("bye_bye", r"Received disconnect from [0-9.]+: [0-9]+: Bye Bye \[preauth\]$", False,
         "by_event_id", ["E24"]),
        ("auth_failure_with_user",
         r"pam_unix\(sshd:auth\): authentication failure;.* user=[^ ]+$", False,
         "by_event_id", ["E20"]),
        # E19 lines end in "rhost=HOST " + CRLF: the space is data, the CR is not.
        ("auth_failure_no_user", r"pam_unix\(sshd:auth\): authentication failure; .*rhost=[^ ]+ $",
         False, "by_event_id", ["E19"]),
        ("check_pass_unknown", r"check pass; user unknown$", False, "by_event_id", ["E21"]),
        ("message_repeated", r"message repeated [0-9]+ times: \[ Failed password", False,
         "by_event_id", ["E14"]),
        ("closed_preauth", r"Connection closed by [0-9.]+ \[preauth\]$", False, "by_event_id",
         ["E2"]),
        ("no_identification", r"Did not receive identification string from ", False,
         "by_event_id", ["E3"]),
        ("too_many_failures",
         r"Disconnecting: Too many authentication failures for (admin|root) \[preauth\]", False,
         "by_event_id", ["E4", "E5"]),
        ("no_more_methods", r"error: Received disconnect from .*No more user authentication "
         r"methods available\. \[preauth\]", False, "by_event_id", ["E7"]),
    ],
    "Apache": [
        ("level_notice", r"^\[[^]]+\] \[notice\] ", False, "by_level", ["notice"]),
        ("level_error", r"^\[[^]]+\] \[error\] ", False, "by_level", ["error"]),
        ("found_child", r"jk2_init\(\) Found child [0-9]+ in scoreboard slot [0-9]+$", False,
         "by_event_id", ["E1"]),
        ("worker_env_ok", r"workerEnv\.init\(\) ok ", False, "by_event_id", ["E2"]),
        ("error_state", r"mod_jk child workerEnv in error state [0-9]+$", False, "by_event_id",
         ["E3"]),
        ("directory_forbidden", r"\[client [0-9.]+\] Directory index forbidden by rule: ", False,
         "by_event_id", ["E4"]),
        ("cant_find_child", r"jk2_init\(\) Can't find child [0-9]+ in scoreboard$", False,
         "by_event_id", ["E5"]),
        ("child_init", r"mod_jk child init -?[0-9]+ -?[0-9]+$", False, "by_event_id", ["E6"]),
    ],
    "HDFS": [
        ("level_info", r"^[0-9]{6} [0-9]{6} [0-9]+ INFO ", False, "by_level", ["INFO"]),
        ("level_warn", r"^[0-9]{6} [0-9]{6} [0-9]+ WARN ", False, "by_level", ["WARN"]),
    ],
    "Zookeeper": [
        ("level_info", r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+,[0-9]+ - INFO +\[", False,
         "by_level", ["INFO"]),
        ("level_warn", r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+,[0-9]+ - WARN +\[", False,
         "by_level", ["WARN"]),
        ("level_error", r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+,[0-9]+ - ERROR +\[", False,
         "by_level", ["ERROR"]),
    ],
}


@pytest.fixture(scope="module")
def loghub(testdata):
    with open(testdata / "loghub" / "expected_counts.json") as f:
        return json.load(f)


def loghub_rules(system, counts):
    """Rule dicts plus the ground-truth total for each."""
    rules, truth = [], {}
    for name, rx, caseless, key, ids in LOGHUB[system]:
        rules.append({"name": name, "match": rx, "caseless": caseless})
        truth[name] = sum(counts[system][key][i] for i in ids)
    return rules, truth


def assert_rules_select_truth(records, rules, truth):
    py = expected_counts(records, rules)
    assert py == truth, "test bug: a rule does not select exactly its template(s)"


@pytest.mark.parametrize("system", sorted(LOGHUB))
def test_loghub_scan_totals_equal_ground_truth(tmp_path, testdata, loghub, system):
    log = testdata / "loghub" / system / f"{system}_2k.log"
    data = log.read_bytes()
    assert b"\r\n" in data
    recs = records_of(data)
    assert len(recs) == loghub[system]["rows"] == 2000
    rules, truth = loghub_rules(system, loghub)
    assert_rules_select_truth(recs, rules, truth)

    cfg = scan_config(tmp_path / "loghub.yaml", rules)
    r = run_weir("scan", "-c", cfg, log)
    assert r.returncode == 0, r.stderr
    out = r.json()
    assert out["records"] == 2000
    assert out["bytes"] == len(data)
    assert out["lines_truncated"] == 0
    assert [x["name"] for x in out["rules"]] == [x["name"] for x in rules]
    assert {x["name"]: x["total"] for x in out["rules"]} == truth


def shop_rules(derived):
    rules, truth = [], {}
    for status, n in derived["by_status"].items():
        rules.append({"name": f"status_{status}", "match": f'^[^"]*"[^"]*" {status} '})
        truth[f"status_{status}"] = n
    for method, n in derived["by_method"].items():
        rules.append({"name": f"method_{method}",
                      "match": f'^[0-9.]+ - [^ ]+ \\[[^]]+\\] "{method} '})
        truth[f"method_{method}"] = n
    for i, (ip, n) in enumerate(derived["top5_client_ips"].items()):
        rules.append({"name": f"top_ip_{i}", "match": "^" + re.escape(ip) + " "})
        truth[f"top_ip_{i}"] = n
    # Per-minute counts are given in UTC; the log's clock is +03:30.
    for i, (minute, n) in enumerate(derived["per_minute_utc"].items()):
        m = re.fullmatch(r"2019-01-22T(\d\d):(\d\d)Z", minute)
        assert m, minute
        total = int(m.group(1)) * 60 + int(m.group(2)) + 3 * 60 + 30
        local = f"22/Jan/2019:{total // 60:02d}:{total % 60:02d}:"
        rules.append({"name": f"minute_{i}", "match": "\\[" + local + "[0-9]{2} \\+0330\\]"})
        truth[f"minute_{i}"] = n
    return rules, truth


def test_nginx_shop_log_scan_totals_equal_derived_counts(tmp_path, testdata):
    base = testdata / "access_logs" / "lnav" / "logfile_shop_access_log.0"
    derived = json.loads(base.with_name(base.name + ".derived_counts.json").read_text())
    data = base.read_bytes()
    recs = records_of(data)
    assert len(recs) == derived["lines"] == 1000
    rules, truth = shop_rules(derived)
    assert_rules_select_truth(recs, rules, truth)

    cfg = scan_config(tmp_path / "shop.yaml", rules, workers=3)
    r = run_weir("scan", "-c", cfg, base)
    assert r.returncode == 0, r.stderr
    out = r.json()
    assert out["records"] == 1000
    assert out["bytes"] == len(data)
    assert {x["name"]: x["total"] for x in out["rules"]} == truth


def test_daemon_tailing_real_logs_reaches_ground_truth(weir, tmp_path, testdata, loghub):
    """The daemon tails copies of the OpenSSH and Apache logs (written in
    chunks). Their last lines have no newline, so they are only records once
    a CRLF is appended; then every total equals the ground truth."""
    rules, truth = [], {}
    for system in ("OpenSSH", "Apache"):
        r, t = loghub_rules(system, loghub)
        for x in r:
            x["name"] = f"{system.lower()}_{x['name']}"
        rules += r
        truth.update({f"{system.lower()}_{k}": v for k, v in t.items()})
    srcs, datas = [], []
    for system in ("OpenSSH", "Apache"):
        p = tmp_path / f"{system}.log"
        p.write_bytes(b"")
        srcs.append({"name": system.lower(), "path": p})
        datas.append((testdata / "loghub" / system / f"{system}_2k.log").read_bytes())
    assert_rules_select_truth(records_of(datas[0]) + records_of(datas[1]), rules, truth)

    d = weir.start(sources=srcs, rules=rules, workers=2)
    d.wait_log(r"source 'apache': reading")
    step = 50000
    for off in range(0, max(map(len, datas)), step):
        for s, data in zip(srcs, datas):
            with open(s["path"], "ab") as f:
                f.write(data[off:off + step])
        time.sleep(0.02)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == 3998)
    assert snap["ingest"]["records"] == 3998  # the two unterminated last lines wait
    for s in srcs:
        with open(s["path"], "ab") as f:
            f.write(b"\r\n")

    def done(s):
        return (s["ingest"]["records"] == 4000
                and {r["name"]: r["total"] for r in s["rules"]} == truth)

    snap = d.poll_snapshot(done)
    assert snap["ingest"]["records"] == 4000
    assert {r["name"]: r["total"] for r in snap["rules"]} == truth
    for r in snap["rules"]:
        assert r["windows"]["5m"]["count"] == truth[r["name"]], r

