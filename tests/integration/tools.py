"""The outside programs (and data files) the lab tests run, and the Debian package that
brings each, read from scripts/packages (the list scripts/deps installs from). A test that
misses one fails in one line naming the package, instead of an assertion dump."""
import os
import shutil
from pathlib import Path

import pytest

PACKAGES_LIST = Path(__file__).resolve().parents[2] / "scripts" / "packages"


def _read_list(path=PACKAGES_LIST):
    """{program or file: package} from scripts/packages."""
    brings = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            for what in words[2:]:
                brings[what] = words[1]
    return brings


BRINGS = _read_list()


def package_of(what):
    """The Debian package, or None when scripts/packages does not list it."""
    return BRINGS.get(what) or BRINGS.get(os.path.basename(what))


def missing(what):
    """True when a program (a bare name, looked up on PATH) or a file (a path) is absent."""
    if "/" in what:
        return not os.path.exists(what)
    return shutil.which(what) is None


def require(*things):
    """Fail the calling test in one line when any program or file is missing."""
    for what in things:
        if not missing(what):
            continue
        pkg = package_of(what)
        if pkg is None:
            pytest.fail(f"{what} not found, and scripts/packages names no package for it",
                        pytrace=False)
        pytest.fail(f"{what} not found: install the Debian package {pkg} "
                    "(scripts/deps installs it)", pytrace=False)
