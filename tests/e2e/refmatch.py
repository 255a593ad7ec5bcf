#!/usr/bin/python3
"""refmatch - an independent reference for `weir scan`, in plain Python.

It reads a weir config (following `include:`), splits the input into
records, and for every rule counts the records it matches, with Python `re`
in bytes mode for `match:` and its own parsers for the fields `where:`,
`value:`, `top:` and `distinct:` read. Nothing here comes from weir's C
code: the point is a second opinion that can disagree.

Records (as weir defines them): the input is cut at LF; one CR right before
the LF is dropped; a last line without LF is a record; empty lines are
records; a record longer than tuning.max_line (default 64 KiB) is cut to
max_line bytes. A rule counts a record at most once.

Regexes: weir uses Hyperscan (PCRE syntax); this module uses Python `re`.
The two agree on a subset, which check_subset() enforces: groups (?:...)
and named groups (?<name>...) (rewritten to (?P<name>...)), classes,
\\d \\w \\s \\b and their negations, \\xHH, greedy and lazy quantifiers,
{n}, {n,}, {n,m}, ^ and $ (a record has no LF inside, so they are the
record's ends). No lookaround, backreferences, possessive or atomic
groups, inline flags, POSIX classes, \\A \\Z \\z \\K \\R \\h \\e and the like.
`caseless` is re.IGNORECASE, which in bytes mode is ASCII-only, as is
Hyperscan's without the utf8 flag.

Fields by source format:
  raw       none
  combined  ip ident user time method path protocol status bytes
  common    referrer user_agent request_time; both formats parse both
            layouts; a field logged as "-" is absent (see parse_access for
            the whole grammar)
  syslog    not implemented: the shipped packs do not read syslog fields;
            a rule that does makes this module raise
Records are parsed only when some rule reads a field of the format, and
only then can they be parse errors ("parse_errors"). Named captures of a
rule's match are fields of that rule (from the first, leftmost match) and
win over a format field of the same name. "unmatched" counts the records
no rule counted.

where: FIELD: VALUE or [VALUES] is string equality with any of them;
"!=x" is inequality; "<N", "<=N", ">N", ">=N" (and "=x", equality)
compare. Comparisons with < > need the field to be a number (see
NUMBER); an absent field fails every condition, "!=x" included.

value: FIELD (+ unit: ns|us|ms|s|m|h, scaled to seconds) collects the
field's number per counted record (records whose field is absent or not a
number count in total but add no value); top: FIELD (or group_by:) counts
values (a value longer than TOP_KEY_MAX bytes counts as its cut prefix),
top_k (default 10) of them reported; distinct: FIELD counts different
values, exactly.

Command line (used to make the goldens in tests/rules/):
  refmatch.py -c CONFIG [--format F] [--aggregates] [--golden] FILE...
prints the result as JSON, in the layout of `weir scan` (--golden: only
the keys the goldens keep; --aggregates: also value/top/distinct).
"""

import argparse
import codecs
import glob
import json
import math
import os
import re
import sys
from collections import Counter

import yaml

DEFAULT_MAX_LINE = 64 * 1024
DEFAULT_TOP_K = 10
# top: a value longer than this counts as its first TOP_KEY_MAX bytes,
# marked cut, apart from a value that is exactly those bytes (weir's
# documented cap on a top key, aggregate/topk.h).
TOP_KEY_MAX = 128
FORMATS = ("raw", "syslog", "combined", "common", "json", "logfmt")
SYSLOG_FIELDS = {"facility", "severity", "host", "hostname", "app", "app_name", "procid",
                 "msgid", "peer", "source"}
ACCESS_FIELDS = ("ip", "ident", "user", "time", "method", "path", "protocol", "status",
                 "bytes", "referrer", "user_agent", "request_time")
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
TRUE = ("true", "True", "TRUE")
FALSE = ("false", "False", "FALSE")

# A number, as this reference reads one in a field: optional sign, digits
# with an optional fraction (or a bare fraction), optional exponent. "-",
# "", "1.2.3", "12ms", " 5" are not numbers.
NUMBER = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class RefError(Exception):
    """The config uses something this reference cannot evaluate, or is wrong."""


# ---------------------------------------------------------------- config


