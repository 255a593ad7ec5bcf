#!/usr/bin/env python3
"""layers.py - the house rules that are about structure, checked.

  scripts/layers.py lint     fail on an include from a higher floor, an
                             include circle between files, or a banned call
  scripts/layers.py report   the figures: folder arrows (upward ones marked),
                             include circles, longest functions, largest files

Floors (bottom to top) are folders; a file may include headers of its own
folder or of a lower floor (docs/ARCHITECTURE.md draws them). tests/ may
include anything. Banned calls: unbounded or error-blind libc functions
whose bounded replacements the tree uses (snprintf, strbuf, strtol...).
"""
import os
import re
import subprocess
import sys

FLOORS = ["core", "config", "pattern", "pipeline", "ingest", "aggregate", "http", "alert", "app"]
BANNED = ["strcpy", "sprintf", "vsprintf", "strcat", "strncpy", "strncat", "strtok",
          "atoi", "atol", "atoll", "atof", "gets"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
BANNED_RE = re.compile(r"(?<![A-Za-z0-9_.>])(" + "|".join(BANNED) + r")\s*\(")


def files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.c", "*.h"],
                         capture_output=True, text=True, check=True).stdout.split()
    return sorted(f for f in out if os.path.exists(f))


def strip(text):
    """Comments and string/char literals blanked, newlines kept."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  blank, text, flags=re.S)


def floor(path):
    top = path.split("/")[0]
    return FLOORS.index(top) if top in FLOORS else None


def graph(srcs, modules=False):
    """File -> the files it includes. With modules, x.c and x.h are one
    node "x" (a module), so a .c including a header whose .c includes the
    first header back is a circle."""
    def node(p):
        return re.sub(r"\.[ch]$", "", p) if modules else p
    edges = {}
    for f in srcs:
        text = open(f, encoding="utf-8", errors="replace").read()
        hs = [node(h) for h in INCLUDE.findall(text) if os.path.exists(h)]
        edges.setdefault(node(f), []).extend(h for h in hs if h != node(f))
    return edges


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def functions(path):
    """(lines, name) of each function definition (Linux brace style)."""
    lines = strip(open(path, encoding="utf-8", errors="replace").read()).split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if line.startswith("{") and i > 0:
            j = i - 1
            while j > 0 and not re.search(r"\w+\s*\(", lines[j]):
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start, name = i, m.group(1) if m else "?"
        elif line.startswith("}") and start is not None:
            out.append((i - start + 1, name))
            start = None
    return out


def lint(srcs):
    bad = 0
    edges = graph(srcs)
    for f, hs in edges.items():
        ff = floor(f)
        if ff is None:
            continue
        for h in hs:
            fh = floor(h)
            if fh is not None and fh > ff:
                print("%s: includes %s from a higher floor (%s above %s)"
                      % (f, h, FLOORS[fh], FLOORS[ff]))
                bad += 1
    for comp in cycles(graph([f for f in srcs if not f.startswith("tests/")], True)):
        print("include circle between modules: " + ", ".join(comp))
        bad += 1
    for f in srcs:
        if f.startswith("tests/"):
            continue
        text = strip(open(f, encoding="utf-8", errors="replace").read())
        for n, line in enumerate(text.split("\n"), 1):
            for m in BANNED_RE.finditer(line):
                print("%s:%d:%d: banned call %s()" % (f, n, m.start() + 1, m.group(1)))
                bad += 1
    top = [f.split("/")[0] for f in srcs]
    for t in sorted(set(top)):
        if t not in FLOORS and t != "tests":
            print("%s/: a folder of C files that is no floor (scripts/layers.py FLOORS)" % t)
            bad += 1
    if bad:
        print("lint: %d problem(s)" % bad)
        return 1
    print("lint: floors, include circles and banned calls clean (%d files)" % len(srcs))
    return 0


def report(srcs):
    prod = [f for f in srcs if not f.startswith("tests/")]
    edges = graph(prod)
    arrows = {}
    for f, hs in edges.items():
        for h in hs:
            a, b = f.split("/")[0], h.split("/")[0]
            if a != b:
                arrows[(a, b)] = arrows.get((a, b), 0) + 1
    up = 0
    print("folder arrows (includes):")
    for (a, b), n in sorted(arrows.items()):
        fa, fb = floor(a), floor(b)
        upward = fa is None or fb is None or fb > fa
        up += upward
        print("  %-10s -> %-10s %3d%s" % (a, b, n, "   UPWARD" if upward else ""))
    print("arrows: %d, upward: %d" % (len(arrows), up))
    comps = cycles(graph(prod, True))
    print("include circles between modules (x.c + x.h): %d" % len(comps))
    for c in comps:
        print("  " + ", ".join(c))
    fns = []
    for f in prod:
        if f.endswith(".c"):
            fns += [(n, "%s:%s" % (f, name)) for n, name in functions(f)]
    print("longest functions:")
    for n, name in sorted(fns, reverse=True)[:10]:
        print("  %4d  %s" % (n, name))
    sizes = sorted(((sum(1 for _ in open(f, encoding="utf-8", errors="replace")), f)
                    for f in prod), reverse=True)
    print("largest files:")
    for n, f in sizes[:10]:
        print("  %5d  %s" % (n, f))
    return 0


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    srcs = files()
    cmd = sys.argv[1] if len(sys.argv) > 1 else "lint"
    if cmd == "lint":
        return lint(srcs)
    if cmd == "report":
        return report(srcs)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
