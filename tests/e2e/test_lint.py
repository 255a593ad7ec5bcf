"""make lint's structural rules (scripts/layers.py) catch what they promise.

Each case builds a tiny tree of C files in a fresh git repository, runs the
real script on it, and checks both the verdict and the message, so the lint
that guards the floors is itself shown to fail on a violation. Also: the
repository's own tree passes it.
"""

import shutil
import subprocess
import sys

from conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "layers.py"


def lint_tree(tmp_path, files):
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPT, tmp_path / "scripts" / "layers.py")
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    r = subprocess.run([sys.executable, str(tmp_path / "scripts" / "layers.py"), "lint"],
                       capture_output=True, text=True, cwd=tmp_path)
    return r.returncode, r.stdout + r.stderr


CLEAN = {
    "core/a.h": "int a(void);\n",
    "core/a.c": '#include "core/a.h"\nint a(void) { return 1; }\n',
    "ingest/b.c": '#include "core/a.h"\nint b(void) { return a(); }\n',
}


def test_a_clean_tree_passes(tmp_path):
    rc, out = lint_tree(tmp_path, CLEAN)
    assert rc == 0, out
    assert "clean" in out


def test_an_include_from_a_higher_floor_fails(tmp_path):
    files = dict(CLEAN)
    files["core/a.c"] = '#include "core/a.h"\n#include "app/run.h"\nint a(void) { return 1; }\n'
    files["app/run.h"] = "int run(void);\n"
    rc, out = lint_tree(tmp_path, files)
    assert rc == 1
    assert "core/a.c: includes app/run.h from a higher floor (app above core)" in out


def test_a_module_circle_fails(tmp_path):
    files = dict(CLEAN)
    files["ingest/x.h"] = "int x(void);\n"
    files["ingest/x.c"] = '#include "ingest/x.h"\n#include "ingest/y.h"\nint x(void) { return 0; }\n'
    files["ingest/y.h"] = "int y(void);\n"
    files["ingest/y.c"] = '#include "ingest/y.h"\n#include "ingest/x.h"\nint y(void) { return 0; }\n'
    rc, out = lint_tree(tmp_path, files)
    assert rc == 1
    assert "include circle between modules: ingest/x, ingest/y" in out


def test_banned_calls_fail_with_their_place_but_not_in_comments_or_strings(tmp_path):
    files = dict(CLEAN)
    files["core/a.c"] = (
        '#include "core/a.h"\n'
        "#include <stdlib.h>\n"
        "/* atoi(s) would be wrong here */\n"
        'static const char *why = "never sprintf(";\n'
        "int a(void) { char b[4]; return atoi(\"1\") + (b[0] = 0) + sprintf(b, \"x\"); }\n"
    )
    rc, out = lint_tree(tmp_path, files)
    assert rc == 1
    assert "core/a.c:5:" in out and "banned call atoi()" in out
    assert "banned call sprintf()" in out
    assert out.count("banned call") == 2, out


def test_a_folder_that_is_no_floor_fails(tmp_path):
    files = dict(CLEAN)
    files["misc/z.c"] = "int z(void) { return 0; }\n"
    rc, out = lint_tree(tmp_path, files)
    assert rc == 1
    assert "misc/: a folder of C files that is no floor" in out


def test_this_repository_passes():
    r = subprocess.run([sys.executable, str(SCRIPT), "lint"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
