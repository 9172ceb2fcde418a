"""Issue 14: the responder over IPv6, in a lab with IPv6 on the client and kernel hosts
(scripts/lab up --v6: c0 2001:2::1, k0 2001:2::2; r0 has IPv6 off, so its kernel owns
nothing and the responder answers Neighbour Discovery for 2001:2::10 itself).

Every mode's IPv4 acceptance again over IPv6 with the same kernel clients, and the linux
profile's resets against the kernel's own (tcp_v6_send_reset) field by field, decoded by
scapy; the flow label is compared in kind (non-zero, one per 4-tuple), as the kernel's is a
hash keyed with its boot secret."""
import json
import time

import pytest

from lab import CLIENT_IP6, KERNEL_IP6, RESP_IP6, RSTCRAFT, kill_proc


def _l(p):
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    return p[IPv6], p[TCP]


def tcp6(pkts, src=None, dst=None, sport=None, dport=None):
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    out = []
    for p in pkts:
        if IPv6 not in p or TCP not in p:
            continue
        ip, tcp = _l(p)
        if (src and ip.src != src) or (dst and ip.dst != dst) or \
                (sport is not None and tcp.sport != sport) or (dport is not None and tcp.dport != dport):
            continue
        out.append(p)
    return out


def conv(pkts, sport, server, dport):
    """Both directions of one connection, in capture order."""
    return sorted(tcp6(pkts, CLIENT_IP6, server, sport, dport) + tcp6(pkts, server, CLIENT_IP6, dport, sport),
                  key=lambda p: float(p.time))


def flags(p):
    return str(_l(p)[1].flags)


def payload_len(p):
    ip, tcp = _l(p)
    return ip.plen - tcp.dataofs * 4


def csum_ok(p):
    """Recompute the TCP checksum (IPv6 pseudo-header) with scapy."""
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    ip = p[IPv6]
    again = IPv6(bytes(ip)[: 40 + ip.plen])
    del again[TCP].chksum
    return IPv6(bytes(again))[TCP].chksum == ip[TCP].chksum


def summary(pkts):
    lines = []
    t0 = float(pkts[0].time) if pkts else 0.0
    for p in pkts:
        ip, tcp = _l(p)
        lines.append(f"{(float(p.time) - t0) * 1e3:9.3f} ms {ip.src}.{tcp.sport} > {ip.dst}.{tcp.dport} "
                     f"[{tcp.flags}] seq {tcp.seq} ack {tcp.ack} win {tcp.window} len {payload_len(p)} "
                     f"hlim {ip.hlim} tc {ip.tc:#x} fl {ip.fl:#x}")
    return "\n".join(lines)


def rst_shape(p, syn):
    """What makes a closed port's RST look like a given stack's (addresses, ports aside)."""
    ip, tcp = _l(p)
    s_ip, s_tcp = _l(syn)
    return {"flags": str(tcp.flags), "seq": tcp.seq, "ack": tcp.ack - s_tcp.seq,
            "window": tcp.window, "hlim": ip.hlim, "tc": ip.tc, "label": "zero" if ip.fl == 0 else "non-zero",
            "plen": ip.plen, "nh": ip.nh, "dataofs": tcp.dataofs, "options": tcp.options,
            "urgptr": tcp.urgptr, "reserved": tcp.reserved}


def handshake(pkts, server, sport, dport):
    syn = [p for p in tcp6(pkts, CLIENT_IP6, server, sport, dport) if flags(p) == "S"]
    sa = [p for p in tcp6(pkts, server, CLIENT_IP6, dport, sport) if flags(p) == "SA"]
    assert syn and sa, "no SYN or no SYN-ACK\n" + summary(pkts)
    assert _l(sa[0])[1].ack == (_l(syn[0])[1].seq + 1) & 0xFFFFFFFF
    return syn[0], sa[0]


# --- rst: ECONNREFUSED, and the kernel's RST field by field ---

