"""Syslog receivers: UDP (IPv4, IPv6) and a unix datagram socket, fed by the
real util-linux `logger` and by floods; every datagram is one record, and
received + dropped always equals sent."""
import socket
import subprocess
import time

import pytest

from conftest import SANITIZER, poll, run_weir, totals, unused_port


def free_udp_port(family=socket.AF_INET, host="127.0.0.1"):
    return unused_port(socket.SOCK_DGRAM, (host,))


RULES = [
    {"name": "any", "match": "^"},
    {"name": "sshd", "match": "sshd"},
    {"name": "fail", "match": "Failed password"},
]


def syslog_source(d):
    return d.source("sys")


def test_logger_over_udp_ipv4_ipv6_and_unix_socket(weir, tmp_path):
    port = free_udp_port()
    sock = tmp_path / "log.sock"
    d = weir.start(sources=[{"name": "sys", "listen": [f"udp://127.0.0.1:{port}",
                                                        f"udp://[::1]:{port}",
                                                        f"unix://{sock}"]}],
                   rules=RULES)
    assert sock.is_socket()
    sent = [
        ["--udp", "--server", "127.0.0.1", "--port", str(port), "--rfc5424", "-t", "sshd",
         "Failed password for root from 10.0.0.1 port 22"],
        ["--udp", "--server", "127.0.0.1", "--port", str(port), "--rfc3164", "-t", "cron",
         "job done"],
        ["--udp", "--server", "::1", "--port", str(port), "--rfc5424", "-t", "sshd",
         "Accepted publickey for alice"],
        ["--socket", str(sock), "-t", "sshd", "Failed password for bob"],
        ["--socket", str(sock), "--rfc5424", "-t", "app", "unix 5424"],
    ]
    for args in sent:
        subprocess.run(["logger", *args], check=True, timeout=10)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == len(sent))
    assert totals(snap) == {"any": 5, "sshd": 3, "fail": 2}
    src = syslog_source(d)
    assert src["type"] == "syslog"
    assert src["received"] == 5 and src["dropped_full"] == 0 and src["dropped_kernel"] == 0
    assert src["lines"] == 5


def test_datagram_edge_cases_are_single_records(weir, tmp_path):
    """Trailing LF/CR/NUL are dropped, an LF inside does not split the
    record, an empty datagram is an empty record, bytes that are not UTF-8
    pass, and a datagram over max_line is cut and counted."""
    port = free_udp_port()
    d = weir.start(sources=[{"name": "sys", "listen": f"udp://127.0.0.1:{port}"}],
                   rules=[{"name": "any", "match": "^"}, {"name": "two", "match": "one two"},
                          {"name": "tail", "match": "TAIL"}],
                   max_line="1KiB")
    msgs = [b"<13>one\ntwo\n", b"<13>crlf\r\n", b"<13>nul\x00", b"", b"\xff\xfe\x00\x01 bad",
            b"<13>" + b"x" * 5000 + b"TAIL"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in msgs:
            s.sendto(m, ("127.0.0.1", port))
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == len(msgs))
    assert totals(snap) == {"any": 6, "two": 1, "tail": 0}
    src = syslog_source(d)
    assert src["lines_truncated"] == 1
    assert src["bytes_discarded"] == len(msgs[-1]) - 1024


def flood_until_counted(d, port, payloads, n):
    """Send n datagrams (cycling through payloads) as fast as one sender
    can, then markers, slowly, until received + dropped_full +
    dropped_kernel accounts for every datagram sent (SO_RXQ_OVFL arrives
    with the next datagram received after a drop). Returns (the source,
    datagrams sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        dst = ("127.0.0.1", port)
        for i in range(n):
            s.sendto(payloads[i % len(payloads)], dst)
        marks = 0

        def marker_seen():
            nonlocal marks
            s.sendto(b"<134>marker", dst)
            marks += 1
            time.sleep(0.05)
            src = syslog_source(d)
            return src["received"] + src["dropped_full"] + src["dropped_kernel"] == n + marks \
                and src
        src = poll(marker_seen)
    assert src, (syslog_source(d), n + marks)
    return src, n + marks


def test_udp_flood_received_plus_dropped_equals_sent(weir, tmp_path):
    """A flood of 1,000,000 datagrams as fast as one sender can go. Drops
    are allowed (UDP cannot push back) but must all be counted: the kernel's
    (SO_RXQ_OVFL) and weir's own; received counts exactly the records kept."""
    port = free_udp_port()
    d = weir.start(sources=[{"name": "sys", "listen": f"udp://127.0.0.1:{port}"}],
                   rules=[{"name": "any", "match": "^"}, {"name": "odd", "match": "[13579]$"}])
    n = 1_000_000 if not SANITIZER else 200_000
    payloads = [b"<134>Nov 21 07:00:00 host app[1]: flood message %d" % i for i in range(1000)]
    src, sent = flood_until_counted(d, port, payloads, n)
    assert_received_is_what_weir_kept(d, src)
    print(f"flood: sent {sent}, received {src['received']}, dropped by the kernel "
          f"{src['dropped_kernel']}, by weir {src['dropped_full']}")


def assert_received_is_what_weir_kept(d, src):
    """After a flood from one sender (127.0.0.1): received is exactly the
    records weir counts (lines, ingest records, the listener's received),
    and the sender's top_peers entry counts every datagram weir got from it
    (received + dropped_full) and carries every weir-side drop."""
    li = src["listeners"][0]
    assert li["received"] == src["received"] and li["dropped_full"] == src["dropped_full"], li
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] >= src["received"])
    assert snap["ingest"]["records"] == src["received"]
    d.hold_snapshot(lambda s: s["ingest"]["records"] == src["received"], 0.5)
    assert d.source("sys")["lines"] == src["received"]
    got = src["received"] + src["dropped_full"]
    # top_peers is published about once a second: poll for its final count
    peer = poll(lambda: (lambda p: p if p and p[0]["messages"] >= got else None)(
        d.source("sys")["listeners"][0]["top_peers"]))
    assert peer and peer[0]["peer"] == "127.0.0.1", peer
    assert peer[0]["messages"] == got and peer[0]["dropped"] == src["dropped_full"], (peer, src)


