"""Syslog over TCP (RFC 6587): octet counting (`LEN SP MSG`) and LF framing,
detected per message, fed by the real util-linux `logger` and by raw sockets
written in odd chunks. TCP cannot drop, so every test counts exactly: every
message sent becomes one record, also when frames are cut at max_line, when
1,000 connections are open at once, when senders are slow or silent, at
shutdown, and when the workers fall behind. The connection limits
(max_connections, idle_timeout) and the per-listener counters of
GET /api/v1/sources are checked against counts computed here."""

import random
import resource
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (DEADLINE, SANITIZER, expected_counts, poll, run_weir, totals,
                      unused_port, with_source_keys)


# --- helpers ----------------------------------------------------------------

def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_tcp_port(hosts=("127.0.0.1",)):
    """A port that TCP can bind on every one of hosts."""
    return unused_port(socket.SOCK_STREAM, hosts)


def tcp_url(host, port):
    return f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"


def connect(port, host="127.0.0.1"):
    """A blocking client socket, Nagle off, so each send leaves at once."""
    s = socket.create_connection((host, port), timeout=DEADLINE)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def octet(msg):
    """msg framed by octet counting: `MSG-LEN SP MSG`."""
    return b"%d %s" % (len(msg), msg)


def with_fake_frames(size, fill, at=2000):
    """A message of exactly size bytes, "<13>" and fill bytes, with what
    looks like more frames (an LF, a MSG-LEN, lines) after `at` of them: a
    framer that loses count of it makes records of those."""
    msg = b"<13>" + fill * at + b"\n5 <13>x\n<13>fake frame\n"
    return msg + fill * (size - len(msg))


def send_split(sock, data, rng, max_chunk, pause=0.001):
    """Write data in chunks of 1..max_chunk bytes with a short pause after
    each, so that weir reads it in pieces split anywhere (inside a MSG-LEN,
    between CR and LF, ...). The pause only makes splits likely; no result
    depends on it."""
    i = 0
    while i < len(data):
        n = rng.randint(1, max_chunk)
        sock.sendall(data[i:i + n])
        i += n
        time.sleep(pause)


def assert_closed_by_weir(sock):
    """The peer (weir) closed sock: a read sees EOF or a reset."""
    sock.settimeout(DEADLINE)
    try:
        assert sock.recv(1) == b"", "weir sent data on a syslog connection"
    except ConnectionResetError:
        pass


def assert_still_open(sock):
    """weir has not closed sock: nothing to read, and no EOF."""
    sock.setblocking(False)
    try:
        with pytest.raises(BlockingIOError):
            sock.recv(1)
    finally:
        sock.settimeout(DEADLINE)


def hs_literal(data):
    """A pattern (Hyperscan and Python re alike) matching the bytes data
    literally: every byte but ASCII letters and digits written as \\xHH."""
    return "".join(chr(b) if chr(b).isalnum() and b < 128 else f"\\x{b:02x}" for b in data)


def hs_exact(record):
    """A pattern matching exactly the whole record `record`."""
    return "^" + hs_literal(record) + "$"


def exact_rules(records):
    """One rule per distinct record, matching only that record whole."""
    distinct = list(dict.fromkeys(records))
    return [{"name": f"rec{i}", "match": hs_exact(r)} for i, r in enumerate(distinct)]


def start_tcp(weir, listen, rules, *, max_line=None, workers=2, batch_size=None, extra="",
              **source_keys):
    """Start weir with one syslog source 'sys' listening on listen (a URL or a
    list); source_keys (max_connections=5, idle_timeout='2s') go into it;
    extra is top-level YAML appended to the config."""
    cfg = weir.config(sources=[{"name": "sys", "listen": listen}], rules=rules,
                      max_line=max_line, workers=workers, batch_size=batch_size)
    if extra:
        cfg.write_text(cfg.read_text() + extra)
    if source_keys:
        with_source_keys(cfg, "sys", **source_keys)
    return weir.start(cfg)


def sys_source(sources):
    return next(s for s in sources if s["name"] == "sys")


def listener_of(src, url):
    by_url = {li["url"]: li for li in src["listeners"]}
    assert url in by_url, f"no listener {url!r} in {sorted(by_url)}"
    return by_url[url]


def poll_listener(d, url, pred, timeout=DEADLINE):
    """Poll GET /api/v1/sources until pred(the listener of url); returns it."""
    ss = d.poll_sources(lambda ss: pred(listener_of(sys_source(ss), url)), timeout)
    return listener_of(sys_source(ss), url)