def test_rst_like_kernel(lab6):
    with lab6.capture("c", "c0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "rst", addr=RESP_IP6) as resp:
        r = lab6.client("connect_timeout", RESP_IP6, 80, 1000)
        k = lab6.client("connect_timeout", KERNEL_IP6, 81, 1000)
        resp.wait_event("closed-port", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr
    assert r["result"] == "error" and r["errno"] == "ECONNREFUSED", r
    assert r["elapsed_ms"] < 500, r
    assert k["errno"] == "ECONNREFUSED", k
    shapes = {}
    for who, host, res, port in (("responder", RESP_IP6, r, 80), ("kernel", KERNEL_IP6, k, 81)):
        syn = [p for p in tcp6(cap.packets, CLIENT_IP6, host, res["sport"], port) if flags(p) == "S"]
        got = tcp6(cap.packets, host, CLIENT_IP6, port, res["sport"])
        assert syn and len(got) == 1, f"{who}: expected one answer\n" + summary(cap.packets)
        # the kernel's own leaves with a partial checksum the veth offload never completes
        # (ip6_xmit from the control socket, unlike IPv4's ip_send_unicast_reply)
        assert who == "kernel" or csum_ok(got[0]), f"{who}: bad TCP checksum"
        shapes[who] = rst_shape(got[0], syn[0])
    assert shapes["responder"] == shapes["kernel"], shapes
    assert shapes["kernel"]["flags"] == "RA" and shapes["kernel"]["ack"] == 1, shapes
    ev = resp.select("closed-port", sport=r["sport"])
    assert len(ev) == 1 and ev[0]["scenario"] == 1, resp.events
    assert (ev[0]["src"], ev[0]["dst"], ev[0]["in"], ev[0]["out"]) == (CLIENT_IP6, RESP_IP6, "S", "R."), ev


# Sent from the client with scapy: SYNs and a stray ACK with traffic classes, each SYN twice
# from the same port, and a SYN in an atomic fragment (RFC 6946), to the kernel and to the
# responder.
PROBE = r"""
import json, sys, time
from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, TCP, AsyncSniffer, conf, sendp
conf.verb = 0
hosts = json.loads(sys.argv[1])
sn = AsyncSniffer(iface="c0", filter="ip6 and tcp and not src host 2001:2::1")
sn.start(); time.sleep(0.5)
for dst, mac in hosts.items():
    for tc, sport, fl in ((0, 42001, "S"), (0, 42001, "S"), (0x2a, 42002, "S"), (0xb8, 42003, "S"),
                          (0x28, 42004, "A"), (0, 42005, "PA")):
        pkt = Ether(dst=mac) / IPv6(src="2001:2::1", dst=dst, tc=tc, fl=0x12345) / \
            TCP(sport=sport, dport=81, flags=fl, seq=1000, ack=5555 if "A" in fl else 0)
        if fl == "PA":
            pkt = pkt / b"hello"
        sendp(pkt, iface="c0")
    sendp(Ether(dst=mac) / IPv6(src="2001:2::1", dst=dst) / IPv6ExtHdrFragment(offset=0, m=0, id=77) /
          TCP(sport=42006, dport=81, flags="S", seq=1000), iface="c0")
time.sleep(0.5)
for p in sn.stop():
    print(json.dumps({"src": p[IPv6].src, "sport": p[TCP].dport, "flags": str(p[TCP].flags),
                      "tc": p[IPv6].tc, "fl": p[IPv6].fl, "hlim": p[IPv6].hlim,
                      "seq": p[TCP].seq, "ack": p[TCP].ack, "win": p[TCP].window}))
"""


def test_stray_resets_like_kernel(lab6):
    """Traffic class reflected (ECN bits cleared) and one flow label per 4-tuple, as
    tcp_v6_send_reset does; seq/ack for SYN, ACK and data segments to a closed port; a
    SYN in an atomic fragment answered as a whole packet."""
    with lab6.responder("-p", "81", "--mode", "rst", addr=RESP_IP6):
        # the client learns both MACs through neighbour discovery first
        lab6.client("connect_timeout", RESP_IP6, 81, 1000)
        lab6.client("connect_timeout", KERNEL_IP6, 81, 1000)
        macs = {KERNEL_IP6: lab6.mac("k", "k0"), RESP_IP6: lab6.resp_mac}
        r = lab6.run("c", ["/usr/bin/python3", "-c", PROBE, json.dumps(macs)], timeout=30)
    assert r.returncode == 0, r.stderr
    got = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    by = {h: [g for g in got if g["src"] == h] for h in (KERNEL_IP6, RESP_IP6)}
    assert len(by[KERNEL_IP6]) == 7, got

    def shape(ans):
        first = {}
        for a in ans:
            first.setdefault(a["sport"], a)
        same = [a["fl"] for a in ans if a["sport"] == 42001]
        return {"answers": [(a["sport"], a["flags"], a["tc"], a["hlim"], a["seq"], a["ack"], a["win"])
                            for a in ans],
                "label_per_tuple": len(set(same)) == 1 and len(same) == 2,
                "labels_differ": len({a["fl"] for a in first.values()}) == len(first)}
    assert shape(by[RESP_IP6]) == shape(by[KERNEL_IP6]), (by[RESP_IP6], by[KERNEL_IP6])


# --- silent: a timeout, and not one packet back ---

def test_silent(lab6):
    with lab6.capture("r", "r0", "ip6") as cap, \
            lab6.responder("-p", "80", "--mode", "silent", addr=RESP_IP6) as resp:
        r = lab6.client("connect_timeout", RESP_IP6, 80, 1000)
        resp.wait_event("silent-drop", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr
    assert r["result"] == "error" and r["timeout"] and r["errno"] == "EINPROGRESS", r
    assert 990 <= r["elapsed_ms"] < 1500, r
    from scapy.layers.inet6 import ICMPv6ND_NA, IPv6
    ours = [p for p in cap.packets if IPv6 in p and p[IPv6].src == RESP_IP6]
    # neighbour advertisements answer the client's solicitations; nothing else leaves
    assert all(ICMPv6ND_NA in p for p in ours), [p.summary() for p in ours]
    assert tcp6(cap.packets, CLIENT_IP6, RESP_IP6, r["sport"], 80), "no SYN seen"
    assert resp.select("silent-drop", sport=r["sport"]) and not resp.select("closed-port"), resp.events


# --- delay 110 ms against a 100 ms and a 300 ms client ---

def test_delay_client_gives_up(lab6):
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "delay", "--delay", "110", addr=RESP_IP6) as resp:
        r = lab6.client("connect_timeout", RESP_IP6, 80, 100, "--sndtimeo")
        resp.wait_event("client-abort", sport=r["sport"], timeout=3)
        assert resp.stop() == 0, resp.stderr
    assert r["result"] == "error" and r["timeout"], r
    syn, sa = handshake(cap.packets, RESP_IP6, r["sport"], 80)
    c = conv(cap.packets, r["sport"], RESP_IP6, 80)
    assert 110.0 <= (float(sa.time) - float(syn.time)) * 1e3 < 200.0, summary(c)
    rsts = [p for p in c if _l(p)[0].src == CLIENT_IP6 and "R" in flags(p)]
    assert len(rsts) == 1 and flags(rsts[0]) == "R", summary(c)
    assert _l(rsts[0])[1].seq == _l(sa)[1].ack, summary(c)
    ev = resp.select("client-abort", sport=r["sport"])
    assert len(ev) == 1 and ev[0]["scenario"] == 3 and ev[0]["delay_ms"] >= 110.0, resp.events


def test_delay_patient_client_connects(lab6):
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "delay", "--delay", "110", addr=RESP_IP6) as resp:
        r = lab6.client("connect_timeout", RESP_IP6, 80, 300, "--poll")
        resp.wait_event("handshake", sport=r["sport"], timeout=3)
        assert resp.stop() == 0, resp.stderr
    assert r["result"] == "ok" and r["elapsed_ms"] >= 110.0, r
    syn, sa = handshake(cap.packets, RESP_IP6, r["sport"], 80)
    assert (float(sa.time) - float(syn.time)) * 1e3 >= 110.0
    assert not resp.select("client-abort"), resp.events


# --- unread 5000/4000, after-close: the same client results as from the kernel ---

@pytest.fixture(scope="module")
def servers(lab6):
    """The seed's server on the kernel host over IPv6: unread (reads once the whole write
    arrived) and after-close."""
    a = lab6.seed_server(9877, "--settle", "50", addr=KERNEL_IP6)
    b = lab6.seed_server(9878, addr=KERNEL_IP6)
    yield
    kill_proc(a)
    kill_proc(b)


def test_unread(lab6, servers):
    keys = ("result", "errno", "sent", "recv", "recv_errno", "send_errno")
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "unread", addr=RESP_IP6) as resp:
        r = lab6.client("seed_unread", RESP_IP6, 80, 5000)
        r2 = lab6.client("seed_unread", RESP_IP6, 80, 4000)
        resp.wait_event("fin-close", sport=r2["sport"])
        assert resp.stop() == 0, resp.stderr
    k = lab6.client("seed_unread", KERNEL_IP6, 9877, 5000)
    k2 = lab6.client("seed_unread", KERNEL_IP6, 9877, 4000)
    assert r["recv_errno"] == "ECONNRESET" and r["send_errno"] == "EPIPE", r
    assert {x: r[x] for x in keys} == {x: k[x] for x in keys}, (r, k)
    assert r2["result"] == "ok" and r2["recv"] == 0, r2
    assert {x: r2[x] for x in keys} == {x: k2[x] for x in keys}, (r2, k2)
    syn, _ = handshake(cap.packets, RESP_IP6, r["sport"], 80)
    rst = [p for p in tcp6(cap.packets, RESP_IP6, CLIENT_IP6, 80, r["sport"]) if "R" in flags(p)]
    assert len(rst) == 1 and flags(rst[0]) == "RA", summary(cap.packets)
    assert _l(rst[0])[1].ack == (_l(syn)[1].seq + 1 + 5000) & 0xFFFFFFFF
    assert _l(rst[0])[1].window > 0 and csum_ok(rst[0])
    ev = resp.select("unread-reset", sport=r["sport"])
    assert len(ev) == 1 and ev[0]["unread"] == 904 and ev[0]["scenario"] == 4, resp.events
    assert not [p for p in tcp6(cap.packets, RESP_IP6, CLIENT_IP6, 80, r2["sport"]) if "R" in flags(p)]


