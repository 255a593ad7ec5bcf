"""Exactness: weir scan with every shipped rule pack over a large, mixed,
hostile corpus counts exactly what the Python reference (refmatch.py)
counts, rule by rule.

The corpus (seeded, so every run is the same; about 120,000 records) mixes
lines in the style of every pack (tests/rules/samplegen.py: hits, near
misses, noise) with lines made to trip a matcher up: empty and blank
lines, CRLF endings, a CR left inside a record, lines cut in two inside a
quoted field or between a key and its value (a regex must not match across
records), anchored patterns behind leading blanks, case-flipped copies,
NUL bytes, invalid UTF-8, vertical tabs, lines of 1 to 64 KiB (below
max_line) with a hit at either end, and copies of hits with one byte
deleted, doubled or changed. The last line has no line end.

Runs:
- the match-only rules of every pack, listed inline (works with the config
  language of before include:/format:);
- every pack through one `include:` glob, with --format combined: totals,
  unmatched, parse_errors, then value/top/distinct;
- the syslog-style packs (sshd, sudo, kernel, systemd, errors) with
  --format syslog (the access packs read fields a syslog source does not
  have, so weir refuses them there, as it should).

On a difference the test bisects the corpus with more weir runs and shows
the first records on which weir and the reference disagree, per rule.
"""

import random
import sys
from pathlib import Path

import pytest

from conftest import run_weir, yq
from test_rulepacks import (PACKS, RULES_DIR, check_aggregates, diff_totals,  # noqa: F401
                            features, inline_config, match_only, pack_rules, scan, totals)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules"))
import refmatch  # noqa: E402
import samplegen  # noqa: E402

SEED = 20240304
PACK_LINES = 14000          # per pack: 7 packs -> 98,000 lines
TRICKY_LINES = 22000
MAX_LINE = 65536            # weir's default tuning.max_line
SYSLOG_PACKS = ["sshd", "sudo", "kernel", "systemd", "errors"]


# ---------------------------------------------------------------- the corpus


def _mutate(rng, line):
    """One small damage to a line: a byte deleted, doubled or changed."""
    if not line:
        return line
    i = rng.randrange(len(line))
    how = rng.randrange(3)
    if how == 0:
        return line[:i] + line[i + 1:]
    if how == 1:
        return line[:i] + line[i:i + 1] + line[i:]
    return line[:i] + bytes([rng.choice(b" _-.:[]()\"'xX0\t")]) + line[i + 1:]


def _flip_case(rng, line):
    how = rng.randrange(3)
    if how == 0:
        return line.upper()
    if how == 1:
        return line.lower()
    return bytes(c ^ 0x20 if (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A) and rng.random() < 0.5
                 else c for c in line)


def _insert(rng, line, junk):
    i = rng.randrange(len(line) + 1)
    return line[:i] + junk + line[i:]


FILLER_WORDS = [b"lorem", b"ipsum", b"status=ok", b"id=42", b"path=/x/y", b"[", b"]", b'"', b"-",
                b"terrors", b"errorless", b"timeouts_", b"0.123", b"GET", b"sshd", b"\xc3\xa9t\xc3\xa9"]


def _filler(rng, n):
    out = bytearray()
    while len(out) < n:
        out += rng.choice(FILLER_WORDS) + b" "
    return bytes(out[:n])


