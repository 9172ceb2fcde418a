"""--busy-poll spins on the capture ring instead of sleeping in ppoll. The wire must not
tell the difference: the same handshake and echo, --delay's timers still never early, -w
still complete (the RST against the kernel's: test_rst.py). And the ring itself (crafter/netio/rxring.c) puts
back a VLAN tag the kernel took off, as libpcap does."""
import subprocess
import textwrap

from scapy.layers.l2 import Dot1Q, Ether
from scapy.utils import rdpcap

import wire
from lab import CLIENT_IP, RESP_IP, cpu_latency_now


ECHO_CLIENT = textwrap.dedent("""
    import socket, sys
    s = socket.create_connection((sys.argv[1], 7), timeout=3)
    msg = bytes(range(256)) * 40          # 10240 bytes: several segments each way
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.shutdown(socket.SHUT_WR)
    tail = s.recv(10)                     # the responder's FIN after ours
    print("same" if got == msg else "differs %d" % len(got), "eof" if tail == b"" else "more")
""")


def test_busy_poll_open_echo(lab):
    with lab.responder("-p", "7", "--mode", "open", "--echo", "--busy-poll") as resp:
        r = lab.run("c", ["/usr/bin/python3", "-c", ECHO_CLIENT, RESP_IP], timeout=20)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["same", "eof"], r.stdout
        resp.wait_event("handshake")
        assert resp.stop() == 0, resp.stderr


def test_busy_poll_delay_never_early(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "delay", "--delay", "110", "--busy-poll") as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 300, "--poll")
        resp.wait_event("handshake", sport=r["sport"], timeout=3)
        assert resp.stop() == 0, resp.stderr
    assert r["result"] == "ok", r
    syn, sa = wire.handshake(cap.packets, RESP_IP, r["sport"], 80)
    gap_ms = (float(sa.time) - float(syn.time)) * 1e3
    assert 110.0 <= gap_ms < 200.0, gap_ms


def test_busy_poll_pcap_and_stop(lab):
    out = lab.tmp / "busy.pcap"
    with lab.responder("-p", "80", "--mode", "rst", "--busy-poll", "-w", out) as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)
        resp.wait_event("closed-port", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr
    t = subprocess.run(["tcpdump", "-nr", str(out)], capture_output=True, text=True, timeout=10)
    assert t.returncode == 0, t.stderr
    assert f"{CLIENT_IP}.{r['sport']} > {RESP_IP}.80: Flags [S]" in t.stdout, t.stdout
    assert f"{RESP_IP}.80 > {CLIENT_IP}.{r['sport']}: Flags [R.]" in t.stdout, t.stdout
    assert resp.counts().get("closed-port") == 1, resp.stderr


SEND_TAGGED = textwrap.dedent("""
    import sys
    from scapy.all import Ether, Dot1Q, IP, TCP, sendp
    f = (Ether(dst=sys.argv[2]) / Dot1Q(vlan=42, prio=5) /
         IP(src="198.18.0.1", dst=sys.argv[3]) / TCP(sport=40404, dport=80, flags="S"))
    sendp(f, iface=sys.argv[1], verbose=False)
""")


def test_ring_puts_vlan_tag_back(lab):
    # The receiving veth strips the 802.1Q tag into the packet's metadata before the taps
    # (skb_vlan_untag); the ring reports it beside the frame. The -w file must hold the
    # frame as it was on the wire, and the responder, which has no VLANs, must not answer.
    out = lab.tmp / "vlan.pcap"
    with lab.capture("c", "c0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "rst", "-w", out) as resp:
        s = lab.run("c", ["/usr/bin/python3", "-c", SEND_TAGGED, "c0", lab.resp_mac, RESP_IP],
                    timeout=30)
        assert s.returncode == 0, s.stderr
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)   # still answering
        resp.wait_event("closed-port", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr
    tagged = [p for p in rdpcap(str(out)) if Dot1Q in p]
    assert len(tagged) == 1, [p.summary() for p in rdpcap(str(out))]
    f = tagged[0]
    assert f[Ether].dst == lab.resp_mac and f[Ether].type == 0x8100, f.summary()
    assert f[Dot1Q].vlan == 42 and f[Dot1Q].prio == 5 and f[Dot1Q].type == 0x0800, f.summary()
    assert f["TCP"].sport == 40404 and f["TCP"].flags == "S", f.summary()
    answers = [p for p in cap.packets if p.haslayer("TCP") and p["TCP"].dport == 40404]
    assert not answers, [p.summary() for p in answers]


def test_cpu_latency_held_while_responding(lab):
    """--cpu-latency US holds a PM QoS request while the responder runs (before it drops
    privileges: the request needs root) and the kernel drops it at exit."""
    before = cpu_latency_now()
    with lab.responder("-p", "80", "--mode", "rst", "--cpu-latency", "7") as resp:
        assert cpu_latency_now() == min(before, 7)
        assert resp.alive()
        assert resp.stop() == 0, resp.stderr
    assert cpu_latency_now() == before
