"""Scenario 6: the accept queue is full. By default the next SYN is dropped (the client
times out, it is not refused); with --abort-on-overflow the handshake's final ACK is
answered with RST (connect() succeeds, then recv() fails with ECONNRESET)."""
from scapy.layers.inet import IP, TCP

import wire
from lab import CLIENT_IP, RESP_IP, flags, flow, summary


def _fill(lab, resp, n):
    """n connections that complete and stay open (hold_open for 4 s)."""
    held = [lab.client_bg("hold_open", RESP_IP, 80, 4) for _ in range(n)]
    resp.wait_count("handshake", n)
    return held


def test_backlog_drops_syn(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "backlog", "--backlog", "2") as resp:
        held = _fill(lab, resp, 2)
        third = lab.client("hold_open", RESP_IP, 80, 0, 2000)
        firsts = [h.result() for h in held]
        assert resp.stop() == 0, resp.stderr

    for f in firsts:
        assert f["connect"] is None, f
        assert f["result"] == "ok", f      # held, not reset
    assert third["result"] == "error" and third["connect"] == "EINPROGRESS", third
    assert third["connect_ms"] >= 1990, third
    # Its SYN (and the retransmission) got no answer at all.
    assert not wire.from_server(cap.packets, RESP_IP, third["sport"], 80)
    evs = resp.select("syn-dropped-backlog", sport=third["sport"])
    assert evs and all(e["scenario"] == 6 for e in evs if "scenario" in e), resp.events
    assert len(resp.select("handshake")) == 2, resp.events


def test_backlog_abort_on_overflow(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "backlog", "--backlog", "2",
                          "--abort-on-overflow") as resp:
        held = _fill(lab, resp, 2)
        third = lab.client("hold_open", RESP_IP, 80, 2, 2000)
        firsts = [h.result() for h in held]
        assert resp.stop() == 0, resp.stderr

    for f in firsts:
        assert f["connect"] is None and f["result"] == "ok", f
    # The SYN-ACK went out and the final ACK was reset. The RST arrives microseconds after
    # the handshake, so connect() itself may already report it: either way ECONNRESET,
    # never a timeout.
    assert third["errno"] == "ECONNRESET", third
    assert third["connect"] in (None, "ECONNRESET"), third
    assert third["elapsed_ms"] < 1000, third
    conv = flow(cap.packets, CLIENT_IP, third["sport"], RESP_IP, 80)
    syn, sa = wire.handshake(cap.packets, RESP_IP, third["sport"], 80)
    final = [p for p in conv if p[IP].src == CLIENT_IP and flags(p) == "A"]
    rsts = [p for p in conv if p[IP].src == RESP_IP and "R" in flags(p)]
    assert final and rsts, "no final ACK or no RST\n" + summary(conv)
    # An RST answering an ACK: bare, seq = that ACK's ack (RFC 793, tcp_v4_send_reset).
    assert flags(rsts[0]) == "R" and rsts[0][TCP].seq == final[0][TCP].ack, summary(conv)
    assert rsts[0][TCP].window == 0, summary(conv)
    evs = resp.select("backlog-overflow-reset", sport=third["sport"])
    assert len(evs) == 1 and evs[0]["scenario"] == 6, resp.events
