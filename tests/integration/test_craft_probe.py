"""rstcraft craft against the real kernel in ${ID}k: replies matched to their probes, RTTs,
loss and exit statuses, IPv6, ICMP errors, a spoofed source, pacing counts."""
import contextlib
import json
import re
import subprocess
import time

import pytest

from lab import KERNEL_IP, RSTCRAFT, kill_proc, _readline_timeout

SILENT_IP = "198.18.0.99"
V6_C, V6_K = "2001:2::1", "2001:2::2"
LINE = re.compile(r"^len=(\d+) ip=(\S+) (.*) probe=(\d+) rtt=([\d.]+) ms(.*)$")


def craft(lab, *args, host="c", timeout=30):
    return lab.run(host, [RSTCRAFT, "craft"] + [str(a) for a in args], timeout=timeout)


def replies(out):
    """Reply lines as dicts: probe, rtt, and every key=value of the line."""
    res = []
    for ln in out.splitlines():
        m = LINE.match(ln)
        if not m:
            continue
        d = dict(re.findall(r"(\w+)=(\S+)", ln))
        d["probe"] = int(m.group(4))
        d["rtt"] = float(m.group(5))
        d["tail"] = m.group(6)
        res.append(d)
    return res


def rx_packets(lab, host="k", iface="k0"):
    return int(lab.run(host, ["cat", f"/sys/class/net/{iface}/statistics/rx_packets"],
                       check=True).stdout)


