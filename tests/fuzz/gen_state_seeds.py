#!/usr/bin/env python3
"""Write the seeds of fuzz_state and fuzz_persist from state files weir
itself writes (run once when the checkpoint format changes):

    WEIR_BIN=build/release/weir python3 tests/fuzz/gen_state_seeds.py

Runs `weir serve` twice on a small log with the rules fuzz_persist.c
decodes for (a count; a value; top and distinct; all three), stopping it
with SIGTERM so it writes state_dir/weir.state, and once with one plain
rule. Then writes, in the forms the targets read (see their file comments):
  seeds/state/:   each state file's payload, sealed form (byte 0 = 0), a
                  version 1 payload (byte 0 = 2), and one file raw (byte 0 = 1);
  seeds/persist/: each aggregates blob less its "WAGG" header (byte 0 = 0,
                  and 4 for the changed rule set), and the sketches found
                  in it less their CRC (1: dds, 2: hll, 3: topk).
Other files there (inputs that once crashed a target) are kept.
"""

import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEIR = os.environ.get("WEIR_BIN", str(HERE.parent.parent / "build/release/weir"))

RULES_SKETCH = r"""
  - {name: n, match: 'x'}
  - {name: v, match: 'v=(?<v>-?[0-9.]+)', value: v}
  - {name: t, match: 'k=(?<k>\w+)', top: k, top_k: 3, distinct: k}
  - {name: all, match: 'v=(?<v>-?[0-9.]+) k=(?<k>\w+)', value: v, top: k, top_k: 2, distinct: k}
"""
RULES_PLAIN = r"""
  - {name: any, match: '^'}
"""


def run(tmp, rules, log_lines):
    cfg = tmp / "weir.yaml"
    log = tmp / "app.log"
    cfg.write_text(f"listen: 127.0.0.1:0\nstate_dir: {tmp / 'state'}\n"
                   f"sources:\n  - {{name: app, type: file, path: {log}}}\n"
                   f"rules:{rules}tuning: {{workers: 1, tick_ms: 100}}\n")
    with open(log, "a") as f:
        f.write("".join(line + "\n" for line in log_lines))
    with open(tmp / "weir.stderr", "wb") as err:
        p = subprocess.Popen([WEIR, "serve", "-c", str(cfg)], stdout=err, stderr=err)
        time.sleep(2.0)
        p.send_signal(signal.SIGTERM)
        if p.wait(timeout=20) != 0:
            sys.exit(f"weir failed: {(tmp / 'weir.stderr').read_text()}")
    return (tmp / "state" / "weir.state").read_bytes()


def varint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def blob_of(state):
    (n,) = struct.unpack_from("<Q", state, 32)
    return state[40:40 + n]


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def sketches_of(blob):
    """Every length-prefixed span in the blob that is a sketch encoding
    (its magic after a varint length, and its CRC32C at its end)."""
    out = []
    for m in re.finditer(rb"WDD\x01|WHL\x01|WTK\x01", blob):
        at = m.start()
        # the varint length just before it (one or two bytes)
        for back in (1, 2, 3):
            if at - back < 0:
                break
            try:
                n, pos = varint(blob, at - back)
            except IndexError:
                continue
            sk = blob[at:at + n]
            if pos == at and n >= 8 and at + n <= len(blob) and \
                    crc32c(sk[:-4]) == struct.unpack_from("<I", sk, n - 4)[0]:
                out.append(sk)
                break
    return out


def v1_payload():
    p = struct.pack("<q", 1795244210800)
    p += struct.pack("<I", 1) + struct.pack("<I", 4) + b"rule" + struct.pack("<Q", 42)
    p += struct.pack("<QQ", 99, 3) + struct.pack("<I", 2)
    p += struct.pack("<qQ", 1795244200, 40) + struct.pack("<qQ", 1795244201, 2)
    p += struct.pack("<I", 1) + struct.pack("<I", 3) + b"app" + struct.pack("<I", 5) + b"/a/b1"
    p += struct.pack("<QQQQII", 1, 2, 777, 0xABC, 10, 0)
    return p


def main():
    seeds = HERE / "seeds"
    sd, pd = seeds / "state", seeds / "persist"
    for d in (sd, pd):
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():  # its own seeds; inputs kept from crashes stay
            if old.name.startswith(("sealed-", "raw-", "blob-", "sketch-")):
                old.unlink()
    vals = ["0", "1", "2", "3", "5", "8", "-1", "-2", "2.5"]
    with tempfile.TemporaryDirectory() as t:
        t = Path(t)
        lines = [f"l{i} x v={vals[i % len(vals)]} k={'abcdefg'[i * 3 % 7] * (1 + i % 3)}"
                 for i in range(40)]
        s1 = run(t, RULES_SKETCH, lines)
        s2 = run(t, RULES_SKETCH, [f"m{i} v={i % 6} k=k{i % 4}" for i in range(15)])
    with tempfile.TemporaryDirectory() as t:
        s3 = run(Path(t), RULES_PLAIN, ["a", "b", "c"])
    for name, s in (("sketch-rules-1", s1), ("sketch-rules-2", s2), ("plain", s3)):
        (sd / f"sealed-{name}").write_bytes(b"\0" + s[24:-4])
    (sd / "raw-plain").write_bytes(b"\1" + s3)
    (sd / "sealed-v1").write_bytes(b"\2" + v1_payload())
    kinds = {b"WDD": 1, b"WHL": 2, b"WTK": 3}
    n = 0
    seen = set()
    for name, s in (("1", s1), ("2", s2)):
        blob = blob_of(s)
        assert blob[:4] == b"WAGG", blob[:8]
        (pd / f"blob-{name}").write_bytes(b"\0" + blob[8:])
        (pd / f"blob-{name}-other-rules").write_bytes(b"\4" + blob[8:])
        for sk in sketches_of(blob):
            if sk in seen:
                continue
            seen.add(sk)
            k = kinds[sk[:3]]
            pre = bytes([k]) + (b"\x07" if k == 3 else b"")  # topk: k of the table
            (pd / f"sketch-{n:02d}-{sk[:3].decode().lower()}").write_bytes(pre + sk[:-4])
            n += 1
    total = sum(p.stat().st_size for d in (sd, pd) for p in d.iterdir())
    print(f"seeds: {len(list(sd.iterdir()))} state, {len(list(pd.iterdir()))} persist, "
          f"{total} bytes")


if __name__ == "__main__":
    main()
