"""Fixtures for the lab tests. Each test module gets its own lab "rc<pid>" (scripts/lab),
removed at the end of the module even on failure; atexit and SIGTERM/SIGHUP handlers remove
it if pytest itself is killed or interrupted.

Without root every test is skipped with the reason; under CI=true that is a failure, so a
CI run that silently tested nothing cannot pass."""
import atexit
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import lab as labmod  # noqa: E402
import tools  # noqa: E402

atexit.register(labmod.cleanup_all)


def _on_signal(signum, frame):
    labmod.cleanup_all()
    # Re-raise with the default action so the exit status says what happened.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


for _s in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def _why_not():
    """None when the lab can run here, else the reason."""
    if os.geteuid() != 0:
        return "integration tests need root (network namespaces, raw sockets)"
    for tool in ("ip", "tcpdump", "setpriv", "nft"):
        if tools.missing(tool):
            return f"{tool} not found: install the Debian package {tools.package_of(tool)} (scripts/deps)"
    try:
        import scapy.all  # noqa: F401
    except ImportError:
        return "scapy not importable: install the Debian package python3-scapy (scripts/deps)"
    if not (labmod.CLIENTS / "connect_timeout").exists():
        return "clients not built (make clients)"
    return None


def _skip_or_fail(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the lab cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _lab(v6, routed=False):
    reason = _why_not()
    if reason:
        _skip_or_fail(reason)
    lab_ = labmod.Lab(f"rc{os.getpid()}")
    try:
        lab_.up(v6=v6, routed=routed)
    except BaseException:
        lab_.down()
        raise
    try:
        yield lab_
    finally:
        lab_.down()
        labmod.remove_tmp(lab_.tmp)


@pytest.fixture(scope="module")
def lab():
    yield from _lab(False)


@pytest.fixture(scope="module")
def lab_routed():
    """Client and server on two subnets with ${ID}s routing between them, IPv4 and IPv6
    (scripts/lab up --routed --v6)."""
    yield from _lab(True, routed=True)


@pytest.fixture(scope="module")
def lab6():
    """The same lab with IPv6 on the client and kernel hosts (scripts/lab up --v6)."""
    yield from _lab(True)