def wait_exact(d, records, rules):
    """Wait until weir has counted exactly len(records) records with the rule
    totals Python computes for them; returns the snapshot."""
    n, exp = len(records), expected_counts(records, rules)
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] > n
                           or (s["ingest"]["records"] == n and totals(s) == exp))
    assert snap["ingest"]["records"] == n, snap["ingest"]
    assert totals(snap) == exp
    return snap


def peers(li):
    """{peer: messages} of a listener's top_peers."""
    return {p["peer"]: p["messages"] for p in li["top_peers"]}


def assert_top_peers(d, url, expected):
    """The listener's top_peers come to be exactly expected ({peer:
    messages}), with no error bound (weir publishes them about once a
    second, so they are polled)."""
    li = poll_listener(d, url, lambda li: peers(li) == expected)
    assert peers(li) == expected, li["top_peers"]
    assert all(p["error"] == 0 for p in li["top_peers"]), li["top_peers"]


@pytest.fixture
def nofile():
    """Raise this process's open-file soft limit so that it, and the weir it
    starts (which inherits it), can each hold more than 1,000 sockets."""
    want = 4096
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        yield
        return
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is too low for 1,000 connections")
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- tests ------------------------------------------------------------------

# (server, framing options, format, tag, messages): one logger run each.
LOGGER_RUNS = [
    ("127.0.0.1", ["--octet-count"], "--rfc5424", "weirA",
     ["Failed password for root from 10.0.0.1 port 22", "session opened", "line three"]),
    ("127.0.0.1", [], "--rfc3164", "weirB", ["Failed password for bob", "job done"]),
    ("::1", ["--octet-count"], "--rfc3164", "weirC", ["Failed password for carol", "disk ok"]),
    ("::1", [], "--rfc5424", "weirD", ["Accepted publickey for alice"]),
]


def test_logger_over_tcp_octet_counting_and_lf_framing_ipv4_ipv6(weir):
    """The real util-linux logger over TCP, octet-counted and LF-framed,
    RFC 5424 and RFC 3164, to an IPv4 and an IPv6 listener of one source:
    each message is one record that starts at its PRI (no MSG-LEN left in
    it) and ends with the message text (no trailer left); rule totals, the
    per-listener counters and top_peers are exact."""
    port = free_tcp_port(("127.0.0.1", "::1"))
    v4, v6 = tcp_url("127.0.0.1", port), tcp_url("::1", port)
    texts = [m for run in LOGGER_RUNS for m in run[4]]
    rules = [{"name": "any", "match": "^"},
             {"name": "pri_first", "match": "^<13>"},
             {"name": "text_last",
              "match": "(" + "|".join(hs_literal(t.encode()) for t in texts) + ")$"},
             {"name": "fail", "match": "Failed password"},
             *({"name": f"tag_{run[3]}", "match": run[3]} for run in LOGGER_RUNS)]
    d = start_tcp(weir, [v4, v6], rules)
    for host, framing, fmt, tag, msgs in LOGGER_RUNS:
        subprocess.run(["logger", "--tcp", *framing, fmt, "--server", host, "--port", str(port),
                        "-t", tag], input="\n".join(msgs) + "\n", text=True, check=True,
                       timeout=10)

    n = len(texts)
    expected = {"any": n, "pri_first": n, "text_last": n,
                "fail": sum("Failed password" in m for m in texts),
                **{f"tag_{run[3]}": len(run[4]) for run in LOGGER_RUNS}}
    snap = d.poll_snapshot(lambda s: s["ingest"]["records"] > n
                           or (s["ingest"]["records"] == n and totals(s) == expected))
    assert snap["ingest"]["records"] == n
    assert totals(snap) == expected

    by_host = {h: sum(len(r[4]) for r in LOGGER_RUNS if r[0] == h) for h in ("127.0.0.1", "::1")}
    ss = d.poll_sources(lambda ss: all(li["connections"] == 0
                                       for li in sys_source(ss)["listeners"]))
    src = sys_source(ss)
    assert src["received"] == n and src["lines"] == n
    assert src["parse_errors"] == 0
    assert src["lines_truncated"] == 0 and src["dropped_full"] == 0
    for url, host in ((v4, "127.0.0.1"), (v6, "::1")):
        li = listener_of(src, url)
        assert li["received"] == by_host[host], li
        assert li["accepted"] == 2 and li["connections"] == 0, li
        assert li["refused"] == li["framing_errors"] == li["truncated"] == 0, li
        assert_top_peers(d, url, {host: by_host[host]})