def _load_yaml(path):
    # BaseLoader: every scalar stays a string, as written (no YAML 1.1
    # guessing of 404 -> int, 1.10 -> 1.1, on -> True).
    with open(path, "rb") as f:
        doc = yaml.load(f, Loader=yaml.BaseLoader)
    return {} if doc in (None, "") else doc


def _as_list(v):
    if v is None or v == "":
        return []
    return v if isinstance(v, list) else [v]


def _bool(v, what):
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise RefError(f"{what}: not a boolean: {v!r}")


class Rule:
    def __init__(self, d, where_from):
        if not isinstance(d, dict) or "name" not in d:
            raise RefError(f"{where_from}: a rule needs a name: {d!r}")
        self.name = d["name"]
        self.origin = where_from
        self.match = d.get("match")
        flags = set(_as_list(d.get("flags")))
        unknown = flags - {"caseless", "dotall"}
        if unknown:
            raise RefError(f"rule {self.name}: flags {sorted(unknown)} not supported here")
        self.caseless = "caseless" in flags or _bool(d.get("caseless", "false"), self.name)
        self.where = []
        for field, spec in (d.get("where") or {}).items():
            self.where.append((field, _where_cond(self.name, field, spec)))
        self.value = d.get("value")
        self.unit = d.get("unit")
        if self.unit is not None and self.unit not in UNITS:
            raise RefError(f"rule {self.name}: unit {self.unit!r} not supported here")
        self.top = d.get("top", d.get("group_by"))
        self.top_k = int(d.get("top_k", DEFAULT_TOP_K))
        self.distinct = d.get("distinct")
        known = {"name", "match", "flags", "caseless", "where", "value", "unit", "top",
                 "group_by", "top_k", "distinct"}
        extra = set(d) - known
        if extra:
            raise RefError(f"rule {self.name}: keys {sorted(extra)} unknown to refmatch")
        if self.match is None and not self.where:
            raise RefError(f"rule {self.name}: needs match or where")
        self.rx = None
        self.captures = ()
        if self.match is not None:
            check_subset(self.match, self.name)
            self.rx = re.compile(translate(self.match).encode("utf-8"),
                                 re.IGNORECASE if self.caseless else 0)
            self.captures = tuple(self.rx.groupindex)


def _where_cond(rule, field, spec):
    """One where entry -> (op, operand): ('eq', [bytes...]), ('ne', bytes),
    ('lt'|'le'|'gt'|'ge', float)."""
    if isinstance(spec, list):
        if not spec:
            raise RefError(f"rule {rule}: where {field}: empty list")
        for s in spec:
            if not isinstance(s, str) or s[:1] in "<>!=":
                raise RefError(f"rule {rule}: where {field}: list item {s!r} not supported")
        return ("eq", [s.encode("utf-8") for s in spec])
    if not isinstance(spec, str) or not spec:
        raise RefError(f"rule {rule}: where {field}: bad value {spec!r}")
    for op, name in (("<=", "le"), (">=", "ge"), ("!=", "ne"), ("<", "lt"), (">", "gt"),
                     ("=", "eq")):
        if spec.startswith(op):
            rest = spec[len(op):]
            if name == "ne":
                return ("ne", rest.encode("utf-8"))
            if name == "eq":
                return ("eq", [rest.encode("utf-8")])
            return (name, float(rest))
    return ("eq", [spec.encode("utf-8")])


class Config:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.files = []
        self.rules = []
        self.max_line = DEFAULT_MAX_LINE
        doc = _load_yaml(self.path)
        if not isinstance(doc, dict):
            raise RefError(f"{path}: top level is not a mapping")
        tuning = doc.get("tuning") or {}
        if "max_line" in tuning:
            self.max_line = parse_size(tuning["max_line"])
        self._take(doc, self.path, depth=0)
        names = [r.name for r in self.rules]
        dups = sorted(n for n, c in Counter(names).items() if c > 1)
        if dups:
            raise RefError(f"duplicate rule names: {dups}")

    def _take(self, doc, path, depth):
        """A file's own rules, then its includes in the order listed."""
        self.files.append(path)
        for r in _as_list(doc.get("rules")):
            self.rules.append(Rule(r, path))
        base = os.path.dirname(path)
        for inc in _as_list(doc.get("include")):
            if depth >= 8:
                raise RefError(f"{path}: includes nested too deep")
            full = inc if os.path.isabs(inc) else os.path.join(base, inc)
            if any(c in full for c in "*?["):
                matches = sorted(glob.glob(full))
                if not matches:
                    raise RefError(f"{path}: include {inc!r} matches no file")
            else:
                matches = [full]
            for m in matches:
                m = os.path.abspath(m)
                if m in self.files:
                    raise RefError(f"{path}: include {m} read twice")
                sub = _load_yaml(m)
                if not isinstance(sub, dict) or set(sub) - {"rules", "include"}:
                    raise RefError(f"{m}: an included file holds only rules: and include:")
                self._take(sub, m, depth + 1)


