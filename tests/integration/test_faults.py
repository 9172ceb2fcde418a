"""Faults under a running responder, as a user meets them: the link going down and up (with
and without an MTU change), the MAC changing, the interface deleted or renamed. After a
flap the responder answers at once, sleeps while idle and stops on SIGINT with its counts
and a readable -w file; a deleted interface ends it with one line and exit 1, and the
kernel guard's table goes with it."""
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from lab import CLIENT_IP, KERNEL_IP, RESP_IP, RSTCRAFT, tcp_pkts
from localns import userns, wait_clean  # noqa: F401 (fixture)

PORT = 9000
XADDR = "198.18.0.20"


def cpu_seconds(pid):
    """utime + stime of pid, from /proc (fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_stderr(resp, text, timeout=3.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        hits = [ln for ln in resp.err_lines if text in ln]
        if hits:
            return hits
        time.sleep(0.02)
    return []


def link(lab, *args):
    lab.run("r", ["ip", "link", "set", "r0"] + list(args), check=True)


@pytest.mark.parametrize("mtu", [None, 1400], ids=["flap", "flap+mtu"])
def test_link_flap(lab, mtu):
    out = lab.tmp / f"flap-{mtu}.pcap"
    try:
        with lab.responder("-p", PORT, "--mode", "rst", "-w", out) as resp:
            r0 = lab.client("connect_timeout", RESP_IP, PORT, 1000)
            assert r0["errno"] == "ECONNREFUSED", r0
            link(lab, "down")
            assert wait_stderr(resp, "r0: link down"), resp.stderr
            time.sleep(1.0)
            link(lab, "up")
            if mtu:
                link(lab, "mtu", str(mtu))
            t_up = time.monotonic()
            r1 = lab.client("connect_timeout", RESP_IP, PORT, 1000)
            answered_after = time.monotonic() - t_up
            assert r1["errno"] == "ECONNREFUSED", r1
            assert answered_after < 1.0, answered_after
            up = wait_stderr(resp, "r0: link up again after")
            assert len(up) == 1 and len(wait_stderr(resp, "link down")) == 1, resp.stderr
            if mtu:
                assert wait_stderr(resp, f"r0: MTU now {mtu}"), resp.stderr

            # idle after the flap: asleep, not spinning
            time.sleep(0.2)
            c0 = cpu_seconds(resp.p.pid)
            time.sleep(2.0)
            busy = (cpu_seconds(resp.p.pid) - c0) / 2.0
            assert busy < 0.01, f"idle responder used {busy:.1%} of a core after the flap"

            t_int = time.monotonic()
            rc = resp.stop(signal.SIGINT, timeout=1.0)
            stopped_after = time.monotonic() - t_int
    finally:
        link(lab, "up")
        link(lab, "mtu", "1500")
    print(f"answered {answered_after * 1e3:.1f} ms after link up; idle CPU {busy:.2%}; "
          f"SIGINT to exit {stopped_after * 1e3:.0f} ms")
    assert rc == 0, resp.stderr
    assert resp.counts() == {"closed-port": 2}, resp.stderr
    t = subprocess.run(["tcpdump", "-nr", str(out)], capture_output=True, text=True, timeout=10)
    assert t.returncode == 0, t.stderr
    assert f"{RESP_IP}.{PORT} > {CLIENT_IP}.{r1['sport']}" in t.stdout, t.stdout


def test_mac_change_followed(lab):
    old = lab.resp_mac
    new = "02:00:5e:00:53:99"
    try:
        with lab.responder("-p", PORT, "--mode", "rst") as resp, \
                lab.capture("c", "c0", f"tcp port {PORT}") as cap:
            link(lab, "address", new)
            assert wait_stderr(resp, f"r0: MAC now {new}"), resp.stderr
            lab.run("c", ["ip", "neigh", "flush", "dev", "c0"], check=True)
            r = lab.client("connect_timeout", RESP_IP, PORT, 1000)
            assert r["errno"] == "ECONNREFUSED", r
    finally:
        link(lab, "address", old)
        lab.run("c", ["ip", "neigh", "flush", "dev", "c0"], check=True)
    rst = tcp_pkts(cap.packets, src=RESP_IP)
    assert rst and all(p.src == new for p in rst), [(p.src, p.summary()) for p in rst]


def exit_within(p, secs, what, stderr):
    """p's exit status, once it ended within secs of `what`; fails if it did not."""
    try:
        return p.wait(timeout=secs)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {secs} s after {what}: {stderr()!r}")


