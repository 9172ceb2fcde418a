"""rstcraft kill against real kernel endpoints: a client in ${ID}c holds two connections to
a server in ${ID}k, one busy (the server streams) and one idle. Killing from the client's
namespace must make both applications see ECONNRESET on both connections within 1 s, over
IPv4 and over IPv6 (whose RSTs are checked field by field in a capture).
tcpkill (Debian dsniff) is measured on the same kind of pair in the same run and both
success rates are printed."""
import json
import os
import select
import signal
import subprocess
import time

import pytest

from lab import CLIENT_IP6, KERNEL_IP, KERNEL_IP6, RSTCRAFT, kill_proc, _readline_timeout

PEER = r'''
import errno, json, socket, sys, threading, time
out = threading.Lock()
def report(side, kind, e):
    t = time.monotonic()
    if e is None:
        name = "EOF"
    else:
        name = errno.errorcode.get(getattr(e, "errno", 0) or 0, type(e).__name__)
    with out:       # two threads report at once: one whole line each
        sys.stdout.write(json.dumps({"side": side, "kind": kind, "err": name, "t": t}) + "\n")
        sys.stdout.flush()
def busy(sock, side):
    chunk = b"x" * 16384
    try:
        if side == "server":
            while True:
                sock.sendall(chunk)
        else:
            while True:
                if not sock.recv(65536):
                    return report(side, "busy", None)
    except OSError as e:
        report(side, "busy", e)
def idle(sock, side):
    try:
        d = sock.recv(1)
        report(side, "idle", None if not d else OSError(0, "data"))
    except OSError as e:
        report(side, "idle", e)
role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if role == "server":
    ls = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(8)
    print(json.dumps({"listening": port}), flush=True)
    for _ in range(2):
        c, _ = ls.accept()
        kind = c.recv(5)
        threading.Thread(target=busy if kind == b"busy\n" else idle, args=(c, "server")).start()
else:
    a = socket.create_connection((addr, port)); a.sendall(b"busy\n")
    b = socket.create_connection((addr, port)); b.sendall(b"idle\n")
    time.sleep(0.3)     # let the busy one get going and the idle one go quiet
    print(json.dumps({"ready": [a.getsockname()[1], b.getsockname()[1]]}), flush=True)
    threading.Thread(target=busy, args=(a, "client")).start()
    threading.Thread(target=idle, args=(b, "client")).start()
'''


class Pair:
    """A busy and an idle connection between a kernel client (c) and server (k)."""

    def __init__(self, lab, port, addr=KERNEL_IP):
        self.lab, self.port = lab, port
        path = lab.tmp / "kill_peer.py"
        path.write_text(PEER)
        self.srv = lab.popen("k", ["/usr/bin/python3", path, "server", addr, port])
        line = _readline_timeout(self.srv.stdout, 5.0)
        assert "listening" in line, (line, self.srv.stderr.read())
        self.cli = lab.popen("c", ["/usr/bin/python3", path, "client", addr, port])
        line = _readline_timeout(self.cli.stdout, 5.0)
        assert "ready" in line, (line, self.cli.stderr.read())
        self.ports = json.loads(line)["ready"]
        self.events = []

    def collect(self, until):
        """Read the peers' error reports until `until` (monotonic) or all four are in."""
        bufs = {self.srv.stdout.fileno(): b"", self.cli.stdout.fileno(): b""}
        while time.monotonic() < until and len(self.events) < 4:
            r, _, _ = select.select(list(bufs), [], [], max(0.0, until - time.monotonic()))
            for fd in r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    bufs.pop(fd)
                    continue
                bufs[fd] += chunk
                *lines, bufs[fd] = bufs[fd].split(b"\n")
                self.events += [json.loads(ln) for ln in lines if ln.startswith(b"{")]
            if not bufs:
                break
        return self.events

    def reset_within(self, t0, limit=1.0):
        """Ends (of 4) that saw ECONNRESET within limit seconds of t0."""
        return [e for e in self.events if e["err"] == "ECONNRESET" and e["t"] - t0 <= limit]

    def close(self):
        kill_proc(self.cli, signal.SIGKILL)
        kill_proc(self.srv, signal.SIGKILL)


def run_killer(lab, argv, pair, secs=2.0, grace=0.0):
    """Start the killer, collect the peers' reports for secs, give the killer grace seconds
    to finish on its own (--count), then stop it. Returns the start time and its output."""
    t0 = time.monotonic()
    k = lab.popen("c", argv)
    pair.collect(t0 + secs)
    try:
        k.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    kill_proc(k, signal.SIGTERM)
    out = k.stdout.read() if k.stdout else ""
    err = k.stderr.read() if k.stderr else ""
    return t0, out + err


def rstcraft_kill(lab, port, *extra, addr=KERNEL_IP):
    return [RSTCRAFT, "kill", "-i", "c0", "--probe", *extra, f"host {addr} and port {port}"]


@pytest.fixture(scope="module")
def lab(lab6):
    """Every test here runs in the lab with IPv6 beside IPv4 (scripts/lab up --v6)."""
    return lab6


# ipv4-mapped: both peers use IPv6 sockets for an IPv4 connection (::ffff:198.18.0.2), so
# the kernel lists the idle one only among its IPv6 sockets; kill's filter names IPv4.
PEER_ADDR = {"ipv4": KERNEL_IP, "ipv6": KERNEL_IP6, "ipv4-mapped": "::ffff:" + KERNEL_IP}


