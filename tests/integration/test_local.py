"""`rstcraft local`: the responder on "the user's machine" (a namespace this test makes,
with nothing in it but lo). Real clients (curl, Python sockets) connect to the address it
prints; after it stops, however it stops, nothing it made is left."""
import os
import re
import shutil
import signal
import subprocess
import time

from lab import RSTCRAFT
from localns import netns_list, userns, wait_clean  # noqa: F401 (fixture)

PY = "/usr/bin/python3"

UNREAD_CLIENT = r"""
import errno, socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"x" * 5000)
try:
    print("recv", len(s.recv(100)))
except OSError as e:
    print("recv", errno.errorcode[e.errno])
"""


def curl(ns, *args):
    t0 = time.monotonic()
    r = ns.run(["curl", "-sS"] + list(args), timeout=30)
    return r.returncode, r.stderr.strip(), time.monotonic() - t0


def test_rst_refused(userns):
    loc = userns.local("-p", "80", "--mode", "rst", "--json")
    assert loc.address == "198.18.0.10", loc.stderr
    assert "port 80" in loc.stderr and "rst" in loc.stderr, loc.stderr
    rc, err, _ = curl(userns, "--max-time", "3", f"http://{loc.address}:80/")
    assert rc == 7, (rc, err)
    r = userns.run([PY, "-c", "import socket,sys\ntry:\n socket.create_connection(('198.18.0.10',80),2)\n"
                    "except ConnectionRefusedError: print('refused')"])
    assert r.stdout.strip() == "refused", (r.stdout, r.stderr)
    assert loc.stop() == 0, loc.stderr
    assert any('"event":"closed-port"' in ln for ln in loc.out), loc.out
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_silent_connect_timeout(userns):
    loc = userns.local("-p", "80", "--mode", "silent")
    rc, err, took = curl(userns, "--connect-timeout", "1", f"http://{loc.address}:80/")
    assert rc == 28, (rc, err)
    assert 0.9 < took < 5, took
    loc.stop()


def test_unread_econnreset(userns):
    loc = userns.local("-p", "80", "--mode", "unread")
    r = userns.run([PY, "-c", UNREAD_CLIENT, loc.address, "80"])
    assert r.stdout.strip() == "recv ECONNRESET", (r.stdout, r.stderr)
    loc.stop()


def test_sigkill_leaves_nothing(userns):
    loc = userns.local("-p", "80", "--mode", "open", "--echo")
    link = loc.link
    # ip netns exec execs rstcraft: this pid is rstcraft's, and the names carry it
    assert link == f"rc{loc.p.pid}l0", link
    left = userns.leftovers()
    assert link in left["links"] and any(loc.address in r for r in left["routes"]), left
    with open(f"/proc/{loc.p.pid}/task/{loc.p.pid}/children") as f:
        children = [int(x) for x in f.read().split()]
    assert children, "no responder and no janitor under rstcraft local"
    os.kill(loc.p.pid, signal.SIGKILL)
    loc.p.wait(timeout=5)
    left = wait_clean(userns)
    assert not any(left.values()), left
    # no named namespace either (others' labs come and go meanwhile: look for ours)
    assert not [n for n in netns_list() if str(loc.p.pid) in n], netns_list()
    # the responder and the janitor went with it
    end = time.monotonic() + 5
    while any(os.path.exists(f"/proc/{c}") for c in children) and time.monotonic() < end:
        time.sleep(0.05)
    alive = {c: _status(c) for c in children if os.path.exists(f"/proc/{c}")}
    assert not alive, alive