def test_after_close(lab6, servers):
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "after-close", addr=RESP_IP6) as resp:
        r = lab6.client("seed_after_close", RESP_IP6, 80)
        resp.wait_event("data-after-close", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr
    k = lab6.client("seed_after_close", KERNEL_IP6, 9878)
    assert r["writes"][:2] == [4096, 4096], r
    for x in ("result", "writes", "write_errno"):
        assert r[x] == k[x], (x, r, k)
    srv = tcp6(cap.packets, RESP_IP6, CLIENT_IP6, 80, r["sport"])
    fin = [i for i, p in enumerate(srv) if "F" in flags(p)]
    rst = [i for i, p in enumerate(srv) if "R" in flags(p)]
    assert fin and rst and rst[0] > fin[0], summary(srv)
    assert flags(srv[rst[0]]) == "R" and _l(srv[rst[0]])[1].window == 0, summary(srv)
    ev = resp.select("data-after-close", sport=r["sport"])
    assert ev and ev[0]["scenario"] == 5 and ev[0]["out"] == "R", resp.events


# --- backlog 2, with and without abort-on-overflow ---

def _fill(lab6, resp, n):
    held = [lab6.client_bg("hold_open", RESP_IP6, 80, 4) for _ in range(n)]
    resp.wait_count("handshake", n)
    return held


def test_backlog_drops_syn(lab6):
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "backlog", "--backlog", "2", addr=RESP_IP6) as resp:
        held = _fill(lab6, resp, 2)
        third = lab6.client("hold_open", RESP_IP6, 80, 0, 2000)
        firsts = [h.result() for h in held]
        assert resp.stop() == 0, resp.stderr
    assert all(f["connect"] is None and f["result"] == "ok" for f in firsts), firsts
    assert third["connect"] == "EINPROGRESS" and third["connect_ms"] >= 1990, third
    assert not tcp6(cap.packets, RESP_IP6, CLIENT_IP6, 80, third["sport"]), summary(cap.packets)
    assert resp.select("syn-dropped-backlog", sport=third["sport"]), resp.events


