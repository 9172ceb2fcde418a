"""One network namespace that plays "the user's machine" for `rstcraft local` and `try`:
the test makes it (name carries our pid), runs rstcraft and the clients in it, and removes
it at the end, also when pytest is interrupted (atexit). Nothing runs in the host's
namespace."""
import atexit
import os
import re
import signal
import subprocess
import threading
import time

import pytest

import lab as labmod
from lab import RSTCRAFT, kill_proc
from tools import require

_made = set()


def _del_all():
    for name in list(_made):
        subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL, check=False)
        _made.discard(name)


atexit.register(_del_all)


def netns_list():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return sorted(ln.split()[0] for ln in r.stdout.splitlines() if ln.strip())


class UserNS:
    def __init__(self, tag):
        self.name = f"u{tag}{os.getpid()}"
        self.procs = []

    def up(self):
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL, check=False)
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        _made.add(self.name)
        self.run(["ip", "link", "set", "lo", "up"], check=True)
        self.run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], check=True)
        return self

    def down(self):
        for p in self.procs:
            kill_proc(p, signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL, check=False)
        _made.discard(self.name)

    def argv(self, argv):
        if "/" not in str(argv[0]):
            require(str(argv[0]))
        return ["ip", "netns", "exec", self.name] + [str(a) for a in argv]

    def run(self, argv, timeout=60, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.argv(argv), timeout=timeout, **kw)

    def popen(self, argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = labmod._register(subprocess.Popen(self.argv(argv), **kw))
        self.procs.append(p)
        return p

    def local(self, *args):
        return Local(self, [RSTCRAFT, "local"] + list(args)).start()

    def leftovers(self):
        """What rstcraft made that is still here: links but lo, routes, nft tables."""
        links = [ln.split()[0].split("@")[0] for ln in
                 self.run(["ip", "-br", "link"], check=True).stdout.splitlines()]
        routes = self.run(["ip", "route"], check=True).stdout.split("\n")
        tables = self.run(["nft", "list", "tables"], check=True).stdout.split("\n")
        return {"links": [x for x in links if x != "lo"],
                "routes": [x for x in routes if x.strip()],
                "tables": [x for x in tables if x.strip()]}


class Local:
    """rstcraft local ... in the user's namespace; stderr and stdout read by threads."""

    def __init__(self, ns, argv):
        self.ns, self.argv = ns, argv
        self.out, self.err = [], []
        self.ready = threading.Event()

    def start(self, timeout=10.0):
        self.p = self.ns.popen(self.argv, bufsize=1)
        self.threads = [threading.Thread(target=self._pump, args=(s, d), daemon=True)
                        for s, d in ((self.p.stdout, self.out), (self.p.stderr, self.err))]
        for t in self.threads:
            t.start()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.ready.wait(0.02):
                return self
            if self.p.poll() is not None:
                break
        for t in self.threads:
            t.join(timeout=2)
        raise AssertionError(f"rstcraft local not ready (exit {self.p.poll()}): {self.stderr}")

    def _pump(self, stream, sink):
        for line in stream:
            sink.append(line.rstrip("\n"))
            if line.startswith("rstcraft: ready"):
                self.ready.set()

    @property
    def stderr(self):
        return "\n".join(self.err)

    @property
    def address(self):
        m = re.search(r"answering for ([0-9.]+)", self.stderr)
        return m.group(1)

    @property
    def link(self):
        return re.search(r"routed through (\S+)", self.stderr).group(1)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            self.p.wait(timeout=timeout)
        for t in self.threads:
            t.join(timeout=2)
        kill_proc(self.p)
        return self.p.returncode


def wait_clean(ns, timeout=5.0):
    """Poll until nothing rstcraft made is left in ns; returns what was left last."""
    end = time.monotonic() + timeout
    while True:
        left = ns.leftovers()
        if not any(left.values()) or time.monotonic() > end:
            return left
        time.sleep(0.05)


@pytest.fixture
def userns(request):
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but not root: `local` tests need network namespaces")
        pytest.skip("`local` tests need root (network namespaces)")
    if not RSTCRAFT.exists():
        pytest.fail(f"{RSTCRAFT} not built (run make)")
    require("ip", "nft", "curl", "sysctl")
    ns = UserNS("l").up()
    try:
        yield ns
    finally:
        ns.down()