def make_corpus(seed=SEED):
    """The corpus as a list of chunks (a record's bytes plus its line end;
    the last chunk has none) and the list of pack lines it drew from."""
    rng = random.Random(seed)
    pack_lines = []
    for pack in PACKS:
        pack_lines += [s.encode() for s in samplegen.lines(pack, random.Random(f"{seed}:{pack}"),
                                                               PACK_LINES)]
    hits = [ln for ln in pack_lines if len(ln) > 20]

    def tricky():
        k = rng.randrange(20)
        base = rng.choice(hits)
        if k == 0:
            return rng.choice([b"", b"", b" ", b"\t", b"  \x0b ", b"\x00", b"\r \r"])
        if k == 1:                      # a record cut in two: each half is a record
            i = rng.randrange(1, len(base))
            q = base.find(b'"', rng.randrange(len(base)))
            if q > 0 and rng.random() < 0.5:
                i = q + 1 + rng.randrange(0, 4)
            return [base[:i], base[i:]]
        if k == 2:                      # anchors behind blanks, or text after $
            return rng.choice([b" ", b"\t", b"  ", b"\x0b", b"\f"]) + base if rng.random() < 0.5 \
                else base + rng.choice([b" ", b"\t", b" x", b"\r \r", b" [preauth]", b"]"])
        if k == 3:
            return _flip_case(rng, base)
        if k == 4:
            return _insert(rng, base, rng.choice([b"\x00", b"\x00\x00", b"\xff", b"\xfe\xfd",
                                                  b"\xc3", b"\xe2\x80", b"\x80", b"\x0b", b"\r"]))
        if k == 5:                      # random bytes
            return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b"")
        if k == 6:                      # long line, a hit at one end
            n = rng.choice([1000, 4096, 20000, 40000, rng.randrange(60000, MAX_LINE - len(base) - 1)])
            f = _filler(rng, n)
            return f + b" " + base if rng.random() < 0.5 else base + b" " + f
        if k in (7, 8, 9):
            return _mutate(rng, base)
        if k == 10:                     # a record ending in CR (CR CR LF on disk)
            return base + b"\r"
        if k == 11:                     # word edges for the caseless word rules
            w = rng.choice([b"error", b"fatal", b"panic", b"timeout", b"timed out", b"warning",
                            b"failed", b"exception", b"crit", b"segfault", b"Segmentation fault"])
            pre = rng.choice([b"", b" ", b"_", b"x", b"1", b"\xc3\xa9", b"\x00", b"-", b"."])
            post = rng.choice([b"", b" ", b"_", b"s", b"1", b"\xc3\xa9", b"\x00", b":", b"ed"])
            return _filler(rng, rng.randrange(0, 40)) + pre + w + post + _filler(rng, rng.randrange(0, 40))
        if k == 12:                     # access lines with odd but defined fields
            g = samplegen.Gen(rng)
            return samplegen.access(
                g, status=rng.choice([100, 199, 200, 299, 300, 399, 400, 404, 499, 500, 599, 0]),
                nbytes=rng.choice(["-", "0", "1", "9999999", "10000000", "123"]),
                rt=rng.choice([None, " 0.000", " 0.999", " 1.000", " 1", " 10.5", ' "-"',
                               ' "-" 0.5', " rt=2.5", " 0.5 0.7", "  0.3", " -", " 1e3"]),
                ident=rng.choice(["-", "ident"]), user=rng.choice(["-", "bob"]),
                method=rng.choice(["GET", "POST", "post", "PUT", "PATCH", "OPTIONS"]),
                proto=rng.choice(["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/1.0x"]),
                ua=rng.choice(["-", "x", "Googlebot/2.1", 'a \\"quoted\\" agent', "a \\x22b",
                               "sqlmap/1.7"]),
                path=rng.choice(["/login", "/login?x", "/wp-login.php", "/a b", "/.env", "/"]),
                ).encode()
        if k == 13:                     # broken access lines
            line = rng.choice(hits)
            return rng.choice([line.replace(b"[", b"", 1), line.replace(b'"', b"", 1),
                               line.replace(b" - - ", b" ", 1), line.replace(b"] ", b"]", 1),
                               line[:line.rfind(b'"')] if b'"' in line else line])
        return rng.choice(hits)

    records = [(ln, False) for ln in pack_lines]
    for _ in range(TRICKY_LINES):
        t = tricky()
        records += [(x, True) for x in t] if isinstance(t, list) else [(t, True)]
    rng.shuffle(records)
    chunks = []
    for rec, _ in records:
        assert b"\n" not in rec and len(rec) < MAX_LINE
        chunks.append(rec + (b"\r\n" if rng.random() < 0.15 else b"\n"))
    last = chunks[-1].rstrip(b"\n").rstrip(b"\r")
    chunks[-1] = last if not last.endswith(b"\r") else last + b"x"   # no LF after the last line
    return chunks


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    chunks = make_corpus()
    path = tmp_path_factory.mktemp("exactness") / "corpus.log"
    data = b"".join(chunks)
    path.write_bytes(data)
    recs = refmatch.records_of(data)
    assert len(recs) == len(chunks) >= 100_000
    assert b"\r\n" in data and b"\x00" in data and b"\xff" in data and b"\n\n" in data
    assert not data.endswith(b"\n")
    assert max(len(r) for r in recs) > 60000 and all(len(r) < MAX_LINE for r in recs)
    return path, chunks, recs


# ---------------------------------------------------------------- comparing


def _configs(tmp, packs, inline=False):
    if inline:
        rules = [r for p in packs for r in pack_rules(p) if match_only(r)]
        return inline_config(tmp / "inline.yaml", rules)
    cfg = tmp / f"packs-{'-'.join(packs)}.yaml"
    if packs == PACKS:
        cfg.write_text(f"include: [{yq(RULES_DIR / '*.yaml')}]\n")
    else:
        cfg.write_text("include: [" + ", ".join(yq(RULES_DIR / f"{p}.yaml") for p in packs) + "]\n")
    return cfg


_REF_CACHE = {}


