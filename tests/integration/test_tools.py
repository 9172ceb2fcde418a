"""The outside programs the tests use: scripts/deps installs every one of them, and a test
that misses one fails in one line naming the Debian package (no lab needed)."""
import subprocess
import sys
import textwrap

import tools


def _check_group():
    with open(tools.PACKAGES_LIST, encoding="utf-8") as f:
        rows = [ln.split("#", 1)[0].split() for ln in f]
    return [r for r in rows if len(r) >= 2 and r[0] == "check"]


def test_every_check_package_is_installed():
    """What `make check` depends on is what scripts/deps installs: nothing is missing after it."""
    pkgs = [r[1] for r in _check_group()]
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Status}\\n"] + pkgs,
                       capture_output=True, text=True)
    ok = {ln.split()[0] for ln in r.stdout.splitlines() if ln.endswith("ok installed")}
    assert sorted(set(pkgs) - ok) == []


def test_every_listed_program_and_file_is_there():
    absent = [(what, r[1]) for r in _check_group() for what in r[2:] if tools.missing(what)]
    assert absent == []


def test_missing_program_fails_in_one_line(tmp_path):
    """A test that needs an absent program reports it in one line with its package."""
    t = tmp_path / "test_needs_absent.py"
    t.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tools.PACKAGES_LIST.parents[1] / 'tests' / 'integration')!r})
        import tools
        tools.BRINGS["rstcraft-absent-tool"] = "rstcraft-absent-package"

        def test_it():
            tools.require("rstcraft-absent-tool")
    """))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-rf", str(t)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    why = [ln for ln in r.stdout.splitlines() if "rstcraft-absent-tool" in ln]
    assert why and all("install the Debian package rstcraft-absent-package" in ln for ln in why)
    assert "Traceback" not in r.stdout and "def test_it" not in r.stdout, r.stdout