def own_link(lab):
    """x0, a veth of the responder's namespace alone (its peer x1 there too), holding
    XADDR so that --kernel-guard has a table to install."""
    lab.run("r", ["ip", "link", "del", "x0"])
    lab.run("r", ["ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1"], check=True)
    for i in ("x0", "x1"):
        lab.run("r", ["ip", "link", "set", i, "up"], check=True)
    lab.run("r", ["ip", "addr", "add", f"{XADDR}/32", "dev", "x0"], check=True)


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_interface_vanishes(lab, how):
    own_link(lab)
    try:
        with lab.responder("--kernel-guard", addr=XADDR, iface="x0") as resp:
            assert "rstcraft_" in lab.run("r", ["nft", "list", "tables"]).stdout
            t0 = time.monotonic()
            if how == "deleted":
                lab.run("r", ["ip", "link", "del", "x0"], check=True)
            else:
                lab.run("r", ["ip", "link", "set", "x0", "down"], check=True)
                lab.run("r", ["ip", "link", "set", "x0", "name", "y0"], check=True)
            rc = exit_within(resp.p, 1.0, f"x0 was {how}", lambda: resp.stderr)
            took = time.monotonic() - t0
            resp.stop()
    finally:
        lab.run("r", ["ip", "link", "del", "x0"])
        lab.run("r", ["ip", "link", "del", "y0"])
    print(f"exit {rc} {took * 1e3:.0f} ms after x0 was {how}")
    assert rc == 1, resp.stderr
    after_ready = [ln for ln in resp.err_lines if not ln.startswith("rstcraft: ready")]
    if how == "renamed":
        after_ready = [ln for ln in after_ready if "link down" not in ln]
    want = "was deleted" if how == "deleted" else "was renamed to y0"
    assert len(after_ready) == 1 and want in after_ready[0], resp.stderr
    assert "rstcraft_" not in lab.run("r", ["nft", "list", "tables"]).stdout



def test_stdout_never_read(lab):
    """stdout into a FIFO whose reader never reads: 5,000 events later a client is still
    answered at once, and the events that found no room are counted at exit."""
    fifo = lab.tmp / "events.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)     # held open, never read
    try:
        with open(fifo, "w") as w:
            resp = lab.responder("-p", PORT, "--mode", "rst", stdout=w)
            with resp:
                c = lab.run("c", [RSTCRAFT, "craft", RESP_IP, "-p", PORT, "-c", "5000",
                                  "--rate", "5000", "--wait", "200", "-q"], timeout=30)
                assert c.returncode in (0, 1), c.stderr
                t0 = time.monotonic()
                r = lab.client("connect_timeout", RESP_IP, PORT, 1000)
                took = time.monotonic() - t0
                assert r["errno"] == "ECONNREFUSED", r
                assert r["elapsed_ms"] < 100, r
                rc = resp.stop(signal.SIGINT, timeout=2.0)
    finally:
        os.close(reader)
    print(f"client answered in {r['elapsed_ms']} ms ({took * 1e3:.0f} ms with the client's "
          f"start) after 5,000 events; {resp.stderr.splitlines()[-2:]}")
    assert rc == 0, resp.stderr
    counts = resp.counts()
    assert counts and counts.get("closed-port", 0) >= 5000, resp.stderr
    dropped = [ln for ln in resp.err_lines if ln.startswith("rstcraft: events dropped (slow reader): ")]
    assert len(dropped) == 1 and int(dropped[0].rsplit(" ", 1)[1]) > 0, resp.stderr