# The stream of the framing test: (bytes on the wire, the record weir must
# make of them, or None when they are only framing).
FRAMING_MIX = [
    (octet(b"<13>octet one\nspans\nthree lines"), b"<13>octet one spans three lines"),
    (octet(b"<13>octet with its own lf\n"), b"<13>octet with its own lf"),
    (b"\n", None),  # a stray LF after an octet-counted frame: skipped
    (b"<13>lf framed\n", b"<13>lf framed"),
    (b"<13>crlf framed\r\n", b"<13>crlf framed"),
    (b"<13>nul trailer\x00", b"<13>nul trailer"),
    (b"\x00", None),  # an empty frame: skipped
    (b"<13>cr\rinside\n", b"<13>cr\rinside"),
    (octet(b"<13>octet crlf\r\n"), b"<13>octet crlf"),
    (b"\r\n", None),  # a stray CRLF: skipped
    (octet(b"<13>nul\x00inside"), b"<13>nul\x00inside"),
    (b"0007 x\n", b"0007 x"),  # leading zero: a framing error, taken as a line
    (b"2024-05-01 dated line\n", b"2024-05-01 dated line"),  # digit run ended by '-'
    (b"1234567890 ten digits\n", b"1234567890 ten digits"),  # a tenth digit
    (b"19\n", b"19"),  # a line of digits: no error
    (octet(b"<13>in sync after errors"), b"<13>in sync after errors"),
    (octet(b"9 <13>x"), b"9 <13>x"),  # a frame that looks like a header
    (b"<13>unterminated tail", b"<13>unterminated tail"),  # a record at close
]
FRAMING_MIX_ERRORS = 3


