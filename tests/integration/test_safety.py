"""The safety rules of the responder, on the wire: it refuses an address its namespace's
kernel owns unless asked to guard it (and then the guard table lives exactly as long as the
responder, even through SIGKILL); it refuses an address another host answers ARP for
(RFC 5227) unless --force; -Z drops root and it still answers."""
import time

from lab import CLIENT_IP, RSTCRAFT, tcp_pkts, flags

KADDR = "198.18.0.20"


def nft_tables(lab):
    return lab.run("r", ["nft", "list", "tables"]).stdout


def kernel_owns(lab, addr):
    lab.run("r", ["ip", "addr", "add", f"{addr}/24", "dev", "r0"], check=True)


def kernel_drops(lab, addr):
    lab.run("r", ["ip", "addr", "del", f"{addr}/24", "dev", "r0"])


def test_kernel_owned_address_refused(lab):
    kernel_owns(lab, KADDR)
    try:
        r = lab.run("r", [RSTCRAFT, "-i", "r0", "-a", KADDR, "--no-probe"], timeout=10)
    finally:
        kernel_drops(lab, KADDR)
    assert r.returncode == 3, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert KADDR in lines[0] and "--kernel-guard" in lines[0], lines[0]
    assert "rstcraft_" not in nft_tables(lab)


def test_kernel_guard_drops_kernel_rsts_and_is_removed(lab):
    kernel_owns(lab, KADDR)
    try:
        with lab.capture("c", "c0", "tcp") as cap, \
                lab.responder("--kernel-guard", "-p", "80", "--mode", "open", addr=KADDR) as resp:
            tables = nft_tables(lab)
            assert "rstcraft_" in tables, tables
            held = lab.client_bg("hold_open", KADDR, 80, 1)
            refused = lab.client("connect_timeout", KADDR, 81, 1000)
            h = held.result()
            assert resp.stop() == 0, resp.stderr
        # the guard is gone with a clean exit
        assert "rstcraft_" not in nft_tables(lab)
    finally:
        kernel_drops(lab, KADDR)
    assert refused["errno"] == "ECONNREFUSED", refused
    assert h["connect"] == "ok" or h.get("result") == "ok", h
    # exactly one RST reached the client for the closed port (ours; the kernel's was
    # dropped) and none for the open one
    rsts = [p for p in tcp_pkts(cap.packets, src=KADDR, dst=CLIENT_IP) if "R" in flags(p)]
    ports = sorted(p["TCP"].sport for p in rsts)
    assert ports == [81], [p.summary() for p in rsts]


def test_kernel_guard_removed_after_sigkill(lab):
    kernel_owns(lab, KADDR)
    try:
        resp = lab.responder("--kernel-guard", addr=KADDR).start()
        assert "rstcraft_" in nft_tables(lab)
        resp.p.kill()
        resp.p.wait()
        deadline = time.monotonic() + 2.0
        while "rstcraft_" in nft_tables(lab) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "rstcraft_" not in nft_tables(lab), "the janitor left the nft table behind"
    finally:
        kernel_drops(lab, KADDR)


def test_arp_probe_conflict_refused(lab):
    # 198.18.0.1 is the client host's own address: its kernel answers the probe
    t0 = time.monotonic()
    r = lab.run("r", [RSTCRAFT, "-i", "r0", "-a", CLIENT_IP, "--probe-ms", "100"], timeout=15)
    assert r.returncode == 3, (r.returncode, r.stderr)
    line = r.stderr.strip().splitlines()[-1]
    assert CLIENT_IP in line and "in use" in line and "--force" in line, line
    assert time.monotonic() - t0 < 5


def test_arp_probe_force_claims(lab):
    resp = lab.responder("--force", "--probe-ms", "100", addr=CLIENT_IP, no_probe=False).start()
    try:
        assert "warning" in resp.stderr and "--force" in resp.stderr, resp.stderr
        assert resp.alive()
    finally:
        assert resp.stop() == 0


def test_arp_probe_free_address(lab):
    resp = lab.responder("--probe-ms", "100", no_probe=False).start()
    try:
        r = lab.client("connect_timeout", "198.18.0.10", 81, 1000)
        assert r["errno"] == "ECONNREFUSED", r
        # probing 3 x 100 ms and listening 100 ms: ready within a second, not RFC 5227's 7 s
        assert resp.ready_seen_after < 3.0, resp.ready_seen_after
    finally:
        resp.stop()


def test_privilege_drop(lab):
    with lab.responder("-Z", "nobody") as resp:
        status = open(f"/proc/{resp.p.pid}/status").read()
        uid_line = [ln for ln in status.splitlines() if ln.startswith("Uid:")][0]
        assert uid_line.split()[1:] == ["65534"] * 4, uid_line
        r = lab.client("connect_timeout", "198.18.0.10", 81, 1000)
        assert r["errno"] == "ECONNREFUSED", r
        assert resp.stop() == 0, resp.stderr


def test_privilege_drop_unknown_user(lab):
    r = lab.run("r", [RSTCRAFT, "-i", "r0", "-a", "198.18.0.10", "--no-probe", "-Z",
                      "no-such-user-rc"], timeout=10)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "no-such-user-rc" in r.stderr, r.stderr


def test_kernel_guard_covers_every_kernel_owned_address(lab):
    # more kernel-owned addresses than any small fixed buffer: all must be guarded
    owned = [f"198.18.0.{40 + i}" for i in range(20)]
    for a in owned:
        kernel_owns(lab, a)
    try:
        with lab.responder("--kernel-guard", addr="198.18.0.32/27"):
            rules = lab.run("r", ["nft", "list", "ruleset"]).stdout
    finally:
        for a in owned:
            kernel_drops(lab, a)
    assert "198.18.0.40-198.18.0.59" in rules or all(a in rules for a in owned), rules