def _reference(cfg, recs, fmt, nbytes):
    """The loaded config and the reference's result (with aggregates), kept
    per config text and format: the corpus is the same for the module."""
    key = (Path(cfg).read_text(), fmt, len(recs), nbytes)
    if key not in _REF_CACHE:
        config = refmatch.Config(cfg)
        aggs, stats = refmatch.run(config, recs, fmt)
        res = refmatch.render(aggs, stats, len(recs), nbytes, 0, aggregates=True)
        _REF_CACHE[key] = (config, res)
    return _REF_CACHE[key]


def _explain(tmp, cfg, config, chunks, fmt, bad_rules, budget=60, want=6):
    """Bisect the corpus for records on which weir and the reference count
    a rule differently. Returns text lines."""
    found = []
    runs = [0]
    idx = {r.name: i for i, r in enumerate(config.rules)}

    def differs(lo, hi):
        sub = tmp / "bisect.log"
        data = b"".join(chunks[lo:hi])
        sub.write_bytes(data)
        runs[0] += 1
        out = scan(cfg, sub, fmt=fmt)
        ref, _ = refmatch.run(config, refmatch.records_of(data), fmt)
        got = totals(out)
        return {n for n in bad_rules if got.get(n) != ref[idx[n]].total}

    def walk(lo, hi, rules):
        if len(found) >= want or runs[0] >= budget or not rules:
            return
        if hi - lo == 1:
            found.append((lo, sorted(rules)))
            return
        mid = (lo + hi) // 2
        for a, b in ((lo, mid), (mid, hi)):
            d = differs(a, b) & rules
            walk(a, b, d)

    walk(0, len(chunks), set(bad_rules))
    lines = [f"bisected with {runs[0]} weir runs; records where they disagree:"]
    for i, rules in found:
        lines.append(f"  record {i} (rules {', '.join(rules)}): {chunks[i][:300]!r}")
    if not found:
        lines.append("  (none isolated: the differences only show on larger pieces)")
    return lines


def _compare(tmp, cfg, corpus, fmt, ref_fmt=None, keys=refmatch.GOLDEN_KEYS):
    path, chunks, recs = corpus
    config, ref = _reference(cfg, recs, ref_fmt or fmt, path.stat().st_size)
    out = scan(cfg, path, fmt=fmt)
    want = refmatch.totals(ref)
    d = diff_totals(totals(out), want, f"{len(recs)} records, --format {fmt}: ")
    if d:
        bad = [n for n in want if totals(out).get(n) != want[n]]
        d += "\n" + "\n".join(_explain(tmp, cfg, config, chunks, fmt, bad))
    assert not d, d
    for k in keys:
        if k == "parse_errors" and fmt == "syslog":
            continue                    # the reference has no syslog parser
        assert out.get(k) == ref[k], f"{k}: weir {out.get(k)}, reference {ref[k]}"
    return out, ref


# ---------------------------------------------------------------- the tests


def test_corpus_is_deterministic():
    a, b = make_corpus(), make_corpus()
    assert a == b
    assert len(a) >= 100_000


def test_exactness_match_only_rules(tmp_path, corpus):
    """Every pack's match-only rules, inline, raw: today's config language."""
    _compare(tmp_path, _configs(tmp_path, PACKS, inline=True), corpus, None, "raw",
             keys=("records", "bytes", "lines_truncated"))


def test_exactness_all_packs_combined(tmp_path, corpus, features):
    features.need("include:", "--format combined", "where on access fields",
                  "rule without match", "named captures as fields", "value:", "top:",
                  "distinct:")
    _compare(tmp_path, _configs(tmp_path, PACKS), corpus, "combined")


def test_exactness_all_packs_combined_aggregates(tmp_path, corpus, features):
    features.need("include:", "--format combined", "where on access fields",
                  "rule without match", "named captures as fields", "value:", "top:",
                  "distinct:")
    path, _, recs = corpus
    cfg = _configs(tmp_path, PACKS)
    _, ref = _reference(cfg, recs, "combined", path.stat().st_size)
    out = scan(cfg, path, fmt="combined")
    want = {r["name"]: {k: r[k] for k in ("value", "top", "distinct") if k in r}
            for r in ref["rules"] if len(r) > 2}
    check_aggregates(out, want, f"{len(recs)} records, --format combined")


def test_exactness_syslog_packs_as_syslog(tmp_path, corpus, features):
    """The syslog-style packs match text only, so parsing every record as
    syslog must not change a count (the reference reads them raw)."""
    features.need("include:", "--format syslog", "named captures as fields", "value:", "top:",
                  "distinct:")
    _compare(tmp_path, _configs(tmp_path, SYSLOG_PACKS), corpus, "syslog", "raw")


def test_access_packs_are_refused_on_syslog_sources(tmp_path, features):
    features.need("include:", "--format syslog")
    r = run_weir("scan", "--format", "syslog", "-c", _configs(tmp_path, ["nginx"]), input=b"x\n")
    assert r.returncode == 2 and "status" in r.stderr, r.stderr