@contextlib.contextmanager
def listener(lab, port, addr=KERNEL_IP, host="k", family="AF_INET"):
    code = ("import socket,sys\n"
            f"s=socket.socket(socket.{family}); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            f"s.bind(('{addr}', {port})); s.listen(64); print('ready', flush=True)\n"
            "sys.stdin.read()\n")
    p = lab.popen(host, ["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE)
    line = _readline_timeout(p.stdout, 5.0)
    assert "ready" in line, (line, p.stderr.read() if p.poll() is not None else "")
    try:
        yield p
    finally:
        kill_proc(p)


@pytest.fixture(scope="module")
def v6(lab):
    """IPv6 from the benchmarking range (RFC 5180) on c0 and k0; the lab turns it off."""
    for host, dev, addr in (("c", "c0", V6_C), ("k", "k0", V6_K)):
        lab.run(host, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
                       "net.ipv6.conf.default.disable_ipv6=0",
                       f"net.ipv6.conf.{dev}.disable_ipv6=0"], check=True)
        lab.run(host, ["ip", "-6", "addr", "add", f"{addr}/64", "dev", dev, "nodad"], check=True)
    return lab


def test_syn_closed_port_each_probe_gets_its_ra(lab):
    r = craft(lab, KERNEL_IP, "-p", 1, "-c", 5, "--interval", "20ms")
    assert r.returncode == 0, (r.stdout, r.stderr)
    rs = replies(r.stdout)
    assert sorted(x["probe"] for x in rs) == [0, 1, 2, 3, 4], r.stdout
    for x in rs:
        assert x["flags"] == "RA", x
        assert x["ip"] == KERNEL_IP and x["sport"] == "1", x
        assert 0 <= x["rtt"] < 100, x
        assert x["tail"] == "", x          # exact match, not a duplicate
    # each RST acks its own probe: distinct ports and acks, one per probe
    assert len({x["dport"] for x in rs}) == 5 and len({x["ack"] for x in rs}) == 5
    assert "5 packets transmitted, 5 packets received, 0% packet loss" in r.stdout
    assert re.search(r"round-trip min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms", r.stdout), r.stdout


def test_reply_acks_the_probe_it_is_matched_to(lab):
    # the capture shows which SYN each RST answers; craft must pair them the same way
    with lab.capture("c", "c0", "tcp port 1") as cap:
        r = craft(lab, KERNEL_IP, "-p", 1, "-c", 4, "--interval", "5ms", "--json")
    assert r.returncode == 0, r.stderr
    from scapy.layers.inet import TCP
    sent = [p for p in cap.packets if TCP in p and p[TCP].dport == 1]
    assert len(sent) == 4
    evs = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    rep = [e for e in evs if e["type"] == "reply"]
    assert len(rep) == 4, evs
    for e in rep:
        syn = sent[e["probe"]]                  # probes go out in index order
        assert syn[TCP].sport == e["dport"], (e, syn.summary())
        assert (syn[TCP].seq + 1) % 2**32 == e["ack"], e
        assert e["match"] == "exact" and not e["dup"], e
    summ = [e for e in evs if e["type"] == "summary"][0]
    assert summ["sent"] == 4 and summ["received"] == 4 and summ["loss_pct"] == 0, summ


def test_syn_open_port_gets_sa(lab):
    with listener(lab, 8080):
        r = craft(lab, KERNEL_IP, "-p", 8080, "-c", 3, "--interval", "10ms", "--mss", 1400)
    assert r.returncode == 0, (r.stdout, r.stderr)
    rs = replies(r.stdout)
    assert sorted(x["probe"] for x in rs) == [0, 1, 2], r.stdout
    assert all(x["flags"] == "SA" and x["win"] != "0" for x in rs), r.stdout
    assert all("mss" in x["tail"] or "opts=" in r.stdout for x in rs)


def test_silent_address_all_lost_exit_1(lab):
    # nothing owns 198.18.0.99: frames go to k0's MAC, its kernel drops them silently
    r = craft(lab, SILENT_IP, "-c", 3, "--interval", "10ms", "--wait", 300,
              "--dst-mac", lab.mac("k", "k0"))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert replies(r.stdout) == []
    assert "3 packets transmitted, 0 packets received, 100% packet loss" in r.stdout


def test_silent_address_without_mac_is_a_runtime_error(lab):
    r = craft(lab, SILENT_IP, "-c", 1)
    assert r.returncode == 3, (r.stdout, r.stderr)
    err = r.stderr.strip()
    assert "\n" not in err and "198.18.0.99" in err and "--dst-mac" in err, err


def test_ipv6_syn_reply_matched(v6):
    r = craft(v6, V6_K, "-p", 1, "-c", 3, "--interval", "10ms")
    assert r.returncode == 0, (r.stdout, r.stderr)
    rs = replies(r.stdout)
    assert sorted(x["probe"] for x in rs) == [0, 1, 2], r.stdout
    assert all(x["ip"] == V6_K and x["flags"] == "RA" for x in rs), r.stdout
    assert "3 packets received" in r.stdout


def test_ipv6_open_port_and_icmp6(v6):
    with listener(v6, 8081, addr=V6_K, family="AF_INET6"):
        r = craft(v6, "-6", V6_K, "-p", 8081, "-c", 2, "--interval", "10ms")
    assert r.returncode == 0, r.stderr
    assert [x["flags"] for x in replies(r.stdout)] == ["SA", "SA"], r.stdout
    r = craft(v6, V6_K, "--icmp", "-c", 2, "--interval", "10ms")
    assert r.returncode == 0, r.stderr
    rs = replies(r.stdout)
    assert [x["probe"] for x in rs] == [0, 1] and all(x["icmp"] == "129/0" for x in rs), r.stdout


def test_udp_closed_port_icmp_error_quotes_probe(lab):
    r = craft(lab, KERNEL_IP, "--udp", "-p", 9, "-c", 3, "--interval", "10ms", "--json")
    assert r.returncode == 0, r.stderr
    evs = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    rep = [e for e in evs if e["type"] == "reply"]
    assert sorted(e["probe"] for e in rep) == [0, 1, 2], evs
    for e in rep:
        assert e["icmp_type"] == 3 and e["icmp_code"] == 3, e
        q = e["quoted"]
        assert q["proto"] == "udp" and q["dst"] == KERNEL_IP and q["dport"] == 9, e
        assert e["match"] == "exact", e
    # the quote carries the probe's IP ID, distinct per probe
    assert len({e["quoted"]["id"] for e in rep}) == 3


def test_icmp_echo(lab):
    r = craft(lab, KERNEL_IP, "--icmp", "-c", 3, "--interval", "5ms", "--data-len", 56)
    assert r.returncode == 0, r.stderr
    rs = replies(r.stdout)
    assert [x["probe"] for x in rs] == [0, 1, 2], r.stdout
    assert all(x["icmp"] == "0/0" and x["len"] == "84" for x in rs), r.stdout


def test_identical_probes_are_reported_ambiguous(lab):
    # source port and sequence fixed: the RSTs cannot tell the probes apart
    r = craft(lab, KERNEL_IP, "-p", 1, "-s", 40001, "--seq", 1000, "-c", 3, "--interval", "10ms")
    assert r.returncode == 0, r.stderr
    rs = replies(r.stdout)
    assert [x["probe"] for x in rs] == [0, 1, 2], r.stdout
    # the first reply came when only probe 0 existed: that one is certain
    assert rs[0]["tail"] == "", r.stdout
    assert all("ambiguous" in x["tail"] for x in rs[1:]), r.stdout


def test_spoofed_source_answers_arp(lab):
    # 198.18.0.50 belongs to nobody: the kernel host must learn its MAC from craft
    spoof = "198.18.0.50"
    lab.run("k", ["ip", "neigh", "flush", "dev", "k0"])
    with listener(lab, 8082):
        r = craft(lab, KERNEL_IP, "-p", 8082, "-c", 2, "--interval", "10ms", "--src", spoof,
                  "--wait", 1500)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert [x["flags"] for x in replies(r.stdout)] == ["SA", "SA"], r.stdout
    neigh = lab.run("k", ["ip", "neigh", "show", spoof, "dev", "k0"]).stdout
    assert lab.client_mac in neigh, neigh


def test_interval_sub_millisecond(lab):
    t = time.monotonic()
    r = craft(lab, SILENT_IP, "-c", 200, "--interval", "500us", "--wait", 0,
              "--dst-mac", lab.mac("k", "k0"), "-q")
    took = time.monotonic() - t
    assert r.returncode == 1, r.stderr
    assert "200 packets transmitted" in r.stdout
    assert took < 2.0, took      # 200 x 0.5 ms = 0.1 s plus start-up


@pytest.mark.parametrize("mode", [("--rate", "2000"), ("--flood",)])
def test_count_honoured_when_paced(lab, mode):
    before = rx_packets(lab)
    r = craft(lab, SILENT_IP, "-c", 5000, *mode, "-q", "--wait", 0,
              "--dst-mac", lab.mac("k", "k0"))
    time.sleep(0.2)
    got = rx_packets(lab) - before
    assert r.returncode in (0, 1), r.stderr
    assert "5000 packets transmitted" in r.stdout, r.stdout
    assert 5000 <= got < 5050, got        # a few ARP/ND frames may cross too


def test_sigint_prints_summary(lab):
    p = lab.popen("c", [RSTCRAFT, "craft", KERNEL_IP, "-p", 1, "--interval", "10ms"])
    time.sleep(0.5)
    p.send_signal(2)
    out, err = p.communicate(timeout=5)
    kill_proc(p)
    assert "packets transmitted" in out, (out, err)
    assert p.returncode == 0, (p.returncode, err)


def test_mac_resolved_by_arp_when_not_cached(lab):
    lab.run("c", ["ip", "neigh", "flush", "dev", "c0"], check=True)
    with lab.capture("c", "c0", "arp") as cap:
        r = craft(lab, KERNEL_IP, "-p", 1, "-c", 1)
    assert r.returncode == 0, (r.stdout, r.stderr)
    from scapy.layers.l2 import ARP
    asks = [p for p in cap.packets if ARP in p and p[ARP].op == 1 and p[ARP].pdst == KERNEL_IP]
    assert asks, [p.summary() for p in cap.packets]


def test_write_pcap_has_probes_and_replies(lab):
    path = lab.tmp / "craft-w.pcap"
    r = craft(lab, KERNEL_IP, "-p", 1, "-c", 3, "--interval", "5ms", "-w", path)
    assert r.returncode == 0, r.stderr
    from scapy.layers.inet import IP, TCP
    from scapy.utils import rdpcap
    pk = [p for p in rdpcap(str(path)) if TCP in p]
    syn = [p for p in pk if p[IP].dst == KERNEL_IP and str(p[TCP].flags) == "S"]
    rst = [p for p in pk if p[IP].src == KERNEL_IP and str(p[TCP].flags) == "RA"]
    assert len(syn) == 3 and len(rst) == 3, [p.summary() for p in pk]


def test_usage_errors_one_line_exit_2():
    bad = [["--flags", "SX"], ["--mss", "70000"], ["--data", "zz"], ["--opt", "0" * 82],
           ["--interval", "5parsecs"], ["--ts", "1", "--ts", "1", "--ts", "1", "--ts", "1", "--mss", "1"],
           ["--bogus"], []]
    for extra in bad:
        args = [str(RSTCRAFT), "craft"] + (["198.18.0.2"] if extra else []) + extra
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 2, (extra, r.returncode, r.stderr)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("rstcraft craft: "), (extra, r.stderr)
        assert r.stdout == "", (extra, r.stdout)