def parse_size(s):
    m = re.fullmatch(r"([0-9]+)(B|KiB|MiB|GiB)?", s)
    if not m:
        raise RefError(f"bad size {s!r}")
    return int(m.group(1)) * {None: 1, "B": 1, "KiB": 1024, "MiB": 1 << 20,
                              "GiB": 1 << 30}[m.group(2)]


# ---------------------------------------------------------------- regexes


_ESC_OUT = set("dDwWsSbBnrtf")          # allowed letter escapes outside a class
_ESC_IN = set("dDwWsSnrtf")             # and inside one
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_subset(p, rule="?"):
    """Raise RefError unless regex p stays in the subset where Hyperscan's
    PCRE dialect and Python's `re` agree (see the module comment)."""
    def bad(i, why):
        raise RefError(f"rule {rule}: regex {p!r} at {i}: {why} (outside the subset "
                       "Hyperscan and Python re evaluate alike)")

    i, n, in_class, prev_quant = 0, len(p), False, False
    while i < n:
        c = p[i]
        if c == "\\":
            if i + 1 >= n:
                bad(i, "trailing backslash")
            e = p[i + 1]
            if e == "x":
                if not re.fullmatch(r"[0-9A-Fa-f]{2}", p[i + 2:i + 4]):
                    bad(i, "\\x needs two hex digits")
                i += 4
            elif e.isalnum():
                if e not in (_ESC_IN if in_class else _ESC_OUT):
                    bad(i, f"escape \\{e}")
                i += 2
            else:
                i += 2
            prev_quant = False
            continue
        if in_class:
            if c == "[":
                bad(i, "'[' inside a class (escape it)")
            if c == "]":
                in_class = False
            elif p.startswith(("&&", "--", "||", "~~"), i):
                bad(i, "set operation lookalike inside a class")
            i += 1
            continue
        if c == "[":
            j = i + 1
            if j < n and p[j] == "^":
                j += 1
            if j < n and p[j] == "]":
                bad(i, "']' first in a class (escape it)")
            if j < n and p[j] == ":" :
                bad(i, "POSIX class")
            in_class = True
            i = j
            prev_quant = False
            continue
        if c == "(":
            if p.startswith("(?", i):
                if p.startswith("(?:", i):
                    i += 3
                elif p.startswith("(?<", i) or p.startswith("(?P<", i):
                    j = p.index("<", i) + 1
                    m = _NAME.match(p, j)
                    if not m or p[m.end():m.end() + 1] != ">":
                        bad(i, "lookbehind or bad group name")
                    i = m.end() + 1
                else:
                    bad(i, "group kind (lookaround, atomic, inline flags, comment...)")
            else:
                i += 1
            prev_quant = False
            continue
        if c in "*+?":
            if prev_quant:
                if c == "?" and p[i - 1] != "?":
                    prev_quant = False      # lazy: x*? x+? x?? x{n,m}?
                    i += 1
                    continue
                bad(i, "possessive or stacked quantifier")
            prev_quant = True
            i += 1
            continue
        if c == "{":
            m = re.compile(r"\{([0-9]+)(,([0-9]*))?\}").match(p, i)
            if not m:
                bad(i, "'{' that is not a {n}, {n,} or {n,m} quantifier (escape it)")
            if prev_quant:
                bad(i, "stacked quantifier")
            prev_quant = True
            i = m.end()
            continue
        prev_quant = False
        i += 1
    if in_class:
        bad(n, "unterminated class")


def translate(p):
    """PCRE named groups (?<name>...) -> Python's (?P<name>...)."""
    return re.sub(r"(?<!\\)\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", p)


# ---------------------------------------------------------------- records


