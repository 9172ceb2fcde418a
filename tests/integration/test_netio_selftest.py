"""The wire layer's own lab check (tests/netio_selftest.sh): capture and send errors,
ARP answering, RFC 5227 probing of single addresses and a /22, the nft guard and its
janitor, -w, and the privilege drop, each through the tests/tools/netio_probe driver."""
import subprocess

from lab import REPO


def test_netio_selftest(lab):   # the fixture brings the root / CI=true skip rule
    r = subprocess.run([str(REPO / "tests" / "netio_selftest.sh")], capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "netio_selftest: all passed" in r.stdout