def test_backlog_abort_on_overflow(lab6):
    with lab6.capture("r", "r0", "ip6 and tcp") as cap, \
            lab6.responder("-p", "80", "--mode", "backlog", "--backlog", "2",
                           "--abort-on-overflow", addr=RESP_IP6) as resp:
        held = _fill(lab6, resp, 2)
        third = lab6.client("hold_open", RESP_IP6, 80, 2, 2000)
        firsts = [h.result() for h in held]
        assert resp.stop() == 0, resp.stderr
    assert all(f["connect"] is None and f["result"] == "ok" for f in firsts), firsts
    assert third["errno"] == "ECONNRESET" and third["elapsed_ms"] < 1000, third
    c = conv(cap.packets, third["sport"], RESP_IP6, 80)
    final = [p for p in c if _l(p)[0].src == CLIENT_IP6 and flags(p) == "A"]
    rsts = [p for p in c if _l(p)[0].src == RESP_IP6 and "R" in flags(p)]
    assert final and rsts and flags(rsts[0]) == "R", summary(c)
    assert _l(rsts[0])[1].seq == _l(final[0])[1].ack, summary(c)
    ev = resp.select("backlog-overflow-reset", sport=third["sport"])
    assert len(ev) == 1 and ev[0]["scenario"] == 6, resp.events


