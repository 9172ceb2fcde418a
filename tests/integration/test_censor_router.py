"""rstcraft censor on an L3 router (scripts/lab up --routed: client 198.18.1.1 and
2001:2:1::1, router ${ID}s with pc on the client's subnet and pk on the server's, server
198.18.2.2 and 2001:2:2::2), watching one of the router's interfaces. The client's frames
there are addressed to the router's own MAC, and so is a reset forged toward the far end:
it must leave by the route's egress, with that interface's MAC and the next hop's, every
fingerprint field intact. Real peers (far_servers.py, curl), tcpdump at both ends, scapy."""
import time
from pathlib import Path

import pytest

from lab import _readline_timeout, kill_proc
from test_censor import FINGERPRINTS, _censor_tables, censor
from tools import require

CLIENT, SERVER = "198.18.1.1", "198.18.2.2"
CLIENT6, SERVER6 = "2001:2:1::1", "2001:2:2::2"
PORT = 8080


@pytest.fixture(scope="module")
def servers(lab_routed):
    """The slow HTTP server (it answers 200 ms after the request, as a server farther away
    than the censor) on the server's IPv4 and IPv6 addresses."""
    require("curl", "openssl")
    lab = lab_routed
    key, crt = lab.tmp / "key.pem", lab.tmp / "crt.pem"
    lab.run("k", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                  "/CN=lab.test", "-keyout", key, "-out", crt], check=True)
    procs = []
    for addr, tls in ((SERVER, 8443), (SERVER6, 8444)):
        p = lab.popen("k", ["/usr/bin/python3", Path(__file__).with_name("far_servers.py"), addr, PORT, tls,
                            crt, key, "0.2"])
        procs.append(p)
        line = _readline_timeout(p.stdout, 10.0)
        assert line.strip() == "ready", (line, p.stderr.read() if p.poll() is not None else "")
    yield
    for p in procs:
        kill_proc(p)


def curl(lab, host, v6=False):
    url = f"http://[{SERVER6}]:{PORT}/" if v6 else f"http://{SERVER}:{PORT}/"
    return lab.run("c", ["curl", "-sS", "-g", "-m", "3", "-H", f"Host: {host}", url], timeout=10)


def l3(p):
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    return p[IP] if IP in p else p[IPv6] if IPv6 in p else None


def ttl(p):
    ip = l3(p)
    return ip.ttl if ip.version == 4 else ip.hlim


def tcp_of(cap, src, dst):
    from scapy.layers.inet import TCP
    return [p for p in cap.packets if TCP in p and l3(p) is not None and l3(p).src == src and l3(p).dst == dst]


def csum_ok(p):
    """The IPv4 header and TCP checksums as the receiver computes them (scapy)."""
    from scapy.layers.inet import IP, TCP
    ip = l3(p)
    raw = ip.__class__(bytes(ip))
    del raw[TCP].chksum
    if ip.version == 4:
        del raw[IP].chksum
    again = ip.__class__(bytes(raw))
    return again[TCP].chksum == p[TCP].chksum and (ip.version == 6 or again[IP].chksum == ip.chksum)


def request(cap, src, dst):
    from scapy.layers.inet import TCP
    return next(p for p in tcp_of(cap, src, dst) if b"blocked.test" in bytes(p[TCP].payload))


def looks_forged(p, fp):
    from scapy.layers.inet import TCP
    ip = l3(p)
    return (str(p[TCP].flags) == fp["flags"] and fp["ttl"][0] <= ttl(p) <= fp["ttl"][1]
            and (ip.version == 6 or fp["ipid"][0] <= ip.id <= fp["ipid"][1]))


@pytest.mark.parametrize("inj,v6,iface", [("gfw1", False, "pc"), ("gfw2", False, "pc"), ("gfw2", False, "pk"),
                                          ("gfw1", True, "pc"), ("gfw2", True, "pc")])
