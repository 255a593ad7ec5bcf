"""A config file, an included file or the state file that is not a regular
file (here a FIFO) is refused at once with a clear message. Opening a FIFO
for reading waits for a writer: `weir check`, `weir serve` and a reload used
to hang there for ever, and SIGTERM (which weir takes only in its main
loop) could not stop them. Every run here is bounded: a hang fails the
test after QUICK seconds instead of waiting."""
import os
import subprocess
import time

import pytest

from conftest import run_weir, totals, yq

QUICK = 10  # seconds; a refusal takes milliseconds


def run_quick(*args):
    """run_weir, failing the test if weir has not exited within QUICK s
    (subprocess.run kills it then)."""
    t0 = time.monotonic()
    try:
        r = run_weir(*args, timeout=QUICK)
    except subprocess.TimeoutExpired:
        pytest.fail(f"weir {' '.join(map(str, args))} still running after {QUICK}s (hung on a "
                    "FIFO?)")
    return r, time.monotonic() - t0


@pytest.mark.parametrize("cmd", ["check", "serve"])
def test_config_that_is_a_fifo_is_refused_at_once(tmp_path, cmd):
    fifo = tmp_path / "weir.yaml"
    os.mkfifo(fifo)
    r, took = run_quick(cmd, "-c", fifo)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr == f"{fifo}: not a regular file (a FIFO)\n", r.stderr
    assert took < QUICK


@pytest.mark.parametrize("cmd", ["check", "serve"])
def test_include_that_is_a_fifo_is_an_error_at_its_position(tmp_path, cmd):
    fifo = tmp_path / "rules.yaml"
    os.mkfifo(fifo)
    cfg = tmp_path / "weir.yaml"
    cfg.write_text("listen: 127.0.0.1:0\n"
                   f"state_dir: {yq(tmp_path / 'state')}\n"
                   "include: rules.yaml\n"
                   "rules:\n  - {name: a, match: x}\n")
    r, _ = run_quick(cmd, "-c", cfg)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr == f"{cfg}:3:10: include '{fifo}': not a regular file (a FIFO)\n", r.stderr


def test_reload_with_an_include_that_is_a_fifo_is_refused(weir, tmp_path):
    """POST /api/v1/reload of a config that now includes a FIFO answers 422
    at once with the error; the running rules stay, and SIGTERM then stops
    weir cleanly (the fixture checks; before, the reload hung in open() and
    SIGTERM waited for it)."""
    log = tmp_path / "in.log"
    log.write_text("error one\n")
    d = weir.start(sources=[dict(name="s", path=log)], rules=[dict(name="err", match="error")],
                   http="{unauthenticated_writes: true}")
    d.poll_snapshot(lambda s: totals(s).get("err") == 1)
    fifo = tmp_path / "more.yaml"
    os.mkfifo(fifo)
    with open(d.cfg_path, "a") as f:
        f.write("include: more.yaml\n")
    t0 = time.monotonic()
    status, _, raw = d.request("/api/v1/reload", method="POST", timeout=QUICK)
    assert time.monotonic() - t0 < QUICK
    assert status == 422, raw
    assert f"include '{fifo}': not a regular file (a FIFO)".encode() in raw, raw
    assert totals(d.snapshot()) == {"err": 1}


def test_state_file_that_is_a_fifo_stops_serve_at_once(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    os.mkfifo(state / "weir.state")
    cfg = tmp_path / "weir.yaml"
    cfg.write_text(f"listen: 127.0.0.1:0\nstate_dir: {yq(state)}\n")
    r, _ = run_quick("serve", "-c", cfg)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"state: {state}/weir.state: not a regular file (a FIFO)" in r.stderr, r.stderr
    assert "listening on" not in r.stderr
    assert (state / "weir.state").exists(), "the FIFO must not be set aside as corrupt"
