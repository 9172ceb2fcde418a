"""The SYN-ACK is sent again when the handshake's final ACK does not come, on Linux's
schedule (reqsk_timer_handler: 1 s, doubling), and a chosen --mac is the one the client
talks to."""
import time

from lab import CLIENT_IP, RESP_IP, flags, tcp_pkts


def test_synack_retransmitted_on_linux_schedule(lab):
    # the client's kernel connects, but nft eats its ACKs: the responder never sees one
    table = "rcnoack"
    lab.run("c", ["nft", f"add table inet {table}; add chain inet {table} out "
                  "{ type filter hook output priority 0; }; "
                  f"add rule inet {table} out tcp dport 80 tcp flags ack drop"], check=True)
    try:
        with lab.capture("r", "r0", "tcp port 80") as cap, \
                lab.responder("-p", "80", "--mode", "open") as resp:
            lab.client_bg("hold_open", RESP_IP, 80, 17)
            time.sleep(16.5)
            assert resp.stop() == 0, resp.stderr
    finally:
        lab.run("c", ["nft", f"delete table inet {table}"])
    synacks = [p for p in tcp_pkts(cap.packets, src=RESP_IP, dst=CLIENT_IP) if flags(p) == "SA"]
    assert len(synacks) == 5, [float(p.time) for p in synacks]
    t0 = float(synacks[0].time)
    gaps = [float(p.time) - t0 for p in synacks]
    for got, want in zip(gaps, [0, 1, 3, 7, 15]):
        # never early; late only by the loop's wake-up
        assert want <= got < want + 0.05, gaps
    assert len({p["TCP"].seq for p in synacks}) == 1      # the same ISN every time
    rtx = [ev.get("rtx") for ev in resp.select("synack") if ev.get("rtx")]
    assert rtx == [1, 2, 3, 4], resp.events


def test_chosen_mac(lab):
    # an entry from an earlier test would still name the interface's own MAC, and with
    # --no-probe nothing is announced to replace it
    lab.run("c", ["ip", "neigh", "flush", "dev", "c0"], check=True)
    with lab.responder("--mac", "02:00:5e:00:00:42") as resp:
        r = lab.client("connect_timeout", RESP_IP, 81, 1000)
        neigh = lab.run("c", ["ip", "neigh", "show", RESP_IP]).stdout
        assert resp.stop() == 0
    assert r["errno"] == "ECONNREFUSED", r
    assert "02:00:5e:00:00:42" in neigh, neigh
