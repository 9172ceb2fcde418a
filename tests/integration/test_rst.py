"""Scenario 1: closed port, RST. The responder's RST must be the kernel's, field for field:
both are captured in the same test and compared."""
import pytest

import wire
from lab import KERNEL_IP, RESP_IP, tcp_fields


# --busy-poll reads the capture ring in a spin instead of after ppoll: the wire must not
# tell the difference
@pytest.mark.parametrize("loop", [[], ["--busy-poll"]], ids=["sleeping", "busy-poll"])
def test_rst_like_kernel(lab, loop):
    with lab.capture("c", "c0", "tcp") as cap, \
            lab.responder("-p", "80", "--mode", "rst", *loop) as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)
        k = lab.client("connect_timeout", KERNEL_IP, 81, 1000)
        resp.wait_event("closed-port", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr

    assert r["result"] == "error" and r["errno"] == "ECONNREFUSED", r
    assert r["elapsed_ms"] < 500, r
    assert k["errno"] == "ECONNREFUSED", k

    ours = wire.closed_port_rst(cap.packets, RESP_IP, r["sport"], 80)
    theirs = wire.closed_port_rst(cap.packets, KERNEL_IP, k["sport"], 81)
    assert tcp_fields(ours) == tcp_fields(theirs)

    evs = resp.select("closed-port", sport=r["sport"])
    assert len(evs) == 1, resp.events
    ev = evs[0]
    assert ev["scenario"] == 1, ev
    assert ev["mode"] == "rst", ev
    assert (ev["src"], ev["dst"], ev["dport"]) == ("198.18.0.1", RESP_IP, 80), ev
    assert ev["in"] == "S" and ev["out"] == "R.", ev
    assert isinstance(ev["ts"], float), ev


def test_rst_is_default(lab):
    # No rule for the port: the default mode is rst (rules.h).
    with lab.capture("c", "c0", "tcp") as cap, lab.responder() as resp:
        r = lab.client("connect_timeout", RESP_IP, 4242, 1000)
        resp.wait_event("closed-port", sport=r["sport"])
    assert r["errno"] == "ECONNREFUSED", r
    wire.closed_port_rst(cap.packets, RESP_IP, r["sport"], 4242)
    assert resp.select("closed-port", sport=r["sport"], dport=4242), resp.events