# --- neighbour discovery ---

def test_client_neighbour_cache_reachable(lab6):
    lab6.run("c", ["ip", "-6", "neigh", "flush", "dev", "c0"])
    with lab6.responder("-p", "80", "--mode", "open", addr=RESP_IP6):
        r = lab6.client("connect_timeout", RESP_IP6, 80, 1000)
        n = lab6.run("c", ["ip", "-6", "neigh", "show", RESP_IP6, "dev", "c0"], check=True)
    assert r["result"] == "ok", r
    assert f"lladdr {lab6.resp_mac}" in n.stdout and "REACHABLE" in n.stdout, n.stdout


def test_dad_refuses_kernel_address(lab6):
    """The kernel of ${ID}k holds 2001:2::2: DAD (a solicitation from ::) draws its
    advertisement, and the responder refuses the address, naming k0's MAC."""
    p = lab6.popen("r", [RSTCRAFT, "-i", "r0", "-a", "2001:2::11,2001:2::2",
                         "--probe-ms", "200"])
    try:
        out, err = p.communicate(timeout=10)
    finally:
        kill_proc(p)
    assert p.returncode != 0, err
    assert "2001:2::2 is already in use by " + lab6.mac("k", "k0") in err, err
    assert "duplicate address detection" in err, err


def test_dad_free_address_claimed(lab6):
    with lab6.capture("r", "r0", "icmp6") as cap, \
            lab6.responder("-p", "80", "--mode", "open", "--probe-ms", "200", addr="2001:2::12",
                           no_probe=False) as resp:
        r = lab6.client("connect_timeout", "2001:2::12", 80, 1000)
        time.sleep(0.1)
    assert resp.ready_seen_after is not None
    assert r["result"] == "ok", r
    from scapy.layers.inet6 import ICMPv6ND_NS, IPv6
    dad = [p for p in cap.packets if ICMPv6ND_NS in p and p[IPv6].src == "::" and
           p[ICMPv6ND_NS].tgt == "2001:2::12"]
    assert dad and all(p[IPv6].dst == "ff02::1:ff00:12" and p[IPv6].hlim == 255 for p in dad), \
        [p.summary() for p in cap.packets]