@pytest.mark.parametrize("chunking", ["whole", "bytewise", "random"])
def test_framing_mix_on_one_connection_in_any_chunks(weir, chunking):
    """Octet-counted frames (with LFs, CRLF or a NUL inside), LF, CRLF and
    NUL framed lines, empty frames and invalid MSG-LEN headers, mixed on one
    connection and written whole, one byte at a time or in random pieces:
    weir makes exactly the expected records (an LF inside a frame becomes a
    space, trailers go), counts each invalid header as a framing error but
    keeps it as a record, stays in sync after it, and makes the unterminated
    last frame a record when the connection closes."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    records = [rec for _, rec in FRAMING_MIX if rec is not None]
    rules = [{"name": "any", "match": "^"}, *exact_rules(records)]
    assert all(v == 1 for v in expected_counts(records, rules[1:]).values())
    d = start_tcp(weir, url, rules)

    data = b"".join(wire for wire, _ in FRAMING_MIX)
    with connect(port) as s:
        if chunking == "whole":
            s.sendall(data)
        elif chunking == "bytewise":
            send_split(s, data, random.Random(1), 1)
        else:
            send_split(s, data, random.Random(2), 17)
        # All but the unterminated tail, while the connection is open.
        wait_exact(d, records[:-1], rules)
    wait_exact(d, records, rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == len(records), li
    assert li["bytes"] == sum(map(len, records)), li
    assert li["framing_errors"] == FRAMING_MIX_ERRORS, li
    assert li["truncated"] == 0 and li["accepted"] == 1 and li["resets"] == 0, li


def test_oversized_frames_are_cut_and_framing_stays_in_sync(weir):
    """With max_line 1 KiB, an octet-counted frame of 5,000 bytes (whose cut
    rest looks like more frames) and an LF line of 5,000 bytes each become
    one record of their first 1 KiB; the rests are discarded and counted
    exactly; frames of exactly 1 KiB are whole; the frames after them parse."""
    max_line = 1024
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    big_octet = with_fake_frames(5000, b"a")
    big_line = b"<13>" + b"b" * 4996
    assert len(big_octet) == len(big_line) == 5000
    stream = [
        (octet(big_octet), b"<13>" + b"a" * 1020),
        (big_line + b"\n", b"<13>" + b"b" * 1020),
        (octet(b"<13>" + b"c" * 1020), b"<13>" + b"c" * 1020),
        (b"<13>" + b"d" * 1020 + b"\n", b"<13>" + b"d" * 1020),
        (b"<13>after one\n", b"<13>after one"),
        (octet(b"<13>after two"), b"<13>after two"),
    ]
    records = [rec for _, rec in stream]
    rules = [{"name": "any", "match": "^"},
             {"name": "cut_octet", "match": "^<13>a{1020}$"},
             {"name": "cut_line", "match": "^<13>b{1020}$"},
             {"name": "whole_octet", "match": "^<13>c{1020}$"},
             {"name": "whole_line", "match": "^<13>d{1020}$"},
             {"name": "fake", "match": "fake|<13>x"},
             {"name": "after", "match": "^<13>after (one|two)$"}]
    exp = expected_counts(records, rules)
    assert exp == {"any": 6, "cut_octet": 1, "cut_line": 1, "whole_octet": 1, "whole_line": 1,
                   "fake": 0, "after": 2}
    d = start_tcp(weir, url, rules, max_line="1KiB")
    with connect(port) as s:
        send_split(s, b"".join(w for w, _ in stream), random.Random(3), 700)
        wait_exact(d, records, rules)

    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == 6 and li["truncated"] == 2 and li["framing_errors"] == 0, li
    assert li["bytes"] == sum(map(len, records)), li
    src = d.source("sys")
    assert src["lines_truncated"] == 2
    assert src["bytes_discarded"] == 2 * (5000 - max_line)


def test_bogus_octet_count_does_not_swallow_the_messages_after_it(weir):
    """With the default max_line (64 KiB), one garbage 8-digit MSG-LEN
    ("12345678 ", 12 MB) on a connection is a framing error, not a frame:
    its line is one record, and the 10,000 messages sent after it on the
    same connection (octet-counted and LF-framed) are each a record, with
    nothing truncated or discarded."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    bogus = b"12345678 <13>bogus count"
    msgs = [b"<13>after %d" % i for i in range(10_000)]
    rules = [{"name": "any", "match": "^"},
             {"name": "bogus", "match": hs_exact(bogus)},
             {"name": "after", "match": "^<13>after [0-9]+$"}]
    d = start_tcp(weir, url, rules)
    data = bogus + b"\n" + b"".join(octet(m) if i % 2 else m + b"\n" for i, m in enumerate(msgs))
    with connect(port) as s:
        send_split(s, data, random.Random(5), 65536, pause=0)
        wait_exact(d, [bogus] + msgs, rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == 1 + len(msgs) and li["framing_errors"] == 1, li
    assert li["truncated"] == 0, li
    src = d.source("sys")
    assert src["lines_truncated"] == 0 and src["bytes_discarded"] == 0, src


def test_octet_count_cap_is_twice_max_line_and_at_least_64k(weir):
    """With max_line 1 KiB the cap on MSG-LEN is 64 KiB (OCTET_COUNT_FLOOR):
    a frame of exactly 65,536 octets is a frame (cut to 1 KiB, its rest
    skipped by count, so the fake headers inside it are no frames); a
    MSG-LEN of 65,537 is a framing error, its line one record, and framing
    stays in step for the frames after both."""
    max_line = 1024
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    at_cap = with_fake_frames(65536, b"a", at=3000)
    stream = [
        (octet(at_cap), b"<13>" + b"a" * (max_line - 4)),
        (b"<13>between\n", b"<13>between"),
        (b"65537 <13>over the cap\n", b"65537 <13>over the cap"),
        (octet(b"<13>after one"), b"<13>after one"),
        (b"999999999 <13>nine digits\n", b"999999999 <13>nine digits"),
        (b"<13>after two\n", b"<13>after two"),
    ]
    records = [rec for _, rec in stream]
    rules = [{"name": "any", "match": "^"}, {"name": "fake", "match": "fake|<13>x"},
             *exact_rules(records)]
    d = start_tcp(weir, url, rules, max_line="1KiB")
    with connect(port) as s:
        send_split(s, b"".join(w for w, _ in stream), random.Random(6), 4096, pause=0)
        wait_exact(d, records, rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == len(records) and li["framing_errors"] == 2, li
    assert li["truncated"] == 1, li
    src = d.source("sys")
    assert src["lines_truncated"] == 1 and src["bytes_discarded"] == 65536 - max_line, src


def test_thousand_concurrent_connections(weir, nofile):
    """1,000 connections open at once, each sending a few messages (octet
    counting or LF framing) in an interleaved order and then an unterminated
    frame: all 1,000 are open together, every complete message is counted
    while they stay open, and closing them turns each unterminated frame
    into a record and brings the open count back to 0."""
    n_conns, rounds = 1000, 3
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"},
             {"name": "even", "match": "^<13>conn [0-9]*[02468] "},
             {"name": "round1", "match": " round 1$"},
             {"name": "tail", "match": " tail$"}]
    d = start_tcp(weir, url, rules)

    def message(i, r):
        return b"<13>conn %d round %d" % (i, r)

    conns = []
    try:
        for _ in range(n_conns):
            conns.append(connect(port))
        li = poll_listener(d, url, lambda li: li["connections"] == n_conns)
        assert li["connections"] == n_conns and li["accepted"] == n_conns, li

        rng = random.Random(4)
        order = list(range(n_conns))
        sent = []
        for r in range(rounds):
            rng.shuffle(order)
            for i in order:
                msg = message(i, r)
                conns[i].sendall(octet(msg) if i % 2 else msg + b"\n")
                sent.append(msg)
        for i, s in enumerate(conns):
            s.sendall(b"<13>conn %d tail" % i)
        wait_exact(d, sent, rules)
        li = poll_listener(d, url, lambda li: li["received"] == len(sent))
        assert li["connections"] == n_conns and li["received"] == len(sent), li
    finally:
        for s in conns:
            s.close()

    tails = [b"<13>conn %d tail" % i for i in range(n_conns)]
    wait_exact(d, sent + tails, rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["accepted"] == n_conns and li["refused"] == 0, li
    assert li["received"] == len(sent) + n_conns and li["framing_errors"] == 0, li
    assert_top_peers(d, url, {"127.0.0.1": len(sent) + n_conns})


def test_open_file_limit_refuses_connections_and_keeps_the_api(weir, tmp_path):
    """Run under an open-file limit of 512 (hard, so weir cannot raise it):
    of 400 connections weir serves those that leave 256 descriptors free
    and refuses the rest (counted, with one warning); the HTTP API still
    answers, checkpoints still work, and the served ones are counted
    exactly."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"}]
    cfg = weir.config(sources=[{"name": "sys", "listen": url}], rules=rules,
                      checkpoint_interval="1s")
    d = weir.start(cfg, prefix=["prlimit", "--nofile=512:512", "--"])
    conns = []
    try:
        for _ in range(400):
            conns.append(connect(port))
        li = poll_listener(d, url, lambda li: li["accepted"] + li["refused"] == 400)
        assert 200 <= li["accepted"] <= 256 and li["refused"] == 400 - li["accepted"], li
        served = []
        for s in conns:
            try:
                s.sendall(b"<13>hello\n")
                served.append(s)
            except (BrokenPipeError, ConnectionResetError):
                pass
        d.wait_log("refusing connections on " + url)
        snap = d.poll_snapshot(lambda s: s["ingest"]["records"] >= li["accepted"])
        assert snap["ingest"]["records"] == li["accepted"]
        assert d.stderr().count("open-file limit (512) is nearly reached") == 1
        checkpoints = snap["ingest"]["checkpoints"]
        snap = d.poll_snapshot(lambda s: s["ingest"]["checkpoints"] > checkpoints + 1)
        assert snap["ingest"]["checkpoint_errors"] == 0
    finally:
        for s in conns:
            s.close()


def test_max_connections_refuses_the_rest(weir):
    """With max_connections 5, of 8 connections the first 5 are served and
    the other 3 are accepted and closed at once (refused == 3; they see EOF
    or a reset, and what they send is not counted); the 5 are counted
    exactly, and a closed one frees its slot for a new connection."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"}, {"name": "served", "match": "^<13>served "}]
    d = start_tcp(weir, url, rules, max_connections=5)

    conns = []
    try:
        # One at a time, so which ones are refused is known.
        for i in range(8):
            conns.append(connect(port))
            li = poll_listener(d, url, lambda li: li["accepted"] + li["refused"] == i + 1)
            assert li["accepted"] == min(i + 1, 5) and li["refused"] == max(0, i - 4), li
        served, refused = conns[:5], conns[5:]
        for s in refused:
            assert_closed_by_weir(s)
            try:
                s.sendall(b"<13>refused message\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        sent = []
        for r in range(2):
            for i, s in enumerate(served):
                msg = b"<13>served %d message %d" % (i, r)
                s.sendall(msg + b"\n")
                sent.append(msg)
        wait_exact(d, sent, rules)
        li = poll_listener(d, url, lambda li: li["received"] == len(sent))
        assert li["connections"] == 5 and li["refused"] == 3, li

        served[0].close()
        poll_listener(d, url, lambda li: li["connections"] == 4)
        late = connect(port)
        conns.append(late)
        li = poll_listener(d, url, lambda li: li["accepted"] == 6 and li["connections"] == 5)
        assert li["accepted"] == 6 and li["connections"] == 5 and li["refused"] == 3, li
        late.sendall(b"<13>served late\n")
        sent.append(b"<13>served late")
        wait_exact(d, sent, rules)
    finally:
        for s in conns:
            s.close()
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == len(sent) and li["refused"] == 3, li


def test_slow_and_half_open_clients_do_not_block_others(weir):
    """A client trickling one frame a byte every 0.2 s and a client that sent
    half a frame and went silent hold only their own partial frames: a third
    client's 10,000 messages are all counted while both still hang; then
    the slow frame completes and is counted, and the half frame becomes a
    record when its connection closes."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"},
             {"name": "fast", "match": "^<13>fast [0-9]+$"},
             {"name": "slow", "match": "^<13>slow x* done$"},
             {"name": "half", "match": "^<13>half open$"}]
    d = start_tcp(weir, url, rules)

    finish = threading.Event()
    trickled = []
    errors = []

    def trickle(s):
        """Send '<13>slow ' then 'x' bytes one every 0.2 s until finish,
        then ' done' and LF."""
        try:
            for b in b"<13>slow ":
                s.sendall(bytes([b]))
                finish.wait(0.2)
            while not finish.is_set():
                s.sendall(b"x")
                trickled.append(b"x")
                finish.wait(0.2)
            s.sendall(b" done\n")
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    with connect(port) as slow, connect(port) as half:
        t = threading.Thread(target=trickle, args=(slow,), daemon=True)
        t.start()
        try:
            half.sendall(b"<13>half open")
            fast_msgs = [b"<13>fast %d" % i for i in range(10_000)]
            with connect(port) as fast:
                fast.sendall(b"".join(octet(m) for m in fast_msgs))
                wait_exact(d, fast_msgs, rules)
            assert t.is_alive(), "the slow client finished early"
            li = poll_listener(d, url, lambda li: li["connections"] == 2)
            assert li["received"] == len(fast_msgs), li
        finally:
            finish.set()
            t.join(DEADLINE)
        assert not errors, errors
        slow_msg = b"<13>slow " + b"".join(trickled) + b" done"
        wait_exact(d, fast_msgs + [slow_msg], rules)
    wait_exact(d, fast_msgs + [slow_msg, b"<13>half open"], rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == len(fast_msgs) + 2 and li["idle_closed"] == 0, li


def test_idle_timeout_closes_silent_connections_only(weir):
    """With idle_timeout 2s, a connection silent after half a frame is closed
    by weir (idle_closed == 1, the client sees EOF) and its half frame
    becomes a record, while a connection that sends every 0.5 s is still
    open after 4 s and has every message counted."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"},
             {"name": "active", "match": "^<13>active [0-9]+$"},
             {"name": "idle", "match": "^<13>idle partial$"}]
    d = start_tcp(weir, url, rules, idle_timeout="2s")

    stop = threading.Event()
    active_msgs = []
    errors = []

    def keep_sending(s):
        """A message every 0.5 s until stop."""
        try:
            while not stop.is_set():
                msg = b"<13>active %d" % len(active_msgs)
                s.sendall(msg + b"\n")
                active_msgs.append(msg)
                stop.wait(0.5)
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    with connect(port) as silent, connect(port) as active:
        t = threading.Thread(target=keep_sending, args=(active,), daemon=True)
        t0 = time.monotonic()
        t.start()
        try:
            silent.sendall(b"<13>idle partial")
            assert_closed_by_weir(silent)
            waited = time.monotonic() - t0
            assert waited >= 1.5, f"closed after {waited:.1f}s, before idle_timeout"
            li = poll_listener(d, url, lambda li: li["idle_closed"] == 1)
            assert li["idle_closed"] == 1, li
            # The active connection, still sending, outlives the timeout twice.
            poll(lambda: time.monotonic() - t0 >= 4.0, timeout=10)
            assert t.is_alive() and not errors, errors
            assert_still_open(active)
            li = poll_listener(d, url, lambda li: True)
            assert li["connections"] == 1 and li["idle_closed"] == 1, li
        finally:
            stop.set()
            t.join(DEADLINE)
        assert not errors, errors
    wait_exact(d, active_msgs + [b"<13>idle partial"], rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["idle_closed"] == 1 and li["accepted"] == 2, li


def test_idle_peers_are_closed_and_free_their_slots_for_others(weir):
    """With max_connections 20 and idle_timeout 2s, 20 peers that connect,
    send half a frame (or nothing) and go silent fill the listener: a 21st
    sender is refused. Within the timeout (and the once-a-second check)
    weir closes all 20 (idle_closed == 20, each sees EOF, each half frame
    becomes a record), and a new sender is then served and counted."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    partials = [b"<13>idle %d" % i for i in range(10)]
    rules = [{"name": "any", "match": "^"}, *exact_rules(partials + [b"<13>late"])]
    d = start_tcp(weir, url, rules, max_connections=20, idle_timeout="2s")
    idle = [connect(port) for _ in range(20)]
    try:
        for s, msg in zip(idle, partials):
            s.sendall(msg)
        li = poll_listener(d, url, lambda li: li["connections"] == 20)
        assert li["accepted"] == 20, li
        with connect(port) as refused:
            assert_closed_by_weir(refused)
        li = poll_listener(d, url, lambda li: li["refused"] == 1)
        assert li["refused"] == 1, li
        for s in idle:
            assert_closed_by_weir(s)
        li = poll_listener(d, url, lambda li: li["connections"] == 0)
        assert li["idle_closed"] == 20 and li["connections"] == 0, li
        wait_exact(d, partials, rules)
        with connect(port) as late:
            late.sendall(b"<13>late\n")
            wait_exact(d, partials + [b"<13>late"], rules)
    finally:
        for s in idle:
            s.close()
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["accepted"] == 21 and li["refused"] == 1 and li["idle_closed"] == 20, li


def vm_rss_kib(pid):
    """The resident set of process pid (VmRSS of /proc/PID/status), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.mark.skipif("thread" in SANITIZER, reason="under TSan the RSS is mostly its shadow "
                    "memory, which it keeps for memory weir gave back")
def test_connections_give_their_frame_buffers_back(weir, nofile):
    """1,000 connections each send a frame of 60,000 bytes without its
    trailer, so weir holds it in the connection's buffer: weir's RSS grows
    by about those 60 MB. Then each sends its LF: the frames become
    records, and within a few seconds the RSS is back within 16 MB (24 MB under ASan) of where
    it was before, with the connections still open and quiet. Then each
    sends another such partial frame (RSS grows again) and closes: the
    frames become records and the RSS is back again. (The baseline is taken
    after the same volume of records went through one connection, so
    batches and scratch are already touched.)"""
    n_conns, size = 1000, 60_000
    # The margin: under ASan its allocator keeps freed memory a while
    # (quarantine) and RSS comes back less (+15 MB measured here, samples
    # off); either margin still fails a weir that keeps the 60 MB.
    margin = (24 if "address" in SANITIZER else 16) << 10
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)

    def record(kind, i):
        head = b"<13>%s %d " % (kind, i)
        return head + b"x" * (size - len(head))

    def rss():
        return vm_rss_kib(d.proc.pid)

    def rss_within(limit_kib, timeout=DEADLINE):
        return poll(lambda: rss() - base < limit_kib and rss(), timeout)

    rules = [{"name": "any", "match": "^"},
             {"name": "warm", "match": "^<13>warm [0-9]+ x+$"},
             {"name": "one", "match": "^<13>one [0-9]+ x+$"},
             {"name": "two", "match": "^<13>two [0-9]+ x+$"}]
    # Samples off: their per-pane areas (64 KiB a pane, 64 panes a worker)
    # become resident as panes are used, which is bounded memory, not the
    # connections' buffers this test is about.
    d = start_tcp(weir, url, rules, extra="samples: {keep: 0}\n")
    warm = [record(b"warm", i) for i in range(n_conns)]
    with connect(port) as s:
        s.sendall(b"".join(m + b"\n" for m in warm))
        wait_exact(d, warm, rules)
    time.sleep(1)
    base = rss()

    ones = [record(b"one", i) for i in range(n_conns)]
    twos = [record(b"two", i) for i in range(n_conns)]
    conns = []
    try:
        for msg in ones:
            conns.append(connect(port))
            conns[-1].sendall(msg)
        grown = poll(lambda: rss() - base > 40 << 10 and rss())
        assert grown, f"RSS {rss()} KiB, {base} KiB before: the partial frames are not " \
            "held (the test measures nothing)"
        for s in conns:
            s.sendall(b"\n")
        wait_exact(d, warm + ones, rules)
        shrunk = rss_within(margin, timeout=10)
        assert shrunk, f"RSS {rss()} KiB with the connections open and quiet, {base} KiB " \
            f"before, {grown} KiB while they held partial frames"
        for s, msg in zip(conns, twos):
            s.sendall(msg)
        grown2 = poll(lambda: rss() - base > 40 << 10 and rss())
        assert grown2, f"RSS {rss()} KiB, {base} KiB before: the partial frames are not held"
    finally:
        for s in conns:
            s.close()
    wait_exact(d, warm + ones + twos, rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0)
    assert li["received"] == 3 * n_conns and li["truncated"] == 0, li
    after = rss_within(margin, timeout=10)
    assert after, f"RSS {rss()} KiB after the connections closed, {base} KiB before them, " \
        f"{grown2} KiB while open"
    print(f"RSS: {base} KiB before, {grown} KiB with the partial frames, {shrunk} KiB once "
          f"they completed, {grown2} KiB with new ones, {after} KiB after the close")


