"""10,000 malformed frames at the responder (malformed_frames.py: lying lengths at every
layer, bad options, fragments, other ethertypes, IPv6 and ARP junk): it must stay up and
still answer a normal client exactly as before."""
import json
import os
from pathlib import Path

from lab import RESP_IP, summary
import wire

GEN = Path(__file__).with_name("malformed_frames.py")


def test_malformed_frames(lab):
    seed = int(os.environ.get("RSTCRAFT_FUZZ_SEED", "5227"))
    with lab.responder("-p", "80", "--mode", "rst") as resp:
        before = lab.client("connect_timeout", RESP_IP, 80, 1000)
        assert before["errno"] == "ECONNREFUSED", before
        mac = lab.run("c", ["ip", "-br", "neigh", "show", RESP_IP, "dev", "c0"]).stdout.split()
        mac = next((w for w in mac if w.count(":") == 5), None)
        assert mac == lab.resp_mac, f"ARP for {RESP_IP} resolved to {mac}, r0 is {lab.resp_mac}"

        g = lab.run("c", ["/usr/bin/python3", GEN, "c0", RESP_IP, "--mac", mac,
                          "--count", "10000", "--seed", seed], timeout=300)
        assert g.returncode == 0, g.stderr
        sent = json.loads(g.stdout.strip().splitlines()[-1])
        assert sent["sent"] >= 9000, sent

        assert resp.alive(), f"rstcraft died (seed {seed}): exit {resp.p.returncode}\n{resp.stderr}"
        with lab.capture("c", "c0", "tcp") as cap:
            after = lab.client("connect_timeout", RESP_IP, 80, 1000)
        assert after["result"] == "error" and after["errno"] == "ECONNREFUSED", after
        assert after["elapsed_ms"] < 500, after
        wire.closed_port_rst(cap.packets, RESP_IP, after["sport"], 80)
        assert resp.alive()
        assert resp.stop() == 0, resp.stderr

    assert "Sanitizer" not in resp.stderr and "runtime error" not in resp.stderr, resp.stderr
    assert resp.select("closed-port", sport=after["sport"]), summary(cap.packets)