@pytest.mark.parametrize("family", ["ipv4", "ipv6", "ipv4-mapped"])
def test_kill_busy_and_idle_connection(lab, family):
    addr = KERNEL_IP6 if family == "ipv6" else KERNEL_IP
    pair = Pair(lab, {"ipv4": 5001, "ipv6": 5011, "ipv4-mapped": 5021}[family], PEER_ADDR[family])
    try:
        # IPv6 RSTs only (the busy connection would fill a full capture): TCP right after
        # the fixed header, flags at byte 13 of it
        with lab.capture("k", "k0", "ip6 and ip6[6] == 6 and ip6[53] & 4 != 0") as cap:
            t0, out = run_killer(lab, rstcraft_kill(lab, pair.port, "--json", "--count", 2, addr=addr),
                                 pair, grace=3.0)
        ok = pair.reset_within(t0)
    finally:
        pair.close()
    got = {(e["side"], e["kind"]): e["err"] for e in pair.events}
    assert len(ok) == 4, (got, out)
    evs = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    killed = [e for e in evs if e["event"] == "killed"]
    assert len(killed) == 2, evs
    assert {e["client"].rsplit(":", 1)[1] for e in killed} == {str(p) for p in pair.ports}, killed
    if family == "ipv6":
        assert {e["server"] for e in killed} == {f"[{addr}]:{pair.port}"}, killed
        check_v6_rsts(cap.packets, evs, pair.port)


def check_v6_rsts(pkts, evs, port):
    """Every RST kill reports to the server went out as an IPv6 RST with exactly the seq and
    ack it says, hop limit 64, flow label and traffic class 0, window 0, no options, and a
    TCP checksum scapy agrees with."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    to_server = [e for e in evs if e["event"] == "rst" and e["end"] == "server"]
    assert to_server, evs
    rsts = [p for p in pkts if IPv6 in p and TCP in p and p[TCP].flags.R and p[TCP].dport == port]
    seen = {(p[IPv6].src, p[TCP].sport, p[TCP].seq, p[TCP].ack) for p in rsts}
    for e in to_server:
        cport = int(e["from"].rsplit(":", 1)[1])
        assert (CLIENT_IP6, cport, e["seq"], e["ack"]) in seen, (e, seen)
    for p in rsts:
        ip, tcp = p[IPv6], p[TCP]
        assert (ip.hlim, ip.fl, ip.tc, ip.nh, ip.plen) == (64, 0, 0, 6, 20), p.show(dump=True)
        assert (tcp.window, tcp.dataofs, tcp.options, tcp.urgptr) == (0, 5, [], 0), p.show(dump=True)
        again = IPv6(bytes(ip))
        del again[TCP].chksum
        assert IPv6(bytes(again))[TCP].chksum == tcp.chksum, "bad TCP checksum"


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_kill_client_only(lab, family):
    # --client: only the client end is reset; the server's idle socket stays open
    port = 5003 if family == "ipv4" else 5013
    pair = Pair(lab, port, PEER_ADDR[family])
    try:
        t0, out = run_killer(lab, rstcraft_kill(lab, port, "--client", "--json", addr=PEER_ADDR[family]), pair,
                             secs=1.5)
    finally:
        pair.close()
    got = {(e["side"], e["kind"]): e["err"] for e in pair.events}
    assert got.get(("client", "idle")) == "ECONNRESET", (got, out)
    assert ("server", "idle") not in got, (got, out)
    rst_to = {json.loads(ln)["end"] for ln in out.splitlines()
              if ln.startswith("{") and json.loads(ln)["event"] == "rst"}
    assert rst_to == {"client"}, out


def test_kill_needs_a_filter():
    r = subprocess.run([RSTCRAFT, "kill", "-i", "lo"], capture_output=True, text=True)
    assert r.returncode == 2 and "FILTER" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = subprocess.run([RSTCRAFT, "kill", "port 80"], capture_output=True, text=True)
    assert r.returncode == 2 and "-i" in r.stderr, r.stderr


def test_compare_with_tcpkill(lab, capsys):
    """Both tools on fresh busy+idle pairs, same run; success = an end saw ECONNRESET
    within 1 s. rstcraft must reset all of them; tcpkill's rate is reported."""
    rounds = 2
    score = {"rstcraft kill": 0, "tcpkill": 0}
    port = 5100
    for _ in range(rounds):
        for tool in ("tcpkill", "rstcraft kill"):
            port += 1
            pair = Pair(lab, port)
            try:
                argv = (["tcpkill", "-i", "c0", "-3", f"host {KERNEL_IP} and port {port}"]
                        if tool == "tcpkill" else rstcraft_kill(lab, port, "-q"))
                t0, _ = run_killer(lab, argv, pair, secs=2.0)
                score[tool] += len(pair.reset_within(t0))
            finally:
                pair.close()
    total = rounds * 4
    with capsys.disabled():
        print(f"\nkill success (ends reset within 1 s, busy + idle connections, {rounds} rounds):")
        for tool, n in score.items():
            print(f"  {tool:<14} {n}/{total} = {100 * n / total:.0f}%")
    assert score["rstcraft kill"] == total, score
