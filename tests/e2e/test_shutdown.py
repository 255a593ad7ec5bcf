"""SIGINT and SIGTERM stop weir cleanly (exit 0, "stopped cleanly", no
sanitizer report) even while a writer keeps appending, while the pipeline is
saturated, and while an HTTP client holds a connection open."""

import signal
import socket
import threading
import time

import pytest

RULES = [{"name": "errors", "match": "error", "caseless": True},
         {"name": "digits", "match": "[0-9]{4}$"}]


class Writer(threading.Thread):
    """Appends chunks to a file until stopped (or 64 MiB are written)."""

    LIMIT = 64 << 20

    def __init__(self, path, chunk, pause):
        super().__init__(daemon=True)
        self.path, self.chunk, self.pause = path, chunk, pause
        self.stop_event = threading.Event()
        self.written = 0

    def run(self):
        with open(self.path, "ab") as f:
            while not self.stop_event.is_set() and self.written < self.LIMIT:
                f.write(self.chunk)
                f.flush()
                self.written += len(self.chunk)
                time.sleep(self.pause)

    def stop(self):
        self.stop_event.set()
        self.join(10)


def start_ingesting(weir, tmp_path, chunk, pause):
    log = tmp_path / "busy.log"
    log.write_bytes(b"")
    d = weir.start(sources=[{"name": "busy", "path": log}], rules=RULES, workers=2)
    d.wait_log(r"source 'busy': reading")
    w = Writer(log, chunk, pause)
    w.start()
    # Wait until weir is visibly ingesting: records seen and still growing.
    first = d.poll_snapshot(lambda s: s["ingest"]["records"] > 0)
    assert first["ingest"]["records"] > 0
    later = d.poll_snapshot(lambda s: s["ingest"]["records"] > first["ingest"]["records"])
    assert later["ingest"]["records"] > first["ingest"]["records"]
    return d, w


LINES = b"".join(b"line %04d Error or not %04d\n" % (i, i) for i in range(200))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_ingesting_exits_cleanly(weir, tmp_path, sig):
    d, w = start_ingesting(weir, tmp_path, LINES, 0.01)
    try:
        err = d.stop(sig)  # asserts exit 0, "stopped cleanly", no sanitizer report
    finally:
        w.stop()
    assert w.written > 0
    assert "stopped cleanly" in err.splitlines()[-1], err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_saturated_exits_cleanly(weir, tmp_path, sig):
    # 1 MiB chunks back to back: the batch rings fill up and stay full.
    d, w = start_ingesting(weir, tmp_path, LINES * ((1 << 20) // len(LINES)), 0)
    try:
        d.stop(sig)
    finally:
        w.stop()


def test_open_http_connection_does_not_delay_shutdown(weir, tmp_path):
    d = weir.start(rules=RULES)
    idle = socket.create_connection(("127.0.0.1", d.port))
    partial = socket.create_connection(("127.0.0.1", d.port))
    try:
        partial.sendall(b"GET /api/v1/snapshot HTTP/1.1\r\nHost: x\r\n")  # never finished
        status, _, _ = d.get("/healthz")
        assert status == 200
        t0 = time.monotonic()
        d.stop(signal.SIGTERM)
        # Well below the server's 30 s connection timeout, even sanitized.
        assert time.monotonic() - t0 < 10, "shutdown waited for idle connections"
    finally:
        idle.close()
        partial.close()