def test_periodic_stats(lab):
    """--stats 0.5 with --json: a JSON object on stderr every 0.5 s while it runs (frames,
    flows, events, events dropped for a slow reader, frames dropped from -w), and a final
    one at the end whose figures are the exit lines' own."""
    with fifo_never_read(lab, "stats") as w:
        resp = lab.responder("-p", PORT, "--mode", "rst", "--stats", "0.5", "-w",
                             lab.tmp / "stats.pcap", stdout=w)
        with resp:
            c = lab.run("c", [RSTCRAFT, "craft", RESP_IP, "-p", PORT, "-c", "3000",
                              "--rate", "5000", "--wait", "200", "-q"], timeout=30)
            assert c.returncode in (0, 1), c.stderr
            time.sleep(1.2)
            assert resp.stop(signal.SIGINT) == 0, resp.stderr
    objs = [json.loads(ln) for ln in resp.err_lines if ln.startswith("{")]
    stats = [o for o in objs if o["type"] == "stats"]
    final = [o for o in objs if o["type"] == "summary"]
    print(f"{len(stats)} stats lines; last {stats[-1]}; final {final}")
    assert len(stats) >= 3 and len(final) == 1, resp.stderr
    gaps = [b["seconds"] - a["seconds"] for a, b in zip(stats, stats[1:])]
    assert all(0.3 < g < 1.5 for g in gaps), gaps
    assert stats[-1]["counts"].get("closed-port", 0) >= 3000, stats[-1]
    assert stats[-1]["events_dropped"] > 0, stats[-1]
    f = final[0]
    assert f["counts"] == resp.counts(), (f, resp.counts())
    dropped = [ln for ln in resp.err_lines if ln.startswith("rstcraft: events dropped")]
    assert dropped and int(dropped[0].rsplit(" ", 1)[1]) == f["events_dropped"], resp.stderr
    frames = re.search(r"frames: (\d+) received, (\d+) sent", resp.stderr)
    assert (int(frames.group(1)), int(frames.group(2))) == (f["received"], f["sent"]), resp.stderr
    assert f["pcap_dropped"] == 0 and f["flows"] == 0, f


def test_periodic_stats_text(lab):
    """--stats without --json: one line of text, same figures."""
    with lab.responder("-p", PORT, "--mode", "rst", "--stats", "0.2", json_events=False) as resp:
        r = lab.client("connect_timeout", RESP_IP, PORT, 1000)
        assert r["errno"] == "ECONNREFUSED", r
        time.sleep(0.5)
        assert resp.stop(signal.SIGINT) == 0, resp.stderr
    lines = [ln for ln in resp.err_lines if ln.startswith("rstcraft: stats: ")]
    assert lines and re.match(r"rstcraft: stats: [0-9.]+ s: \d+ frames received, \d+ sent, "
                              r"\d+ malformed, \d+ dropped by the kernel, \d+ not sent; \d+ "
                              r"flows live; 1 events, 0 dropped \(slow reader\); 0 frames "
                              r"dropped from -w$", lines[-1]), resp.stderr
    assert any(ln.startswith("rstcraft: summary: ") for ln in resp.err_lines), resp.stderr


def test_stdout_reader_exits(lab):
    """rstcraft ... | head -1: the next event after head is gone ends it cleanly (exit 0,
    counts printed), and the kernel guard's table goes with it."""
    own_link(lab)
    try:
        sh = (f"{RSTCRAFT} -i x0 -a {XADDR} --no-probe --kernel-guard --json | head -1; "
              "echo pipestatus=${PIPESTATUS[0]} >&2")
        p = lab.popen("r", ["bash", "-c", sh])
        time.sleep(0.5)
        assert "rstcraft_" in lab.run("r", ["nft", "list", "tables"]).stdout
        # two SYNs on x1 (the other end of x0): the first for head, the second finds it gone
        for sport in (40001, 40002):
            lab.run("r", [RSTCRAFT, "craft", XADDR, "-i", "x1", "--src", "198.18.0.21",
                          "-s", str(sport), "-p", "80", "-c", "1", "--wait", "100", "-q"])
            time.sleep(0.2)
        out, err = p.communicate(timeout=3)
    finally:
        lab.run("r", ["ip", "link", "del", "x0"])
    assert out.count("\n") == 1 and '"closed-port"' in out, out
    assert "pipestatus=0" in err, err
    assert "stdout was closed by its reader" in err and "rstcraft: counts:" in err, err
    assert "rstcraft_" not in lab.run("r", ["nft", "list", "tables"]).stdout