def records_of(data, max_line=None):
    lines = data.split(b"\n")
    last = lines.pop()
    recs = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if last:
        recs.append(last)
    if max_line is not None:
        recs = [r[:max_line] for r in recs]
    return recs


# ---------------------------------------------------------------- access logs


def _quoted(s, i):
    """s[i] is '"': returns (content, index after the closing quote) or None
    when it is not closed. The closing quote is the first unescaped '"'
    followed by a space or the end (a bare quote inside a user agent stays
    in it). Inside, \\" is a quote (Apache), \\\\ a backslash and \\xHH a
    byte (nginx); any other backslash stays as written."""
    out = bytearray()
    j, n = i + 1, len(s)
    while j < n:
        c = s[j]
        if c == 0x5C and j + 1 < n:                 # backslash
            e = s[j + 1]
            if e in (0x22, 0x5C):
                out.append(e)
                j += 2
                continue
            if e == 0x78 and _HEX2.fullmatch(s[j + 2:j + 4]):   # \xHH
                out.append(int(s[j + 2:j + 4], 16))
                j += 4
                continue
        if c == 0x22 and (j + 1 == n or s[j + 1] == 0x20):
            return bytes(out), j + 1
        out.append(c)
        j += 1
    return None


def _skip_spaces(s, i):
    while i < len(s) and s[i] == 0x20:
        i += 1
    return i


def parse_access(rec):
    """The fields of one NCSA common/combined access log line, or None when
    the line is not one (a parse error).

    Trailing spaces, tabs and CRs are ignored. Layout, fields separated by
    one or more spaces (only spaces: a tab or any other byte is part of a
    field): IP IDENT USER [TIME] "REQUEST" STATUS BYTES, then for combined
    "REFERRER" "USER_AGENT", then anything. IP, IDENT and USER are runs of
    bytes other than space; TIME is
    everything inside the brackets (not empty); STATUS is three digits;
    BYTES is digits or '-'. A field whose value is '-' is absent (NCSA's
    "no value"). Quoted fields are unescaped (see _quoted).

    The request: method is what comes before the first space; protocol is
    the last space-separated word when it starts with "HTTP/"; path is
    what lies between (spaces kept: "GET /a b HTTP/1.1" has path "/a b";
    "get /x http/1.1" has path "/x http/1.1" and no protocol). No space, an
    empty path, or a method that is not letters, '_' and '-' (TLS bytes
    sent to a plain-HTTP port, mangled bytes): none of the three.

    After BYTES: nothing, or anything not starting with a quote (a common
    line, extras ignored); or a quoted referrer, and then optionally a
    quoted user agent. An unclosed referrer or user agent is a parse error.

    request_time: the first unquoted token after the last of those fields
    (quoted strings are skipped; an unclosed one ends the search) that is
    a decimal fraction, written bare (0.123) or as rt=0.123 or
    request_time=0.123:
    nginx's $request_time always has three decimals; a bare integer there
    is something else."""
    rec = rec.rstrip(b" \t\r")
    m = _ACCESS_HEAD.match(rec)
    if not m:
        return None
    f = {"ip": m.group(1), "ident": m.group(2), "user": m.group(3), "time": m.group(4)}
    q = _quoted(rec, m.end())
    if q is None:
        return None
    request, i = q
    m2 = _ACCESS_STATUS.match(rec, i)
    if not m2:
        return None
    f["status"], f["bytes"] = m2.group(1), m2.group(2)
    sp = request.find(b" ")
    if sp > 0:
        rest = request[sp + 1:]
        ls = rest.rfind(b" ")
        proto = rest[ls + 1:] if ls >= 0 and rest[ls + 1:].startswith(b"HTTP/") else None
        path = rest[:ls] if proto is not None else rest
        if path and _METHOD.fullmatch(request[:sp]):
            f["method"], f["path"] = request[:sp], path
            if proto is not None:
                f["protocol"] = proto
    i = m2.end()
    j = _skip_spaces(rec, i)
    if j < len(rec) and rec[j] == 0x22:
        q = _quoted(rec, j)
        if q is None:
            return None
        f["referrer"], i = q
        j = _skip_spaces(rec, i)
        if j < len(rec) and rec[j] == 0x22:
            q = _quoted(rec, j)
            if q is None:
                return None
            f["user_agent"], i = q
    rt = _request_time(rec, i)
    if rt is not None:
        f["request_time"] = rt
    return {k: v for k, v in f.items() if v != b"-" and v != b""}