# --- ICMPv6: echo replies and port unreachable, as the kernel forms them ---

ICMP_PROBE = r"""
import json, sys, time
from scapy.all import Ether, IPv6, UDP, ICMPv6EchoRequest, AsyncSniffer, Raw, conf, sendp
conf.verb = 0
hosts = json.loads(sys.argv[1])
sn = AsyncSniffer(iface="c0", filter="icmp6 and not src host 2001:2::1")
sn.start(); time.sleep(0.5)
for dst, mac in hosts.items():
    for tc in (0, 0x2a):
        sendp(Ether(dst=mac) / IPv6(src="2001:2::1", dst=dst, tc=tc, fl=0x11111) /
              ICMPv6EchoRequest(id=0x1234, seq=7, data=b"x" * 30), iface="c0")
        sendp(Ether(dst=mac) / IPv6(src="2001:2::1", dst=dst, tc=tc, fl=0x11111) /
              UDP(sport=5000 + tc, dport=999) / Raw(b"y" * 1400), iface="c0")
        time.sleep(0.05)
time.sleep(0.5)
for p in sn.stop():
    ip = p[IPv6]
    raw = bytes(ip.payload)
    if raw[0] not in (1, 129):
        continue
    print(json.dumps({"src": ip.src, "tc": ip.tc, "fl": ip.fl, "hlim": ip.hlim, "plen": ip.plen,
                      "icmp": raw[:8].hex(), "body": raw[8:].hex()}))
"""


def test_icmpv6_like_kernel(lab6):
    with lab6.responder(addr=RESP_IP6):
        lab6.client("connect_timeout", RESP_IP6, 81, 1000)
        lab6.client("connect_timeout", KERNEL_IP6, 81, 1000)
        macs = {KERNEL_IP6: lab6.mac("k", "k0"), RESP_IP6: lab6.resp_mac}
        r = lab6.run("c", ["/usr/bin/python3", "-c", ICMP_PROBE, json.dumps(macs)], timeout=30)
    assert r.returncode == 0, r.stderr
    got = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]

    def shape(host):
        out = []
        for g in got:
            if g["src"] != host:
                continue
            body = bytes.fromhex(g["body"])
            if g["icmp"].startswith("01"):
                # the quoted packet: the client's own, the same bytes but for the address
                # and the UDP checksum over it
                body = body[:24] + body[40:46] + body[48:]
            out.append((g["icmp"][:4], g["icmp"][8:], g["tc"], g["hlim"], g["plen"],
                        g["fl"] != 0, body.hex()))
        return out
    k, ours = shape(KERNEL_IP6), shape(RESP_IP6)
    assert len(k) == 4, got
    for a, b in zip(ours, k):
        assert a[:6] == b[:6], (a[:6], b[:6])
        assert a[6] == b[6], (a[6][:200], b[6][:200])
    assert len(ours) == len(k), (ours, k)


# --- the kernel guard: an address the responder's own kernel holds ---

KADDR6 = "2001:2::20"


@pytest.fixture
def kernel_owns6(lab6):
    lab6.run("r", ["sysctl", "-qw", "net.ipv6.conf.r0.accept_dad=0", "net.ipv6.conf.r0.disable_ipv6=0"],
             check=True)
    lab6.run("r", ["ip", "addr", "add", f"{KADDR6}/64", "dev", "r0", "nodad"], check=True)
    yield
    lab6.run("r", ["ip", "addr", "del", f"{KADDR6}/64", "dev", "r0"])
    lab6.run("r", ["sysctl", "-qw", "net.ipv6.conf.r0.disable_ipv6=1"])


def test_kernel_owned_address_refused(lab6, kernel_owns6):
    r = lab6.run("r", [RSTCRAFT, "-i", "r0", "-a", f"2001:2::21,{KADDR6}", "--no-probe"], timeout=10)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert KADDR6 in r.stderr and "--kernel-guard" in r.stderr, r.stderr
    assert "rstcraft_" not in lab6.run("r", ["nft", "list", "tables"]).stdout