def test_pcap_disk_full(lab):
    """-w onto a full disk (a 64 KiB tmpfs): answers go on, the frames that found no room
    are counted, and what the file holds is a valid pcap of whole records."""
    small = lab.tmp / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], check=True)
    out = small / "full.pcap"
    try:
        with lab.responder("-p", PORT, "--mode", "rst", "-q", "-w", out) as resp:
            c = lab.run("c", [RSTCRAFT, "craft", RESP_IP, "-p", PORT, "-c", "2000",
                              "--rate", "5000", "--wait", "200", "-q"], timeout=30)
            assert c.returncode in (0, 1), c.stderr
            r = lab.client("connect_timeout", RESP_IP, PORT, 1000)
            assert r["errno"] == "ECONNREFUSED", r
            assert resp.stop(signal.SIGINT) == 0, resp.stderr
        t = subprocess.run(["tcpdump", "-nr", str(out)], capture_output=True, text=True, timeout=10)
    finally:
        subprocess.run(["umount", str(small)])
    assert t.returncode == 0 and "truncated" not in t.stderr, t.stderr
    kept = len(t.stdout.splitlines())
    assert any("frames dropped (write failed)" in ln for ln in resp.err_lines), resp.stderr
    dropped, total = pcap_drops(resp)
    print(f"-w on a full disk: {kept} frames in the file, {dropped} of {total} dropped")
    assert kept > 0 and kept + dropped == total, (kept, dropped, total)
    assert total >= 4002, total


def pcap_drops(resp):
    """The frames the -w file lost (write failed, disk too slow) and all it was given."""
    lines = [ln for ln in resp.err_lines if re.search(r"-w .*: frames dropped \(", ln)]
    pairs = [[int(x) for x in ln.rsplit(": ", 1)[1].split(" of ")] for ln in lines]
    assert len({t for _, t in pairs}) <= 1, lines
    return sum(d for d, _ in pairs), (pairs[0][1] if pairs else None)


def test_pcap_slow_disk(lab):
    """-w onto a disk far slower than the frames (a FIFO whose reader takes 4 KiB every
    50 ms, about 80 KB/s, into a file): the answers never wait for it (a client is
    answered at once in the middle of it), the frames it has no room for are dropped and
    counted, and what arrives is a valid pcap (tcpdump and scapy read it, every frame not
    dropped is in it)."""
    fifo = lab.tmp / "slow.pcap.fifo"
    os.mkfifo(fifo)
    out = lab.tmp / "slow.pcap"
    slow = threading.Event()
    slow.set()

    def drain():
        fd = os.open(fifo, os.O_RDONLY)
        with open(out, "wb") as f:
            while True:
                b = os.read(fd, 4096)
                if not b:
                    break
                f.write(b)
                if slow.is_set():
                    time.sleep(0.05)
        os.close(fd)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        with lab.responder("-p", PORT, "--mode", "rst", "-q", "-w", fifo) as resp:
            c = lab.popen("c", [RSTCRAFT, "craft", RESP_IP, "-p", PORT, "-c", "10000",
                                "--rate", "5000", "--wait", "200", "-q"])
            time.sleep(1.0)             # the writer is stuck on the FIFO by now
            r = lab.client("connect_timeout", RESP_IP, PORT, 1000)
            c.communicate(timeout=30)
            slow.clear()                # the disk catches up: the exit is not held
            assert resp.stop(signal.SIGINT, timeout=10) == 0, resp.stderr
    finally:
        slow.clear()
        reader.join(timeout=10)
    assert r["errno"] == "ECONNREFUSED" and r["elapsed_ms"] < 100, r
    t = subprocess.run(["tcpdump", "-nr", str(out)], capture_output=True, text=True, timeout=30)
    assert t.returncode == 0 and "truncated" not in t.stderr, t.stderr
    from scapy.utils import rdpcap
    kept = len(rdpcap(str(out)))
    assert kept == len(t.stdout.splitlines()), kept
    dropped, total = pcap_drops(resp)
    print(f"-w on a slow disk: client answered in {r['elapsed_ms']} ms; {kept} frames in "
          f"the file, {dropped} of {total} dropped; {resp.stderr.splitlines()[-3:]}")
    assert any("frames dropped (disk too slow)" in ln for ln in resp.err_lines), resp.stderr
    assert dropped > 0 and kept + dropped == total, (kept, dropped, total)
    assert total >= 20002, total


