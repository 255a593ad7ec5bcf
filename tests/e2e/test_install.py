"""`make install` puts the binary in $(BINDIR) and the shipped rule packs
(packaging/rules/*.yaml) in $(RULESDIR), $(PREFIX)/share/weir/rules by
default, under DESTDIR; the installed weir accepts a config that includes
the packs from there; `make uninstall` takes them away again.

make installs the binary under test (WEIR_BIN): B is its build directory,
and `-o` keeps make from rebuilding it."""

import os
import stat
import subprocess
from pathlib import Path

import yaml

from conftest import REPO_ROOT, WEIR_BIN, assert_no_sanitizer_report, yq

PACKS = sorted((REPO_ROOT / "packaging" / "rules").glob("*.yaml"))


def make(*args, timeout=120):
    b = Path(WEIR_BIN).parent
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", str(REPO_ROOT), "--no-print-directory", f"B={b}",
                        "-o", f"{b}/weir", *args], capture_output=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, f"make {' '.join(args)} exited {p.returncode}:\n{out}"
    return out


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_make_install_puts_the_rule_packs_where_weir_check_takes_them(tmp_path):
    assert PACKS, "no rule packs in packaging/rules"
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/usr")

    binary = dest / "usr" / "bin" / "weir"
    assert binary.read_bytes() == Path(WEIR_BIN).read_bytes()
    assert mode(binary) == 0o755
    rules_dir = dest / "usr" / "share" / "weir" / "rules"
    assert sorted(p.name for p in rules_dir.iterdir()) == [p.name for p in PACKS]
    for p in PACKS:
        assert (rules_dir / p.name).read_bytes() == p.read_bytes(), p.name
        assert mode(rules_dir / p.name) == 0o644, p.name

    # Every pack at once, from where it was installed, with the sources the
    # packs' headers name (access-log rules read combined fields).
    nrules = sum(len(yaml.safe_load(p.read_text())["rules"]) for p in PACKS)
    cfg = tmp_path / "weir.yaml"
    cfg.write_text("listen: 127.0.0.1:0\n"
                   f"state_dir: {yq(tmp_path / 'state')}\n"
                   "sources:\n"
                   f"  - {{name: access, path: {yq(tmp_path / 'access.log')}, format: combined}}\n"
                   f"  - {{name: system, path: {yq(tmp_path / 'syslog')}, format: syslog}}\n"
                   f"include: [{yq(rules_dir / '*.yaml')}]\n")
    p = subprocess.run([str(binary), "check", "-c", str(cfg)], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    assert_no_sanitizer_report(err)
    assert p.returncode == 0, err
    assert f"{nrules} rules" in p.stdout.decode(), p.stdout

    make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    assert not binary.exists()
    assert not (dest / "usr" / "share" / "weir").exists()


def test_rulesdir_and_prefix_move_the_packs(tmp_path):
    dest = tmp_path / "dest"
    make("install", f"DESTDIR={dest}", "PREFIX=/opt/weir", "RULESDIR=/etc/weir/rules")
    assert (dest / "opt" / "weir" / "bin" / "weir").is_file()
    assert sorted(p.name for p in (dest / "etc" / "weir" / "rules").iterdir()) == \
        [p.name for p in PACKS]
    assert not (dest / "opt" / "weir" / "share").exists()