def test_kernel_guard_ipv6(lab6, kernel_owns6):
    """With --kernel-guard the kernel's RSTs, port unreachables and echo replies for the
    address are dropped: the client sees the responder's answers only, once each."""
    with lab6.capture("c", "c0", f"ip6 and src host {KADDR6}") as cap, \
            lab6.responder("--kernel-guard", "-p", "80", "--mode", "open", addr=KADDR6) as resp:
        tables = lab6.run("r", ["nft", "list", "ruleset"]).stdout
        held = lab6.client_bg("hold_open", KADDR6, 80, 1)
        refused = lab6.client("connect_timeout", KADDR6, 81, 1000)
        h = held.result()
        lab6.run("c", ["ping", "-6", "-c", "1", "-W", "1", KADDR6])
        lab6.run("c", ["/usr/bin/python3", "-c",
                       "import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); "
                       f"s.sendto(b'x', ('{KADDR6}', 999))"])
        time.sleep(0.3)
        assert resp.stop() == 0, resp.stderr
    assert "rstcraft_" not in lab6.run("r", ["nft", "list", "tables"]).stdout
    assert "icmpv6 type { destination-unreachable, echo-reply } drop" in tables, tables
    assert h["connect"] is None and h["result"] == "ok", h
    assert refused["errno"] == "ECONNREFUSED", refused
    from scapy.layers.inet6 import ICMPv6DestUnreach, ICMPv6EchoReply
    rsts = [p for p in tcp6(cap.packets, KADDR6, CLIENT_IP6) if "R" in flags(p)]
    assert sorted(_l(p)[1].sport for p in rsts) == [81], summary(rsts)
    assert len([p for p in cap.packets if ICMPv6EchoReply in p]) == 1, [p.summary() for p in cap.packets]
    assert len([p for p in cap.packets if ICMPv6DestUnreach in p]) == 1, [p.summary() for p in cap.packets]


# --- 10,000 malformed IPv6 frames: still running, still answering ---

def test_malformed_ipv6_frames(lab6):
    import os
    from pathlib import Path
    gen = Path(__file__).with_name("malformed_frames.py")
    seed = int(os.environ.get("RSTCRAFT_FUZZ_SEED", "4862"))
    with lab6.responder("-p", "80", "--mode", "rst", addr=RESP_IP6) as resp:
        before = lab6.client("connect_timeout", RESP_IP6, 80, 1000)
        assert before["errno"] == "ECONNREFUSED", before
        g = lab6.run("c", ["/usr/bin/python3", gen, "c0", RESP_IP6, "--mac", lab6.resp_mac,
                           "--count", "10000", "--seed", seed], timeout=300)
        assert g.returncode == 0, g.stderr
        sent = json.loads(g.stdout.strip().splitlines()[-1])
        assert sent["sent"] >= 9000, sent
        assert resp.alive(), f"rstcraft died (seed {seed}): exit {resp.p.returncode}\n{resp.stderr}"
        with lab6.capture("c", "c0", "ip6 and tcp") as cap:
            after = lab6.client("connect_timeout", RESP_IP6, 80, 1000)
        ping = lab6.run("c", ["ping", "-6", "-c", "1", "-W", "1", RESP_IP6])
        assert resp.alive()
        assert resp.stop() == 0, resp.stderr
    assert after["errno"] == "ECONNREFUSED" and after["elapsed_ms"] < 500, after
    assert ping.returncode == 0, ping.stdout + ping.stderr
    rst = tcp6(cap.packets, RESP_IP6, CLIENT_IP6, 80, after["sport"])
    assert len(rst) == 1 and flags(rst[0]) == "RA" and csum_ok(rst[0]), summary(cap.packets)
    assert "Sanitizer" not in resp.stderr and "runtime error" not in resp.stderr, resp.stderr
    m = [ln for ln in resp.err_lines if "frames:" in ln]
    print("\n" + (m[-1] if m else resp.stderr))
