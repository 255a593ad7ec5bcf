#!/usr/bin/python3
"""Regenerate the rule packs' sample logs and their expected results.

For every pack in packaging/rules/ this writes, next to this file:
  PACK.yaml              the scan config: includes the shipped pack
  PACK.log               the sample log (samplegen.sample: every line maker
                         once, then seeded random draws), LF line ends
  PACK.golden.json       the expected `weir scan` result (rule totals,
                         records, bytes, lines_truncated), computed by the
                         Python reference tests/e2e/refmatch.py, never
                         taken from weir's output
  PACK.aggregates.json   the reference's value/top/distinct per rule that
                         asks for them (refmatch's layout; the tests compare
                         weir's aggregates with these)

Usage: /usr/bin/python3 tests/rules/regen.py [PACK...]
Run it after changing a pack or samplegen.py, read the diff of the goldens,
and commit logs and goldens together.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(HERE))

import refmatch  # noqa: E402
import samplegen  # noqa: E402


def config_text(pack):
    return (f"# Scan config for the {pack} pack's sample (tests/rules/{pack}.log);\n"
            f"# scan it with --format {samplegen.FORMAT[pack]}. Made by tests/rules/regen.py.\n"
            f"include: [../../packaging/rules/{pack}.yaml]\n")


def regen(pack):
    cfg_path = HERE / f"{pack}.yaml"
    cfg_path.write_text(config_text(pack))
    log = HERE / f"{pack}.log"
    data = "".join(line + "\n" for line in samplegen.sample(pack)).encode("utf-8")
    log.write_bytes(data)
    cfg = refmatch.Config(cfg_path)
    res = refmatch.scan_bytes(cfg, data, samplegen.FORMAT[pack], aggregates=True)
    (HERE / f"{pack}.golden.json").write_text(refmatch.dump_golden(res))
    aggs = {r["name"]: {k: r[k] for k in ("value", "top", "distinct") if k in r}
            for r in res["rules"] if len(r) > 2}
    (HERE / f"{pack}.aggregates.json").write_text(json.dumps(aggs, indent=1, sort_keys=True) + "\n")
    zero = [r["name"] for r in res["rules"] if r["total"] == 0]
    print(f"{pack}: {res['records']} records, {len(res['rules'])} rules"
          + (f"; NO HITS: {zero}" if zero else ""))


def main(argv):
    for pack in argv or samplegen.PACKS:
        regen(pack)


if __name__ == "__main__":
    main(sys.argv[1:])
