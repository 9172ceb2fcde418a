"""Scenario 4, the seed's first pair: the server reads 4096 of 5000 bytes and closes, so it
resets (RST|ACK, seq SND.NXT, ack RCV.NXT, its window, TS) instead of sending FIN; with
everything read it closes with FIN. Compared with the kernel running the seed's server."""
import contextlib

import pytest

import wire
from lab import KERNEL_IP, RESP_IP, kill_proc


@pytest.mark.parametrize("arrival", ["coalesced", "segmented"])
def test_unread_resets(lab, arrival):
    # coalesced: veth hands the 5000 bytes over as one GRO frame; segmented: 4 segments,
    # the last with PSH. The kernel reads after all of it arrived either way
    # (test_kernel_reference), so must the responder (read on PSH or after a quiet time).
    seg = lab.segmented() if arrival == "segmented" else contextlib.nullcontext()
    with seg, lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "unread") as resp:
        r = lab.client("seed_unread", RESP_IP, 80, 5000)
        resp.wait_event("unread-reset", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr

    assert r["connect"] is None and r["sent"] == 5000, r
    assert r["result"] == "error" and r["recv_errno"] == "ECONNRESET", r
    assert r["send_errno"] == "EPIPE", r
    wire.unread_rst(cap.packets, RESP_IP, r["sport"], 80, 5000)

    evs = resp.select("unread-reset", sport=r["sport"])
    assert len(evs) == 1, resp.events
    ev = evs[0]
    assert ev["unread"] == 904 and ev["scenario"] == 4 and ev["mode"] == "unread", ev
    assert ev["out"] == "R.", ev
    assert resp.select("handshake", sport=r["sport"]), resp.events
    assert not resp.select("fin-close", sport=r["sport"]), resp.events


def test_unread_all_read_fin(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "unread") as resp:
        r = lab.client("seed_unread", RESP_IP, 80, 4000)
        resp.wait_event("fin-close", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr

    assert r["result"] == "ok" and r["recv"] == 0, r
    wire.fin_close(cap.packets, RESP_IP, r["sport"], 80)
    assert resp.select("fin-close", sport=r["sport"]), resp.events
    assert not resp.select("unread-reset"), resp.events


def test_unread_read_option(lab):
    # --read 1000 of 4000: 3000 unread.
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "unread", "--read", "1000") as resp:
        r = lab.client("seed_unread", RESP_IP, 80, 4000)
        resp.wait_event("unread-reset", sport=r["sport"])
    assert r["recv_errno"] == "ECONNRESET", r
    wire.unread_rst(cap.packets, RESP_IP, r["sport"], 80, 4000)
    evs = resp.select("unread-reset", sport=r["sport"])
    assert evs and evs[0]["unread"] == 3000, resp.events


def test_unread_same_as_kernel(lab):
    """The client sees the same thing from the responder as from the seed's server."""
    srv = lab.seed_server(9877)
    try:
        with lab.responder("-p", "80", "--mode", "unread"):
            ours = lab.client("seed_unread", RESP_IP, 80, 5000)
            theirs = lab.client("seed_unread", KERNEL_IP, 9877, 5000)
    finally:
        kill_proc(srv)
    keys = ("result", "errno", "sent", "recv", "recv_errno", "send_errno")
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}, (ours, theirs)
