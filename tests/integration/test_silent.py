"""Scenario 2: closed port, silence. The client's connect() gives up at its own bound."""
import wire
from lab import RESP_IP


def test_silent(lab):
    with lab.capture("r", "r0") as cap, \
            lab.responder("-p", "80", "--mode", "silent") as resp:
        r = lab.client("connect_timeout", RESP_IP, 80, 1000)
        resp.wait_event("silent-drop", sport=r["sport"])
        assert resp.stop() == 0, resp.stderr

    assert r["result"] == "error" and r["timeout"], r
    assert r["errno"] == "EINPROGRESS", r
    assert 990 <= r["elapsed_ms"] < 1500, r
    # ARP for .10 is answered; nothing at the IP layer is.
    wire.nothing_from(cap.packets, RESP_IP)
    assert wire.client_syn(cap.packets, RESP_IP, r["sport"], 80) is not None

    evs = resp.select("silent-drop", sport=r["sport"])
    assert evs, resp.events
    assert all(e["mode"] == "silent" and e["dport"] == 80 and e.get("scenario", 2) == 2
               for e in evs), evs
    assert not resp.select("closed-port"), resp.events