def _request_time(rec, i):
    n = len(rec)
    while True:
        i = _skip_spaces(rec, i)
        if i >= n:
            return None
        if rec[i] == 0x22:
            q = _quoted(rec, i)
            if q is None:
                return None
            i = q[1]
            continue
        j = rec.find(b" ", i)
        j = n if j < 0 else j
        tok = rec[i:j]
        if tok.startswith((b"rt=", b"request_time=")):
            tok = tok.split(b"=", 1)[1]
        if _FRACTION.fullmatch(tok):
            return tok
        i = j


_HEX2 = re.compile(rb"[0-9A-Fa-f]{2}")
_ACCESS_HEAD = re.compile(rb"([^ ]+) +([^ ]+) +([^ ]+) +\[([^\]]+)\] +(?=\")")
_ACCESS_STATUS = re.compile(rb" +([0-9]{3}) +([0-9]+|-)(?= |$)")
_FRACTION = re.compile(rb"[0-9]+\.[0-9]+")
_METHOD = re.compile(rb"[A-Za-z_-]+")


def number(v):
    if v is None or not NUMBER.fullmatch(v):
        return None
    x = float(v)
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------- matching


def _fields_for(rec, fmt):
    """The record's fields, or None for a parse error."""
    if fmt == "raw":
        return {}
    if fmt in ("combined", "common"):
        return parse_access(rec)
    raise RefError(f"format {fmt!r}: fields not implemented in refmatch")


def _cond(fields, field, cond):
    v = fields.get(field)
    if v is None:
        return False
    op, arg = cond
    if op == "eq":
        return v in arg
    if op == "ne":
        return v != arg
    x = number(v)
    if x is None:
        return False
    return {"lt": x < arg, "le": x <= arg, "gt": x > arg, "ge": x >= arg}[op]


class Aggregate:
    def __init__(self, rule):
        self.rule = rule
        self.total = 0
        self.values = []
        self.top = Counter()
        self.distinct = set()


def run(config, records, fmt="raw"):
    """Per rule (in config order): an Aggregate with total and, where the
    rule asks, its values, top counter and distinct set; and the counts of
    records no rule counted ("unmatched") and of records the format could
    not parse ("parse_errors", always 0 for raw)."""
    if fmt not in FORMATS:
        raise RefError(f"unknown format {fmt!r}")
    for r in config.rules:
        for field, _ in r.where:
            if field in SYSLOG_FIELDS:
                raise RefError(f"rule {r.name}: where {field}: syslog fields not implemented")
    aggs = [Aggregate(r) for r in config.rules]
    stats = {"unmatched": 0, "parse_errors": 0}
    # Records are parsed only when some rule reads a field of the format
    # (one that is not its own capture), so only then are there parse errors.
    parse = fmt != "raw" and any(
        n not in r.captures for r in config.rules
        for n in [f for f, _ in r.where] + [r.value, r.top, r.distinct] if n)
    for rec in records:
        base = _fields_for(rec, fmt) if parse else {}
        if base is None:
            stats["parse_errors"] += 1
            base = {}
        counted = False
        for a in aggs:
            r = a.rule
            fields = base
            if r.rx is not None:
                m = r.rx.search(rec)
                if not m:
                    continue
                if r.captures:
                    fields = dict(base)
                    for k, v in m.groupdict().items():
                        if v is not None:
                            fields[k] = v
            if not all(_cond(fields, f, c) for f, c in r.where):
                continue
            a.total += 1
            counted = True
            if r.value:
                x = number(fields.get(r.value))
                if x is not None:
                    a.values.append(x * UNITS.get(r.unit or "s", 1.0))
            if r.top:
                v = fields.get(r.top)
                if v is not None:
                    a.top[(v[:TOP_KEY_MAX], len(v) > TOP_KEY_MAX)] += 1
            if r.distinct:
                v = fields.get(r.distinct)
                if v is not None:
                    a.distinct.add(v)
        if not counted:
            stats["unmatched"] += 1
    return aggs, stats


def _per_byte_replace(e):
    return "\ufffd" * (e.end - e.start), e.end


