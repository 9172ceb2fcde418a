"""`rstcraft explain` against ground truth from real kernels: tests/explain/corpus.py plays
every reset cause in a client-router-server lab (Linux stacks at both ends, nftables and a
forging forwarder in the router), labels each reset from how it was made, and scores
explain's verdicts on the client's and the server's capture. Clean, then with 3% loss and
3% reordering on the client's link. Every labelled reset must get its cause, every dropped
attempt must be reported as no-answer, and normal connections must draw no finding."""
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
              "firewall-reject", "challenge-ack"}


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


def _check(out, title, want_causes):
    s = corpus.score(out, corpus.REPO / "rstcraft")
    corpus.print_score(s, title)
    assert not s["wrong"], f"{title}: wrong verdicts: {s['wrong']}"
    assert not s["extra"], f"{title}: findings with no reset or on normal connections: {s['extra']}"
    missing = want_causes - set(s["per_cause"])
    assert not missing, f"{title}: the corpus played no {sorted(missing)}"


def test_explain_corpus_clean(outdir):
    _need()
    out = corpus.make(outdir / "clean", lossy=False, rounds=1, lab_id=f"xc{os.getpid()}")
    _check(out, "clean", ALL_CAUSES)


def test_explain_corpus_lossy(outdir):
    """3% loss and 3% reordering: a case may play out differently (a lost SYN is retried),
    so only the causes that are robust to it are required, but every reset is scored."""
    _need()
    out = corpus.make(outdir / "lossy", lossy=True, rounds=2, lab_id=f"xl{os.getpid()}")
    _check(out, "3% loss + reordering", ALL_CAUSES - {"backlog-overflow", "challenge-ack"})