def test_both_ends_reset_through_the_router(lab_routed, servers, inj, v6, iface):
    """--to both on the router's client-side (pc) or server-side (pk) interface: curl is
    reset; the server's socket is too (its capture holds the forged copies at its exact
    RCV.NXT, and it never sends the answer it owed 200 ms later). Every forged frame at
    each end carries the injector's fingerprint (TTL range, IP ID, DF), a correct checksum,
    and that link's MACs: the router's interface as source, the receiver as destination."""
    from scapy.layers.inet import TCP
    from scapy.layers.l2 import Ether
    lab, fp = lab_routed, FINGERPRINTS[inj]
    cip, sip = (CLIENT6, SERVER6) if v6 else (CLIENT, SERVER)
    with lab.capture("c", "c0", "tcp") as ccap, lab.capture("k", "k0", "tcp") as kcap, \
            censor(lab, "--host", "blocked.test", "--to", "both", "--injector", inj, "--residual", "0",
                   iface=iface) as c:
        r = curl(lab, "blocked.test", v6)
        time.sleep(0.5)                      # the server's answer was due 200 ms after the request
    assert r.returncode == 56 and "reset by peer" in r.stderr, (r.returncode, r.stderr)
    trig = [e for e in c.events if e["event"] == "trigger"]
    assert [(e["to_client"], e["to_server"]) for e in trig] == [(fp["n"], fp["n"])], trig
    at_server = request(kcap, cip, sip)
    rcv_nxt = (at_server[TCP].seq + len(bytes(at_server[TCP].payload))) % 2**32
    at_client = request(ccap, cip, sip)
    ends = ((kcap, cip, sip, rcv_nxt, lab.mac("s", "pk"), lab.mac("k", "k0")),
            (ccap, sip, cip, at_client[TCP].ack, lab.mac("s", "pc"), lab.client_mac))
    for cap, src, dst, seq, smac, dmac in ends:
        forged = [p for p in tcp_of(cap, src, dst) if p[TCP].flags & 0x04 and p.time >= at_client.time][:fp["n"]]
        assert len(forged) == fp["n"] and all(looks_forged(p, fp) for p in forged), \
            (dst, [p.summary() for p in tcp_of(cap, src, dst)])
        for p in forged:
            assert p[TCP].seq == seq, (dst, p[TCP].seq, seq)
            assert (p[Ether].src, p[Ether].dst) == (smac, dmac), (dst, p[Ether].src, p[Ether].dst)
            assert csum_ok(p), p.summary()
            if not v6:
                assert bool(l3(p).flags & 0x2) == fp["df"], l3(p).flags
        if fp.get("same"):
            assert len({(ttl(p), getattr(l3(p), "id", 0)) for p in forged}) == 1
    # the server's socket was reset before its answer was due: no data ever left it
    answered = [p for p in tcp_of(kcap, sip, cip) if bytes(p[TCP].payload)]
    assert answered == [], [p.summary() for p in answered]
    assert f"routed={fp['n']} unroutable=0" in c.counts, c.counts


@pytest.mark.parametrize("v6", [False, True])
def test_drop_on_the_router(lab_routed, servers, v6):
    """--drop on the router, resets to the client only: the server keeps its connection
    and answers 200 ms later; that answer is captured leaving the server and never reaches
    the client (the router's forward hook drops it), the forged resets do. The tables are
    gone after exit, and an allowed host passes."""
    from scapy.layers.inet import TCP
    lab = lab_routed
    cip, sip = (CLIENT6, SERVER6) if v6 else (CLIENT, SERVER)
    with lab.capture("c", "c0", "tcp") as ccap, lab.capture("k", "k0", "tcp") as kcap, \
            censor(lab, "--host", "blocked.test", "--residual", "0", "--to", "client", "--drop", iface="pc") as c:
        assert sorted(t[0] for t in _censor_tables(lab)) == ["bridge", "inet"]
        bad = curl(lab, "blocked.test", v6)
        time.sleep(0.6)
        ok = curl(lab, "allowed.test", v6)
        t_stop = time.time()
    assert bad.returncode == 56, (bad.returncode, bad.stderr)
    assert ok.returncode == 0 and "hello from the server" in ok.stdout, ok.stderr
    assert "drop-failed=0" in c.counts, c.counts
    assert _censor_tables(lab) == [], "tables left behind"
    port = request(kcap, cip, sip)[TCP].sport
    assert [p for p in tcp_of(kcap, sip, cip) if p[TCP].dport == port and b"HTTP/1." in bytes(p[TCP].payload)], \
        "the server never answered: nothing was there to drop"
    leaked = [p for p in tcp_of(ccap, sip, cip) if p[TCP].dport == port and p.time < t_stop
              and (bytes(p[TCP].payload) or p[TCP].flags & 0x01) and not p[TCP].flags & 0x04]
    assert leaked == [], [p.summary() for p in leaked]
    forged = [p for p in tcp_of(ccap, sip, cip) if p[TCP].dport == port and p[TCP].flags & 0x04
              and looks_forged(p, FINGERPRINTS["gfw2"])]
    assert len(forged) == 3, [p.summary() for p in tcp_of(ccap, sip, cip)]


def test_allowed_untouched_and_residual_on_the_router(lab_routed, servers):
    """An allowed host passes with nothing forged; after a blocked one, --residual 3 resets
    the next connection to that server at its SYN, and one after the 3 s passes."""
    lab = lab_routed
    with censor(lab, "--host", "blocked.test", "--residual", "3", iface="pc") as c:
        ok = curl(lab, "allowed.test")
        bad = curl(lab, "blocked.test")
        t_block = time.monotonic()
        during = curl(lab, "allowed.test")
        time.sleep(max(0.0, 3.3 - (time.monotonic() - t_block)))
        after = curl(lab, "allowed.test")
    assert ok.returncode == 0 and "hello from the server" in ok.stdout, ok.stderr
    assert bad.returncode == 56, (bad.returncode, bad.stderr)
    assert during.returncode != 0, "a connection inside the residual window went through"
    assert after.returncode == 0, after.stderr
    assert [e["event"] for e in c.events] == ["trigger", "residual"], c.events
    assert "unroutable=0" in c.counts, c.counts