def test_reset_by_the_client_is_counted_and_keeps_its_partial_frame(weir):
    """A client that resets its connection (close with SO_LINGER 0) is
    counted in resets; what it sent before the reset is counted, its partial
    frame included."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"}, *exact_rules([b"<13>before", b"<13>partial"])]
    d = start_tcp(weir, url, rules)
    s = connect(port)
    try:
        # One send: when the complete message is counted, weir has read all.
        s.sendall(b"<13>before\n<13>partial")
        wait_exact(d, [b"<13>before"], rules)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        s.close()
    wait_exact(d, [b"<13>before", b"<13>partial"], rules)
    li = poll_listener(d, url, lambda li: li["connections"] == 0 and li["resets"] == 1)
    assert li["resets"] == 1 and li["connections"] == 0 and li["received"] == 2, li


def test_sigterm_with_open_connections_and_partial_frames(weir):
    """SIGTERM while connections are open, some holding partial frames (LF
    and octet-counted) and one idle: weir closes them (the clients see EOF),
    exits 0 without a sanitizer report, and the partial frames were counted
    as records before the final checkpoint, as a restart on the same state
    shows."""
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    rules = [{"name": "any", "match": "^"},
             {"name": "complete", "match": "^<13>complete [0-9]$"},
             {"name": "partial_lf", "match": "^<13>partial lf$"},
             {"name": "partial_octet", "match": "^<13>partial octet$"}]
    d = start_tcp(weir, url, rules)
    complete = [b"<13>complete %d" % i for i in range(3)]
    # Each partial frame goes out in the same send as a complete message:
    # when that message is counted, weir has read the partial frame too.
    with connect(port) as a, connect(port) as b, connect(port) as c, connect(port) as idle:
        a.sendall(complete[0] + b"\n<13>partial lf")
        b.sendall(octet(complete[1]) + b"40 <13>partial octet")
        c.sendall(complete[2] + b"\n")
        wait_exact(d, complete, rules)
        poll_listener(d, url, lambda li: li["connections"] == 4)
        d.stop()
        for s in (a, b, c, idle):
            assert_closed_by_weir(s)

    d2 = weir.start(d.cfg_path)
    wait_exact(d2, complete + [b"<13>partial lf", b"<13>partial octet"], rules)


HEAVY_RULES = [
    {"name": "any", "match": "^"},
    {"name": "status_5xx", "match": r" status 5[0-9][0-9] "},
    {"name": "deep_path",
     "match": r"user[0-9]+ req [0-9]*7 path (/[a-z0-9]+)+/c status [45][0-9][0-9] took [0-9]{3}ms$",
     },
    {"name": "alternation",
     "match": r"(host[0-3]|app\[[0-9]*5\]).*(a|b|c|d|e|f)[0-9]{1,2}/c.*took (1|2|3)[0-9][0-9]ms"},
    {"name": "caseless", "match": r"HOST[12].*USER[0-9]*9[0-9] REQ", "caseless": True},
    {"name": "repeat", "match": r"((req|path|status) [0-9a-z/]+ .*){3}took [0-9]*[13579]ms$"},
]


@pytest.mark.parametrize("n_conns", [4, 200])
def test_backpressure_without_loss(weir, n_conns):
    """300,000 messages (fewer under a sanitizer) pushed over 4 connections
    (and over 200, more than weir has stream buffers) as fast as they go,
    into one worker with heavy rules and small batches, so the workers fall
    behind: weir holds the senders back instead of dropping, and every
    message is received and counted exactly once."""
    n = 300_000 if not SANITIZER else 100_000
    port = free_tcp_port()
    url = tcp_url("127.0.0.1", port)
    d = start_tcp(weir, url, HEAVY_RULES, workers=1, batch_size="64KiB", max_line="4KiB")

    msgs = [(b"<134>Nov 21 07:00:00 host%d app[%d]: user%d req %d path /%s%d/c status %d took %dms"
             % (i % n_conns, i % 97, i % 1000, i, b"abcdefgh"[i % 8:i % 8 + 1], i % 13,
                200 + i % 4 * 100, i % 977)) for i in range(n)]
    streams = [b"".join(octet(m) if j % 2 else m + b"\n"
                        for j, m in enumerate(msgs[c::n_conns])) for c in range(n_conns)]
    errors = []

    def push(data):
        try:
            with connect(port) as s:
                for i in range(0, len(data), 1 << 18):
                    s.sendall(data[i:i + (1 << 18)])
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    threads = [threading.Thread(target=push, args=(data,), daemon=True) for data in streams]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "a sender did not finish"

    wait_exact(d, msgs, HEAVY_RULES)
    src = sys_source(d.poll_sources(lambda ss: sys_source(ss)["listeners"][0]["connections"] == 0))
    li = listener_of(src, url)
    assert src["received"] == n and src["lines"] == n and src["dropped_full"] == 0, src
    assert li["received"] == n and li["accepted"] == n_conns, li
    assert li["bytes"] == sum(map(len, msgs)), li
    assert li["framing_errors"] == li["truncated"] == li["resets"] == 0, li


def test_tcp_port_in_use_is_a_clear_startup_error(weir):
    """A tcp:// port another socket listens on stops weir at start, non-zero,
    with a message naming the URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cfg = weir.config(sources=[{"name": "sys", "listen": tcp_url("127.0.0.1", port)}],
                          rules=[{"name": "any", "match": "^"}])
        r = run_weir("serve", "-c", cfg, timeout=30)
    assert r.returncode != 0
    assert f"cannot listen on tcp://127.0.0.1:{port}: Address already in use" in r.stderr