# --- craft and kill under the same faults ---

def c_link(lab, *args):
    lab.run("c", ["ip", "link", "set", "c0"] + list(args), check=True)


def flap_c0(lab, p, after):
    """Take c0 down for 1 s under p (after `after` s); returns p's CPU seconds meanwhile,
    and its output once it ended."""
    try:
        time.sleep(after)
        c_link(lab, "down")
        time.sleep(0.2)
        c0 = cpu_seconds(p.pid)
        time.sleep(1.0)
        busy = cpu_seconds(p.pid) - c0
        c_link(lab, "up")
        out, err = p.communicate(timeout=10)
    finally:
        c_link(lab, "up")
    return busy, out, err


def test_craft_link_flap(lab):
    """craft probing the kernel host through a flap of its link: says so once each way,
    sleeps meanwhile, and the probes after the link is back are answered."""
    p = lab.popen("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", "81", "-c", "30",
                        "--interval", "100ms", "--json"])
    busy, out, err = flap_c0(lab, p, 0.7)
    assert p.returncode == 0, err
    assert err.count("c0: link down") == 1 and err.count("c0: link up again after") == 1, err
    assert busy < 0.05, f"craft used {busy:.2f} s of CPU in 1 s of link down"
    probes = [int(m) for m in re.findall(r'"probe":\s*(\d+)', out)]
    assert probes and max(probes) >= 25, out     # answered again after the link came back


def new_veth_c(lab):
    """x0, a veth of the client's namespace alone (its peer x1 there too), to delete."""
    lab.run("c", ["ip", "link", "del", "x0"])
    lab.run("c", ["ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1"], check=True)
    for i in ("x0", "x1"):
        lab.run("c", ["ip", "link", "set", i, "up"], check=True)


def delete_under(lab, argv, after=0.7):
    """Run argv on x0 in the client's namespace and delete x0 under it `after` s later;
    returns its exit status, how long it took to end, and its stderr lines but the
    'listening on' one."""
    new_veth_c(lab)
    p = lab.popen("c", argv)
    try:
        time.sleep(after)
        t0 = time.monotonic()
        lab.run("c", ["ip", "link", "del", "x0"], check=True)
        _, err = p.communicate(timeout=5)
        took = time.monotonic() - t0
    finally:
        lab.run("c", ["ip", "link", "del", "x0"])
    lines = [ln for ln in err.splitlines() if "listening on" not in ln]
    print(f"{argv[1]}: exit {p.returncode} {took * 1e3:.0f} ms after x0 was deleted: {lines}")
    return p.returncode, took, lines


@pytest.mark.parametrize("tool", ["craft", "kill"])
def test_tool_interface_deleted(lab, tool):
    """craft or kill on an interface that is deleted under it: one line, exit 3 (their
    runtime error), within 1 s."""
    argv = ([RSTCRAFT, "craft", "198.18.0.77", "-i", "x0", "--dst-mac", "02:00:00:00:00:01",
             "-p", "80", "-c", "100", "--interval", "100ms", "-q"] if tool == "craft" else
            [RSTCRAFT, "kill", "-i", "x0", "--timeout", "10", "host 198.18.0.77 and port 5001"])
    rc, took, lines = delete_under(lab, argv)
    assert rc == 3, lines
    assert took < 1.0, took
    assert len(lines) == 1 and ("deleted" in lines[0] or "disappeared" in lines[0]), lines


