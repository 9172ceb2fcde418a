"""Scenario 5, the seed's second pair: the server read once and closed with FIN; the
client's second write 1 s later is data after close and is answered with a bare RST; the
client's third write fails."""
import wire
from lab import KERNEL_IP, RESP_IP, kill_proc


def test_after_close(lab):
    with lab.capture("r", "r0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "after-close") as resp:
        r = lab.client("seed_after_close", RESP_IP, 80)
        resp.wait_event("data-after-close", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr

    assert r["connect"] is None, r
    assert r["writes"][:2] == [4096, 4096], r
    assert r["writes"][2] == -1 and r["write_errno"][2] in ("EPIPE", "ECONNRESET"), r
    wire.after_close_rst(cap.packets, RESP_IP, r["sport"], 80)

    evs = resp.select("data-after-close", sport=r["sport"])
    assert evs, resp.events
    assert evs[0]["scenario"] == 5 and evs[0]["mode"] == "after-close", evs
    assert evs[0]["out"] == "R", evs
    assert resp.select("fin-close", sport=r["sport"]), resp.events


def test_after_close_same_as_kernel(lab):
    srv = lab.seed_server(9878)
    try:
        with lab.responder("-p", "80", "--mode", "after-close"):
            ours = lab.client("seed_after_close", RESP_IP, 80)
            theirs = lab.client("seed_after_close", KERNEL_IP, 9878)
    finally:
        kill_proc(srv)
    for k in ("result", "writes", "write_errno"):
        assert ours[k] == theirs[k], (k, ours, theirs)