# Rules slow enough that one worker falls behind a flood of long datagrams,
# so that weir itself has to drop (dropped_full), not only the kernel.
SLOW_RULES = [
    {"name": "any", "match": "^"},
    {"name": "alternation",
     "match": r"(host[0-3]|app\[[0-9]*5\]).*(a|b|c|d|e|f)[0-9]{1,2}/c.*took (1|2|3)[0-9][0-9]ms"},
    {"name": "caseless", "match": r"HOST[12].*USER[0-9]*9[0-9] REQ", "caseless": True},
    {"name": "repeat", "match": r"((req|path|status) [0-9a-z/]+ .*){3}took [0-9]*[13579]ms$"},
]


def test_udp_drops_by_weir_are_not_received(weir, tmp_path):
    """A flood of long datagrams (14.7 KB, a handful fill a 64 KiB batch)
    into one worker with slow rules, so that weir drops datagrams itself
    (dropped_full > 0): those are not in `received`, which counts exactly
    the records weir keeps, so received + dropped_full + dropped_kernel ==
    sent; the sender's top_peers entry counts every datagram weir got from
    it and the dropped ones."""
    port = free_udp_port()
    d = weir.start(sources=[{"name": "sys", "listen": f"udp://127.0.0.1:{port}"}],
                   rules=SLOW_RULES, workers=1, batch_size="64KiB", max_line="16KiB")
    n = 20_000 if not SANITIZER else 5_000
    payloads = [(b"<134>Nov 21 07:00:00 host%d app[%d]: " % (i % 4, i % 97)) +
                b" ".join(b"user%d req %d path /%s%d/c status %d took %dms"
                          % (i % 1000, j, b"abcdefgh"[j % 8:j % 8 + 1], i % 13,
                             200 + j % 4 * 100, (i + j) % 977) for j in range(300))
                for i in range(100)]
    assert max(map(len, payloads)) < 16 << 10
    src, sent = flood_until_counted(d, port, payloads, n)
    assert src["dropped_full"] > 0, f"weir dropped nothing; the test proves nothing: {src}"
    assert src["lines_truncated"] == 0, src
    assert_received_is_what_weir_kept(d, src)
    print(f"flood: sent {sent}, received {src['received']}, dropped by the kernel "
          f"{src['dropped_kernel']}, by weir {src['dropped_full']}")


def test_port_in_use_is_a_clear_startup_error(weir, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        cfg = weir.config(sources=[{"name": "sys", "listen": f"udp://127.0.0.1:{port}"}],
                          rules=RULES)
        r = run_weir("serve", "-c", cfg, timeout=30)
    assert r.returncode != 0
    assert f"cannot listen on udp://127.0.0.1:{port}: Address already in use" in r.stderr


def test_fields_over_udp_and_unix_and_parse_errors(weir, tmp_path):
    """Datagrams are parsed into fields that rules test (`where:`); one
    whose header does not parse is still a record, matched as text, and
    counted in parse_errors; one that is not syslog at all has no fields
    and is no parse error. A unix socket sender has no address: `peer`
    conditions fail for it."""
    port = free_udp_port()
    sock = tmp_path / "log.sock"
    cfg = tmp_path / "fields.yaml"
    cfg.write_text(
        "listen: 127.0.0.1:0\n"
        f"state_dir: {tmp_path / 'state'}\n"
        "sources:\n"
        "  - name: sys\n"
        "    type: syslog\n"
        f"    listen: [udp://127.0.0.1:{port}, unix://{sock}]\n"
        "rules:\n"
        "  - {name: any, match: '^'}\n"
        "  - {name: sshd_err, where: {severity: '<=err', app: sshd}}\n"
        "  - {name: kern, where: {facility: kern}}\n"
        "  - {name: web1, where: {host: web1}}\n"
        "  - {name: lo, where: {peer: 127.0.0.1}}\n"
        "  - {name: failed, match: Failed}\n"
        "tuning: {workers: 2, tick_ms: 100}\n")
    d = weir.start(cfg)
    msgs = [
        b"<35>Nov 21 07:00:00 web1 sshd[7]: Failed password for root",  # auth.err
        b"<3>1 2026-11-21T07:00:00Z web1 kernel - - - oops",  # kern.err
        b"<38>1 2026-11-21T07:00:00Z web2 sshd 1 - - Failed again",  # auth.info
        b"<999>Nov 21 07:00:00 web1 sshd: Failed bad PRI",  # parse error
        # a parse error, but the header's other fields still count
        b"<13>1 2026-11-21T7:00:00Z web1 app - - - bad stamp",
        b"just some text, Failed",  # not syslog: no fields, no error
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in msgs:
            s.sendto(m, ("127.0.0.1", port))
    subprocess.run(["logger", "--socket", str(sock), "-t", "sshd", "-p", "auth.crit",
                    "Failed over the unix socket"], check=True, timeout=10)
    n = len(msgs) + 1
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] == n)
    assert totals(snap) == {"any": n, "sshd_err": 2, "kern": 1, "web1": 3, "lo": len(msgs),
                            "failed": 5}
    src = syslog_source(d)
    assert src["parse_errors"] == 2
    assert [lst["received"] for lst in src["listeners"]] == [len(msgs), 1]