def test_kill_link_flap(lab):
    """kill sniffing through a flap of its link keeps running, asleep, to its --timeout."""
    p = lab.popen("c", [RSTCRAFT, "kill", "-i", "c0", "--timeout", "3",
                        f"host {KERNEL_IP} and port 5001"])
    busy, out, err = flap_c0(lab, p, 0.5)
    assert p.returncode == 1 and "0 connections reset" in out, (p.returncode, out, err)
    assert busy < 0.05, f"kill used {busy:.2f} s of CPU in 1 s of link down"


def rx_packets(lab, host, iface):
    return int(lab.run(host, ["cat", f"/sys/class/net/{iface}/statistics/rx_packets"],
                       check=True).stdout)


def test_craft_flood_link_flap(lab):
    """craft --flood through a flap of its link: says so once each way, sends nothing and
    sleeps while the link is down, sends again once it is up, stops on SIGINT."""
    p = lab.popen("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", "81", "--flood"])
    try:
        time.sleep(0.7)
        c_link(lab, "down")
        time.sleep(0.3)
        c0, k0 = cpu_seconds(p.pid), rx_packets(lab, "k", "k0")
        time.sleep(1.0)
        busy, k1 = cpu_seconds(p.pid) - c0, rx_packets(lab, "k", "k0")
    finally:
        c_link(lab, "up")
    time.sleep(1.0)
    k2 = rx_packets(lab, "k", "k0")
    time.sleep(0.5)
    sent_after = rx_packets(lab, "k", "k0") - k2
    out, err, took = sigint_timed(p)
    print(f"flood: {busy:.3f} s CPU and {k1 - k0} frames in 1 s of link down; "
          f"{sent_after} frames in 0.5 s after; SIGINT to exit {took * 1e3:.0f} ms")
    assert p.returncode == 0, err
    assert err.count("c0: link down") == 1 and err.count("c0: link up again after") == 1, err
    assert busy < 0.05, f"craft --flood used {busy:.2f} s of CPU in 1 s of link down"
    assert k1 - k0 == 0, "frames arrived while the link was down"
    assert sent_after > 1000, sent_after
    assert took < 1.0 and "packets transmitted" in out, (took, out)


def test_craft_flood_interface_deleted(lab):
    """craft --flood on an interface deleted under it: one line, exit 3, within 1 s."""
    rc, took, lines = delete_under(lab, [RSTCRAFT, "craft", "198.18.0.77", "-i", "x0",
                                         "--dst-mac", "02:00:00:00:00:01", "-p", "80",
                                         "--flood"])
    assert rc == 3, lines
    assert took < 1.0, took
    assert len(lines) == 1 and "x0 was deleted" in lines[0], lines


@contextlib.contextmanager
def fifo_never_read(lab, name):
    """A FIFO whose reader holds it open and never reads; yields its writing end."""
    fifo = lab.tmp / f"{name}.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with open(fifo, "w") as w:
            yield w
    finally:
        os.close(reader)


def test_craft_stdout_never_read(lab):
    """craft's reply lines into a FIFO that is never read: the probes keep their schedule
    (3,000 at 1 ms end in about 3 s, not when the pipe fills), the lines that found no room
    are counted at exit."""
    with fifo_never_read(lab, "craft") as w:
        t0 = time.monotonic()
        r = lab.run("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", "81", "-c", "3000",
                          "--interval", "1ms", "--wait", "200"], stdout=w,
                    stderr=subprocess.PIPE, capture_output=False, timeout=30)
        took = time.monotonic() - t0
    print(f"craft: 3,000 probes in {took:.1f} s into a FIFO never read; {r.stderr.strip()!r}")
    assert r.returncode == 0, r.stderr
    assert took < 10, took
    dropped = re.search(r"rstcraft craft: lines dropped \(slow reader\): (\d+)", r.stderr)
    assert dropped and int(dropped.group(1)) > 1000, r.stderr


# --- explain -i under the same faults ---

def sigint_timed(p):
    """SIGINT to p; returns its stdout, stderr and how long it took to end."""
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=5)
    return out, err, time.monotonic() - t0


def probe_closed(lab, n=2):
    """n SYNs from the client to a closed port of the kernel host: n closed-port resets."""
    r = lab.run("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", "81", "-c", str(n),
                      "--interval", "50ms", "-q"], timeout=30)
    assert r.returncode == 0, r.stderr


