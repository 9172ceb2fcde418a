"""`rstcraft explain -i`: the whole ground-truth corpus (tests/explain/corpus.py: every reset
cause played by real kernels) read live on the client's interface, scored against the labels
made from a tcpdump capture of the same wire. Each finding must be the one the labels say,
and must be printed while the capture goes on, once the cause is known (the hold, 2 s), not
at exit."""
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "explain"))
import corpus  # noqa: E402
from test_explain_corpus import ALL_CAUSES, _need  # noqa: E402

HOLD = 2.0


def _snap(found, out):
    """explain's ring and tcpdump's socket stamp a frame on their own (a few microseconds
    apart): give each finding the time of the same RST in tcpdump's file, the labels' key."""
    forged = [json.loads(ln) for ln in (out / "forged.jsonl").read_text().splitlines() if ln.strip()]
    rsts, _, _, _ = corpus.expected(out / "client.pcap", forged)
    worst, last = 0.0, {}
    # In order, one RST each: both saw the same frames in the same order, and an abortive
    # RST|ACK and the bare RST after it can be 20 us apart, less than the stamps differ.
    for f in sorted((f for f in found if f["ts"] is not None), key=lambda f: f["ts"]):
        pair = (f["src"], f["dst"])
        near = sorted(r[0] for r in rsts if (r[1], r[2]) == pair and abs(r[0] - f["ts"]) < 0.002
                      and r[0] > last.get(pair, 0.0))
        if near:
            last[pair] = near[0]
            worst = max(worst, abs(near[0] - f["ts"]))
            f["ts"] = near[0]
    print(f"explain -i and tcpdump stamps differ by at most {worst * 1e6:.0f} us")
    return found


def test_explain_live_corpus(tmp_path):
    _need()
    lines = []                                   # (arrival time, finding)
    with corpus.running(tmp_path, lab_id=f"xi{os.getpid()}") as lab:
        # ICMP too: the corpus's nftables rejects (icmp-reject)
        cap = lab.popen("c", ["tcpdump", "-n", "-U", "-s", "256", "-i", "c0", "-w",
                              tmp_path / "client.pcap", "tcp or icmp or icmp6"])
        ex = lab.popen("c", [corpus.REPO / "rstcraft", "explain", "-i", "c0", "--json",
                             "tcp or icmp or icmp6"])
        t = time.time() + 5
        while time.time() < t and "listening" not in ex.stderr.readline():
            pass

        def read():
            for ln in ex.stdout:
                if ln.strip():
                    lines.append((time.time(), json.loads(ln)))
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(1.0)
        for port in corpus.PLAY:
            corpus.play(lab, port)
        time.sleep(HOLD + 1.5)
        stopped = time.time()
        for p in (cap, ex):
            p.send_signal(signal.SIGINT)
        cap.wait(timeout=10)
        _, err = ex.communicate(timeout=10)
        reader.join(timeout=5)
        assert ex.returncode == 0, err
    found = _snap([f for _, f in lines], tmp_path)
    s = corpus.score(tmp_path, pcaps=("client.pcap",), found_by={"client.pcap": found})
    corpus.print_score(s, "explain -i, live on the client's interface")
    assert not s["wrong"], f"wrong verdicts: {s['wrong']}"
    assert not s["extra"], f"findings with no reset or on normal connections: {s['extra']}"
    missing = ALL_CAUSES - {"no-answer"} - set(s["per_cause"])
    assert not missing, f"the live corpus played no {sorted(missing)}"
    # A reset's finding comes once its hold is over, while the capture goes on.
    lags = sorted(at - f["ts"] for at, f in lines if f["ts"] is not None and at < stopped)
    if lags:
        print(f"finding after its reset: {lags[0]:.2f}-{lags[-1]:.2f} s ({len(lags)} of "
              f"{sum(f['ts'] is not None for f in found)} before exit)")
    late = [(round(at - f["ts"], 2), f["cause"], f["src"]) for at, f in lines
            if f["ts"] is not None and at < stopped and at - f["ts"] > HOLD + 2.0]
    assert not late, f"findings printed long after their reset (s, cause, src): {late}"
    early = [f for at, f in lines if f["ts"] is not None and at < stopped]
    assert len(early) >= 0.8 * len([f for f in found if f["ts"] is not None]), \
        "most findings came only at exit"
