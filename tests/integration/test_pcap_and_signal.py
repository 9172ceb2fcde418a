"""-w writes what the responder received and sent; SIGTERM/SIGINT end it cleanly (exit 0,
pcap flushed, per-event counts on stderr). Also the RFC 5227 probe before 'ready'."""
import signal
import subprocess

import pytest
from scapy.layers.l2 import ARP

from lab import CLIENT_IP, RESP_IP


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_pcap_and_signal(lab, sig):
    out = lab.tmp / f"out-{sig.name}.pcap"
    with lab.responder("-p", "80", "--mode", "rst", "-w", out) as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)
        r2 = lab.client("connect_timeout", RESP_IP, 80, 1000)
        resp.wait_count("closed-port", 2)
        assert resp.stop(sig) == 0, resp.stderr
    assert r["errno"] == "ECONNREFUSED" and r2["errno"] == "ECONNREFUSED", (r, r2)

    t = subprocess.run(["tcpdump", "-nr", str(out)], capture_output=True, text=True, timeout=10)
    assert t.returncode == 0, t.stderr
    lines = t.stdout.splitlines()
    rx = [ln for ln in lines if f"{CLIENT_IP}.{r['sport']} > {RESP_IP}.80" in ln]
    tx = [ln for ln in lines if f"{RESP_IP}.80 > {CLIENT_IP}.{r['sport']}" in ln]
    assert rx and "Flags [S]" in rx[0], t.stdout
    assert tx and "Flags [R.]" in tx[0], t.stdout

    counts = resp.counts()
    assert counts is not None, f"no 'rstcraft: counts:' line: {resp.stderr!r}"
    assert counts.get("closed-port") == 2, counts


def test_count_stops(lab):
    # --count 1: the first event ends the run by itself, exit 0.
    p = lab.responder("-p", "80", "--mode", "rst", "--count", "1")
    with p as resp:
        lab.client("connect_timeout", RESP_IP, 80, 1000)
        try:
            resp.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise AssertionError("--count 1 did not stop the responder")
        assert resp.stop() == 0, resp.stderr
    assert len(resp.select("closed-port")) == 1, resp.events


def test_probe_then_ready(lab):
    # Without --no-probe: 3 ARP probes (sender 0.0.0.0) --probe-ms apart, then 'ready'.
    # The client must ask for .10 afresh (earlier tests taught it the MAC).
    lab.run("c", ["ip", "neigh", "flush", "dev", "c0"], check=True)
    with lab.capture("r", "r0", "arp") as cap, \
            lab.responder("--probe-ms", "100", no_probe=False) as resp:
        ready_after = resp.ready_seen_after
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)
    assert r["errno"] == "ECONNREFUSED", r
    probes = [p for p in cap.packets if ARP in p and p[ARP].op == 1 and
              p[ARP].psrc == "0.0.0.0" and p[ARP].pdst == RESP_IP]
    assert len(probes) == 3, [p.summary() for p in cap.packets]
    gaps = [(float(b.time) - float(a.time)) * 1e3 for a, b in zip(probes, probes[1:])]
    assert all(g >= 90 for g in gaps), gaps
    assert ready_after >= 0.3, ready_after    # 3 probes + the same time listening
    replies = [p for p in cap.packets if ARP in p and p[ARP].op == 2 and p[ARP].psrc == RESP_IP]
    assert replies, "no ARP reply for the client"
    assert float(replies[0].time) > float(probes[-1].time)
