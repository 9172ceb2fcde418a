"""Scenario 3, the seed's 100 ms case: the SYN-ACK leaves 110 ms after the SYN; a client
bounded at 100 ms has closed its socket, so its kernel answers the late SYN-ACK with a bare
RST (seq = the SYN-ACK's ack) and the responder reports a client that gave up."""
from scapy.layers.inet import TCP

import wire
from lab import CLIENT_IP, RESP_IP, flags, flow, summary


def test_delay_client_gives_up(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "delay", "--delay", "110") as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 100, "--sndtimeo")
        resp.wait_event("client-abort", sport=r["sport"], timeout=3)
        assert resp.stop() == 0, resp.stderr

    assert r["result"] == "error" and r["timeout"], r
    assert 95 <= r["elapsed_ms"] < 110, r

    conv = flow(cap.packets, CLIENT_IP, r["sport"], RESP_IP, 80)
    syn, sa = wire.handshake(cap.packets, RESP_IP, r["sport"], 80)
    gap_ms = (float(sa.time) - float(syn.time)) * 1e3
    assert 110.0 <= gap_ms < 200.0, f"SYN to SYN-ACK {gap_ms:.3f} ms\n" + summary(conv)
    rsts = [p for p in conv if p["IP"].src == CLIENT_IP and "R" in flags(p)]
    assert len(rsts) == 1, summary(conv)
    rst = rsts[0]
    assert flags(rst) == "R", f"client RST flags {flags(rst)}: no ACK expected\n" + summary(conv)
    assert rst[TCP].seq == sa[TCP].ack, summary(conv)
    assert float(rst.time) >= float(sa.time)
    # Nothing more from the responder after the client's RST.
    after = [p for p in conv if p["IP"].src == RESP_IP and float(p.time) > float(rst.time)]
    assert not after, summary(conv)

    evs = resp.select("client-abort", sport=r["sport"])
    assert len(evs) == 1, resp.events
    ev = evs[0]
    assert ev["scenario"] == 3 and ev["mode"] == "delay", ev
    assert ev["delay_ms"] >= 110.0, ev
    assert ev["in"] == "R", ev
    syn_evs = resp.select("synack", sport=r["sport"])
    assert syn_evs and syn_evs[0]["delay_ms"] >= 110.0, resp.events


def test_delay_patient_client_connects(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "delay", "--delay", "110") as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 300, "--poll")
        resp.wait_event("handshake", sport=r["sport"], timeout=3)
        assert resp.stop() == 0, resp.stderr

    assert r["result"] == "ok", r
    assert r["elapsed_ms"] >= 110.0, r
    syn, sa = wire.handshake(cap.packets, RESP_IP, r["sport"], 80)
    assert (float(sa.time) - float(syn.time)) * 1e3 >= 110.0
    assert resp.select("handshake", sport=r["sport"]), resp.events
    assert not resp.select("client-abort", sport=r["sport"]), resp.events