def test_explain_link_flap(lab):
    """explain -i through a flap of its link: says so once each way, sleeps meanwhile,
    explains the resets after the link is back, and stops on SIGINT."""
    p = lab.popen("c", [RSTCRAFT, "explain", "-i", "c0", "--json"])
    time.sleep(0.5)
    probe_closed(lab)
    busy = 0.0
    try:
        c_link(lab, "down")
        time.sleep(0.2)
        c0 = cpu_seconds(p.pid)
        time.sleep(1.0)
        busy = cpu_seconds(p.pid) - c0
    finally:
        c_link(lab, "up")
    time.sleep(0.3)
    probe_closed(lab)
    time.sleep(0.3)
    out, err, took = sigint_timed(p)
    print(f"explain: {busy:.3f} s CPU in 1 s of link down; SIGINT to exit {took * 1e3:.0f} ms")
    assert p.returncode == 0, err
    assert err.count("c0: link down") == 1 and err.count("c0: link up again after") == 1, err
    assert busy < 0.05, f"explain used {busy:.2f} s of CPU in 1 s of link down"
    assert took < 1.0, took
    assert out.count('"closed-port"') == 4, out


def test_explain_interface_deleted(lab):
    """explain -i on an interface deleted under it: exit 1 with one line, within 1 s."""
    rc, took, lines = delete_under(lab, [RSTCRAFT, "explain", "-i", "x0"], after=0.5)
    assert rc == 1, lines
    assert took < 1.0, took
    assert len(lines) == 1 and "x0 was deleted" in lines[0], lines


def test_explain_stdout_never_read(lab):
    """explain -i --json into a FIFO never read: every reset is still captured and
    explained (the capture never waits for stdout), the findings that found no room are
    counted at exit, and SIGINT ends it at once."""
    with fifo_never_read(lab, "explain") as w:
        p = lab.popen("c", [RSTCRAFT, "explain", "-i", "c0", "--json"], stdout=w)
        time.sleep(0.5)
        c = lab.run("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", "81", "-c", "5000",
                          "--rate", "5000", "--wait", "200", "-q"], timeout=30)
        assert c.returncode == 0, c.stderr
        time.sleep(0.5)
        _, err, took = sigint_timed(p)
    print(f"explain: SIGINT to exit {took * 1e3:.0f} ms; {err.splitlines()[-2:]}")
    assert p.returncode == 0, err
    assert took < 1.0, took
    m = re.search(r"(\d+) resets", err)
    assert m and int(m.group(1)) == 5000, err
    dropped = re.search(r"rstcraft explain: lines dropped \(slow reader\): (\d+)", err)
    assert dropped and int(dropped.group(1)) > 1000, err


# --- local (the responder on the user's machine) under the same faults ---

PY = "/usr/bin/python3"
CONNECT = r"""
import errno, socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e)))
"""


def connect(ns, addr, port):
    """A kernel client's connect from ns: 'ECONNREFUSED', 'ENETUNREACH', 'connected'..."""
    return ns.run([PY, "-c", CONNECT, addr, str(port)]).stdout.strip()


def local_responder_pid(loc):
    """The responder: the child of `rstcraft local` that lives in a namespace of its own."""
    own = os.readlink(f"/proc/{loc.p.pid}/ns/net")
    with open(f"/proc/{loc.p.pid}/task/{loc.p.pid}/children") as f:
        kids = [int(k) for k in f.read().split()]
    for k in kids:
        if os.readlink(f"/proc/{k}/ns/net") != own:
            return k
    raise AssertionError(f"no responder among the children {kids} of rstcraft local")