def _status(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return " ".join(ln.strip() for ln in f if ln.split(":")[0] in ("Name", "State", "PPid"))
    except OSError:
        return "gone"


def test_sigint_and_second_instance(userns):
    one = userns.local("-p", "80", "--mode", "rst")
    two = userns.local("-p", "80", "--mode", "silent")
    assert one.address == "198.18.0.10" and two.address == "198.18.1.10", (one.stderr, two.stderr)
    assert curl(userns, "--max-time", "3", f"http://{one.address}/")[0] == 7
    assert curl(userns, "--connect-timeout", "1", f"http://{two.address}/")[0] == 28
    assert one.stop(signal.SIGINT) == 0, one.stderr
    assert two.stop(signal.SIGTERM) == 0, two.stderr
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_stale_link_removed(userns):
    # a link named as ours, for a pid that is not running: what a crash leaves behind
    pid = 4194303
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    userns.run(["ip", "link", "add", f"rc{pid}l0", "type", "veth", "peer", "name", f"rc{pid}r0"],
               check=True)
    loc = userns.local("-p", "80", "--mode", "rst")
    assert f"removed rc{pid}l0" in loc.stderr, loc.stderr
    assert f"rc{pid}l0" not in userns.leftovers()["links"]
    loc.stop()


def test_chosen_address(userns):
    loc = userns.local("-a", "198.19.7.7", "-p", "80", "--mode", "rst")
    assert loc.address == "198.19.7.7", loc.stderr
    assert curl(userns, "--max-time", "3", "http://198.19.7.7/")[0] == 7
    loc.stop()
    # a block is one route
    loc = userns.local("-a", "198.19.8.0/30", "-p", "80", "--mode", "rst")
    routes = userns.leftovers()["routes"]
    assert any(r.startswith("198.19.8.0/30 dev rc") for r in routes), routes
    assert curl(userns, "--max-time", "3", "http://198.19.8.2/")[0] == 7
    loc.stop()


def test_usage_errors(userns):
    for args, what in ((["-a", "10.1.2.3"], "198.18.0.0/15"), (["-i", "eth0"], "-i"),
                       (["--bogus"], "--bogus")):
        r = userns.run([RSTCRAFT, "local"] + args, timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and what in lines[0], (args, lines)
    assert not any(userns.leftovers().values())


def test_needs_root(userns):
    r = userns.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    RSTCRAFT, "local"], timeout=10)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 3 and len(lines) == 1, (r.returncode, r.stderr)
    assert "root" in lines[0] and "sudo" in lines[0] and "setcap" in lines[0], lines


def test_responder_options_pass_through(userns, tmp_path):
    # --profile, --json and -w reach the responder: a Windows TTL on the wire, in the file
    from scapy.layers.inet import IP, TCP
    from scapy.utils import rdpcap
    pcap = tmp_path / "local.pcap"
    loc = userns.local("-p", "443", "--mode", "rst", "--profile", "windows7", "--json",
                       "-w", pcap)
    assert "try: curl http://198.18.0.10:443/" in loc.stderr, loc.stderr
    assert "profile windows7" in loc.stderr, loc.stderr
    assert curl(userns, "--max-time", "3", f"http://{loc.address}:443/")[0] == 7
    assert loc.stop() == 0, loc.stderr
    rsts = [p for p in rdpcap(str(pcap)) if TCP in p and "R" in str(p[TCP].flags)]
    assert rsts and rsts[0][IP].src == "198.18.0.10" and rsts[0][IP].ttl == 128, rsts


def test_capabilities_instead_of_root(userns, tmp_path):
    # the setcap route the one-line error suggests: a copy of the binary with the three
    # capabilities, run as nobody, makes its link (ip gets them as ambient) and answers
    from tools import require
    require("setcap", "setpriv")
    os.chmod(tmp_path, 0o755)
    binary = tmp_path / "rstcraft"
    shutil.copy(RSTCRAFT, binary)
    subprocess.run(["setcap", "cap_net_admin,cap_net_raw,cap_sys_admin+ep", str(binary)],
                   check=True)
    from localns import Local
    loc = Local(userns, ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                         binary, "local", "-p", "80", "--mode", "rst"]).start()
    assert curl(userns, "--max-time", "3", f"http://{loc.address}/")[0] == 7
    assert loc.stop() == 0, loc.stderr
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_simultaneous_starts_differ(userns):
    # three started at once: each picks its /24 under the namespace's lock
    ps = [userns.popen([RSTCRAFT, "local", "--duration", "2"]) for _ in range(3)]
    addrs = []
    for p in ps:
        out, err = p.communicate(timeout=20)
        assert p.returncode == 0, err
        addrs.append(re.search(r"answering for ([0-9.]+)", err).group(1))
    assert sorted(addrs) == ["198.18.0.10", "198.18.1.10", "198.18.2.10"], addrs
    assert not any(wait_clean(userns).values()), userns.leftovers()
