"""`rstcraft explain` against ground truth from real kernels: tests/explain/corpus.py plays
every reset cause in a client-router-server lab (Linux stacks at both ends, nftables and a
forging forwarder in the router), labels each reset from how it was made, and scores
explain's verdicts on the client's and the server's capture. Clean, then with 3% loss and
3% reordering on the client's link; over IPv4 and over IPv6 (the same lab and peers on
2001:2::/48), the IPv6 captures read both as pcap and as pcapng. Every labelled reset must
get its cause, every dropped attempt must be reported as no-answer, and normal connections
must draw no finding."""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "explain"))
import corpus  # noqa: E402
from conftest import _skip_or_fail, _why_not  # noqa: E402

ALL_CAUSES = {"closed-port", "no-answer", "client-abort", "abortive-close", "data-after-close",
              "backlog-overflow", "stale-connection", "keepalive-timeout", "injected",
              "firewall-reject", "challenge-ack", "icmp-reject"}


def _need():
    reason = _why_not()
    if reason:
        _skip_or_fail(reason)
    for tool, pkg in (("nft", "nftables"), ("ss", "iproute2"), ("ethtool", "ethtool")):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install the Debian package {pkg} (scripts/deps)")


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("explain-corpus")
    yield d
    if os.environ.get("RSTCRAFT_KEEP") == "1":
        print(f"\nrstcraft: explain corpus kept in {d}")
        shutil.copytree(d, f"/tmp/rstcraft-explain-corpus-{os.getpid()}", dirs_exist_ok=True)


def _pcapng(out):
    """The captures again as pcapng (scapy's writer), scored beside the pcap files."""
    from scapy.utils import PcapReader, wrpcapng
    names = []
    for name in ("client", "server"):
        with PcapReader(str(out / f"{name}.pcap")) as rd:
            wrpcapng(str(out / f"{name}.pcapng"), list(rd))
        names.append(f"{name}.pcapng")
    return tuple(names)


def _check(out, title, want_causes, family=4):
    pcaps = ("client.pcap", "server.pcap") + (_pcapng(out) if family == 6 else ())
    s = corpus.score(out, corpus.REPO / "rstcraft", pcaps)
    corpus.print_score(s, title)
    assert not s["wrong"], f"{title}: wrong verdicts: {s['wrong']}"
    assert not s["extra"], f"{title}: findings with no reset or on normal connections: {s['extra']}"
    missing = want_causes - set(s["per_cause"])
    assert not missing, f"{title}: the corpus played no {sorted(missing)}"


@pytest.mark.parametrize("family", [4, 6])
def test_explain_corpus_clean(outdir, family):
    _need()
    out = corpus.make(outdir / f"clean{family}", lossy=False, rounds=1, lab_id=f"xc{os.getpid()}",
                      family=family)
    _check(out, f"clean, IPv{family}", ALL_CAUSES, family)


@pytest.mark.parametrize("family", [4, 6])
def test_explain_corpus_lossy(outdir, family):
    """3% loss and 3% reordering: a case may play out differently (a lost SYN is retried),
    so only the causes that are robust to it are required, but every reset is scored."""
    _need()
    out = corpus.make(outdir / f"lossy{family}", lossy=True, rounds=2, lab_id=f"xl{os.getpid()}",
                      family=family)
    _check(out, f"3% loss + reordering, IPv{family}", ALL_CAUSES - {"backlog-overflow", "challenge-ack"},
           family)


@pytest.mark.parametrize("family", [4, 6])
def test_explain_live(tmp_path, family):
    """-i: each finding is printed once its cause is known, while the capture goes on."""
    import json
    import select
    import signal
    import subprocess
    import time
    _need()
    with corpus.running(tmp_path, lab_id=f"xv{os.getpid()}", family=family) as lab:
        p = lab.popen("c", [corpus.REPO / "rstcraft", "explain", "-i", "c0", "--json", "tcp"])
        t = time.time() + 5
        while time.time() < t and "listening" not in p.stderr.readline():
            pass
        corpus.play(lab, 9000)
        t0 = time.time()
        corpus.play(lab, 9001)                  # closed port: a finding within the hold (2 s)
        got = []
        while time.time() - t0 < 6 and not got:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                got.append(json.loads(p.stdout.readline()))
        assert got and got[0]["cause"] == "closed-port", got
        assert got[0]["src"] == corpus.ep(lab.net["server"], 9001) and got[0]["by"] == "server"
        assert time.time() - t0 < 5, "the finding came late"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 0, err
        assert "closed-port" in err and not out.strip(), (out, err)