def test_local_link_flap(userns):
    """local through a flap of its link (the user takes the near end down and up): said
    once each way, asleep meanwhile, its routes put back (the kernel drops them with the
    link), answering within 1 s of the link coming back; SIGINT ends it with the counts."""
    loc = userns.local("-p", "80", "--mode", "rst")
    near = loc.link
    assert connect(userns, loc.address, 80) == "ECONNREFUSED", loc.stderr
    pids = [loc.p.pid, local_responder_pid(loc)]
    time.sleep(1.0)     # the kernel tells of a new link's carrier a moment after it is up
    try:
        userns.run(["ip", "link", "set", near, "down"], check=True)
        time.sleep(0.3)
        c0 = sum(cpu_seconds(p) for p in pids)
        time.sleep(1.0)
        busy = sum(cpu_seconds(p) for p in pids) - c0
    finally:
        userns.run(["ip", "link", "set", near, "up"], check=True)
    t_up = time.monotonic()
    while True:     # until refused (answered), not unreachable (no route yet)
        got = connect(userns, loc.address, 80)
        if got == "ECONNREFUSED" or time.monotonic() > t_up + 1.0:
            break
        time.sleep(0.05)
    answered_after = time.monotonic() - t_up
    time.sleep(1.0)     # the kernel says a carrier change up to 1 s late
    t0 = time.monotonic()
    code = loc.stop(signal.SIGINT)
    took = time.monotonic() - t0
    print(f"local: {busy:.3f} s CPU in 1 s of link down; answered {answered_after * 1e3:.0f} ms "
          f"after up; SIGINT to exit {took * 1e3:.0f} ms")
    assert got == "ECONNREFUSED", (got, loc.stderr)
    assert answered_after < 1.0, answered_after
    assert loc.stderr.count(": link down") == 1, loc.stderr
    assert loc.stderr.count(": link up again after") == 1, loc.stderr
    assert busy < 0.05, f"local used {busy:.2f} s of CPU in 1 s of link down"
    assert code == 0 and took < 1.0, (code, took, loc.stderr)
    assert "rstcraft: counts: closed-port=2" in loc.stderr, loc.stderr
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_local_link_deleted(userns):
    """The user deletes local's link: exit 1 with one line within 1 s, nothing left."""
    loc = userns.local("-p", "80", "--mode", "rst")
    before = len(loc.err)
    t0 = time.monotonic()
    userns.run(["ip", "link", "del", loc.link], check=True)
    code = exit_within(loc.p, 1.0, "its link was deleted", lambda: loc.stderr)
    took = time.monotonic() - t0
    loc.stop()
    after = loc.err[before:]
    print(f"local: exit {code} {took * 1e3:.0f} ms after its link was deleted: {after}")
    assert code == 1, loc.stderr
    assert len(after) == 1 and "was deleted" in after[0], loc.stderr
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_local_stdout_never_read(lab, userns):
    """local --json into a FIFO never read: 5,000 events later a client is still answered
    at once, and the events that found no room are counted at exit."""
    with fifo_never_read(lab, "local") as w:
        p = userns.popen([RSTCRAFT, "local", "-p", "80", "--mode", "rst", "--json"], stdout=w)
        err = []
        t = threading.Thread(target=lambda: err.extend(ln.rstrip("\n") for ln in p.stderr),
                             daemon=True)
        t.start()
        end = time.monotonic() + 10
        while not any(ln.startswith("rstcraft: ready") for ln in err) and time.monotonic() < end:
            time.sleep(0.02)
        c = userns.run([RSTCRAFT, "craft", "198.18.0.10", "-p", "80", "-c", "5000",
                        "--rate", "5000", "--wait", "200", "-q"], timeout=30)
        assert c.returncode == 0, c.stderr
        t0 = time.monotonic()
        got = connect(userns, "198.18.0.10", 80)
        took = time.monotonic() - t0
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        p.wait(timeout=5)
        stopped = time.monotonic() - t0
        t.join(timeout=3)
    stderr = "\n".join(err)
    print(f"local: client refused in {took * 1e3:.0f} ms after 5,000 events; "
          f"SIGINT to exit {stopped * 1e3:.0f} ms; {err[-2:]}")
    assert got == "ECONNREFUSED" and took < 1.0, (got, took)
    assert p.returncode == 0 and stopped < 1.0, stderr
    m = re.search(r"events dropped \(slow reader\): (\d+)", stderr)
    assert m and int(m.group(1)) > 1000, stderr
    assert not any(wait_clean(userns).values()), userns.leftovers()