codecs.register_error("refmatch-per-byte", _per_byte_replace)


def _text(b):
    """A field value as JSON shows it: each byte of invalid UTF-8 becomes
    one U+FFFD (Python's own "replace" would use one per maximal invalid
    subsequence; both are allowed, weir does it per byte)."""
    return b.decode("utf-8", "refmatch-per-byte")


def render(aggs, stats, records, nbytes, lines_truncated=0, aggregates=False):
    """The result as a dict in the layout of `weir scan`'s JSON. With
    aggregates, rules that ask for them also get (this module's layout):
      "value":    {"field", "count", "sum", "min", "max", "mean"}
      "top":      {"field", "k", "total", "items": [{"value", "count"
                  (, "truncated")}], "counts": [[value, truncated, count],
                  ...]}: items are the exact k most frequent values, count
                  descending, equal counts in byte order of the value (a
                  cut value after the whole one); counts has every value;
                  total is how many counted records had the field
      "distinct": {"field", "count"} (exact)"""
    out = []
    for a in aggs:
        r = a.rule
        d = {"name": r.name, "total": a.total}
        if aggregates and r.value:
            v = a.values
            d["value"] = {"field": r.value, "count": len(v), "sum": sum(v),
                          "min": min(v) if v else None, "max": max(v) if v else None,
                          "mean": sum(v) / len(v) if v else None}
        if aggregates and r.top:
            ranked = sorted(a.top.items(), key=lambda kv: (-kv[1], kv[0]))
            items = []
            for (v, cut), c in ranked[:r.top_k]:
                items.append({"value": _text(v), "count": c, **({"truncated": True} if cut else {})})
            d["top"] = {"field": r.top, "k": r.top_k, "total": sum(a.top.values()),
                        "items": items,
                        "counts": [[_text(v), cut, c] for (v, cut), c in ranked]}
        if aggregates and r.distinct:
            d["distinct"] = {"field": r.distinct, "count": len(a.distinct)}
        out.append(d)
    return {"rules": out, "records": records, "bytes": nbytes, "lines_truncated": lines_truncated,
            **stats}


def scan_bytes(config, data, fmt="raw", aggregates=False):
    """Everything for one input: the rendered result."""
    raw = records_of(data)
    truncated = sum(1 for r in raw if len(r) > config.max_line)
    recs = [r[:config.max_line] for r in raw]
    return render(*run(config, recs, fmt), len(recs), len(data), truncated, aggregates)


def scan_files(config, paths, fmt="raw", aggregates=False):
    """Files are separate inputs: a last line without LF ends at its file."""
    recs, nbytes, truncated = [], 0, 0
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        nbytes += len(data)
        raw = records_of(data)
        truncated += sum(1 for r in raw if len(r) > config.max_line)
        recs += [r[:config.max_line] for r in raw]
    return render(*run(config, recs, fmt), len(recs), nbytes, truncated, aggregates)


def totals(result):
    return {r["name"]: r["total"] for r in result["rules"]}


GOLDEN_KEYS = ("records", "bytes", "lines_truncated", "unmatched", "parse_errors")


def golden_of(result):
    """Only the keys the goldens keep: rule names and totals, and
    GOLDEN_KEYS."""
    g = {"rules": [{"name": r["name"], "total": r["total"]} for r in result["rules"]]}
    g.update((k, result[k]) for k in GOLDEN_KEYS)
    return g


def dump_golden(result):
    """The goldens' text layout: one rule per line, like weir's output."""
    rules = ",\n".join(f'    {{"name": {json.dumps(r["name"])}, "total": {r["total"]}}}'
                       for r in result["rules"])
    rest = "".join(f',\n  "{k}": {result[k]}' for k in GOLDEN_KEYS)
    return f'{{\n  "rules": [\n{rules}\n  ]{rest}\n}}\n'



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--config", required=True)
    ap.add_argument("--format", default="raw", choices=FORMATS)
    ap.add_argument("--aggregates", action="store_true")
    ap.add_argument("--golden", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(argv)
    cfg = Config(a.config)
    if a.files:
        res = scan_files(cfg, a.files, a.format, a.aggregates)
    else:
        res = scan_bytes(cfg, sys.stdin.buffer.read(), a.format, a.aggregates)
    sys.stdout.write(dump_golden(res) if a.golden else json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
