"""A state file whose checksum holds but whose contents break a bound (here:
a file entry claiming a fingerprint longer than the STATE_FP_MAX bytes
ingest reads into its buffer) is corrupt: weir sets it aside as
weir.state.corrupt-<time>, says why, and starts fresh, counting every line
exactly once. Before the bound, such a file crashed weir on every start.

The file is the one weir itself wrote, patched and sealed again with a
correct CRC32C, as an edit or a bug in an older weir would leave it."""

import struct

from conftest import poll, records_of
from test_restart import RULES, exact, numbered


def crc32c(data):
    """CRC-32C (Castagnoli), reflected, as core/crc32c.c computes it."""
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None


def file_entries(raw):
    """The offsets of each file entry's fp_len in a version 2 or 3 state
    file (pipeline/state.c; 3 adds a flag for retired identities, same
    layout): header, written_ms, blob, then the files."""
    assert raw[:8] == b"WEIRSTAT" and struct.unpack_from("<I", raw, 8)[0] in (2, 3), raw[:16]
    assert crc32c(raw[:-4]) == struct.unpack_from("<I", raw, len(raw) - 4)[0], "CRC layout"
    pos = 24 + 8
    (blob_len,) = struct.unpack_from("<Q", raw, pos)
    pos += 8 + blob_len
    (nfiles,) = struct.unpack_from("<I", raw, pos)
    pos += 4
    at = []
    for _ in range(nfiles):
        for _ in range(2):  # source, path
            (n,) = struct.unpack_from("<I", raw, pos)
            pos += 4 + n
        pos += 4 * 8  # dev, ino, offset, fp
        at.append(pos)
        pos += 4 + 4  # fp_len, flags
    assert pos == len(raw) - 4
    return at


def test_fingerprint_length_beyond_the_buffer_sets_the_state_aside(weir, tmp_path):
    log = tmp_path / "app.log"
    d1 = numbered("a", 0, 400)
    assert len(d1) > 4096, "longer than the claimed fingerprint, so a pread would overrun"
    log.write_bytes(d1)
    cfg = weir.config(sources=[{"name": "app", "path": log}], rules=RULES, checkpoint_interval="1s")
    d = weir.start(cfg)
    d.poll_snapshot(exact([d1]))
    d.stop()

    state_dir = tmp_path / "state"
    state = state_dir / "weir.state"
    raw = bytearray(state.read_bytes())
    at = file_entries(bytes(raw))
    assert len(at) == 1, at
    assert struct.unpack_from("<I", raw, at[0])[0] == 1024, "the log's first 1024 bytes"
    struct.pack_into("<I", raw, at[0], 4096)
    struct.pack_into("<I", raw, len(raw) - 4, crc32c(bytes(raw[:-4])))
    state.write_bytes(bytes(raw))

    def log_text(d):
        # The test's directory name may hold these words: leave paths out.
        return d.stderr().replace(str(tmp_path), "<tmp>").lower()

    d = weir.start(cfg)  # fails here if weir dies on the file
    assert poll(lambda: "corrupt" in log_text(d)), d.stderr()
    assert "fingerprint" in log_text(d), d.stderr()
    aside = [p for p in state_dir.iterdir() if p.name.startswith("weir.state.corrupt")]
    assert len(aside) == 1, sorted(p.name for p in state_dir.iterdir())
    assert aside[0].read_bytes() == bytes(raw), "the corrupt file is kept as it was"
    # From scratch: the log is read again from its start, with fresh totals.
    snap = d.poll_snapshot(exact([d1]))
    assert snap["ingest"]["records"] == len(records_of(d1))
    d.hold_snapshot(exact([d1]), 1.5)
    d2 = numbered("b", 0, 50)
    with open(log, "ab") as f:
        f.write(d2)
    d.poll_snapshot(exact([d1, d2]))
    d.stop()

    # What weir wrote after starting fresh is good, and resumes exactly.
    d = weir.start(cfg)
    d.poll_snapshot(exact([d1, d2]))
    d.hold_snapshot(exact([d1, d2]), 1.0)
    assert "corrupt" not in log_text(d), d.stderr()
