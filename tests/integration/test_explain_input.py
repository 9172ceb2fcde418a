"""`rstcraft explain` on every kind of input it may be handed: link types (Ethernet, VLAN,
Linux cooked SLL and SLL2, raw IP), IPv6, fragments, pcapng with two interfaces, a file cut
mid-record, garbage, a missing file, bad options. The frames are built with scapy (the
same closed-port exchange each time: SYN, then RST|ACK seq 0 ack ISN+1), so the expected
finding is known. What can be read gives findings; what cannot gives one line and exit 3;
usage errors exit 2. Needs no lab."""
import json
import struct
import subprocess

import pytest

from lab import RSTCRAFT

scapy = pytest.importorskip("scapy.all")
from scapy.all import (IP, TCP, CookedLinux, Dot1Q, Ether, IPv6, fragment,  # noqa: E402
                       raw, wrpcap)

C, S = "198.18.1.2", "198.18.2.2"
C6, S6 = "2001:2::1", "2001:2::2"


def _exchange(v6=False):
    ipc = IPv6(src=C6, dst=S6) if v6 else IP(src=C, dst=S, ttl=64)
    ips = IPv6(src=S6, dst=C6) if v6 else IP(src=S, dst=C, ttl=64, flags="DF", id=0)
    syn = ipc / TCP(sport=40000, dport=81, flags="S", seq=1000)
    rst = ips / TCP(sport=81, dport=40000, flags="RA", seq=0, ack=1001, window=0)
    syn.time, rst.time = 10.0, 10.0002
    return [syn, rst]


def explain(path, *extra):
    r = subprocess.run([str(RSTCRAFT), "explain", "--json", "-r", str(path), *extra],
                       capture_output=True, text=True, timeout=30)
    found = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    return r, found


def _closed_port(found, src=f"{S}:81", dst=f"{C}:40000"):
    assert [(f["cause"], f["src"], f["dst"], f["by"]) for f in found] == \
        [("closed-port", src, dst, "server")], found
    assert abs(found[0]["ts"] - 10.0002) < 1e-6


def _wrap(pkts, l2):
    out = []
    for p in pkts:
        q = l2 / p
        q.time = p.time
        out.append(q)
    return out


@pytest.mark.parametrize("kind", ["ether", "vlan", "sll", "raw"])
def test_link_types(tmp_path, kind):
    pkts = _exchange()
    f = tmp_path / f"{kind}.pcap"
    if kind == "ether":
        wrpcap(str(f), _wrap(pkts, Ether()))
    elif kind == "vlan":
        wrpcap(str(f), _wrap(pkts, Ether() / Dot1Q(vlan=7)))
    elif kind == "sll":
        wrpcap(str(f), _wrap(pkts, CookedLinux(proto=0x0800)))
    else:
        wrpcap(str(f), pkts, linktype=101)
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)


@pytest.mark.parametrize("nano,swap", [(False, False), (True, False), (False, True)])
def test_pcap_variants(tmp_path, nano, swap):
    """Microsecond and nanosecond, little- and big-endian classic pcap (read in place)."""
    end = ">" if swap else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    b = struct.pack(end + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for p in _wrap(_exchange(), Ether()):
        data = raw(p)
        frac = int(round((p.time % 1) * (1e9 if nano else 1e6)))
        b += struct.pack(end + "IIII", int(p.time), frac, len(data), len(data)) + data
    f = tmp_path / "v.pcap"
    f.write_bytes(b)
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)
    r2 = subprocess.run([str(RSTCRAFT), "explain", "--json", "-r", "-"], stdin=open(f, "rb"),
                        capture_output=True, text=True, timeout=30)
    assert r2.stdout == r.stdout, "stdin (libpcap) and the mapped file disagree"


def _pcap(linktype, frames):
    b = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for t, data in frames:
        b += struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)), len(data), len(data)) + data
    return b


def test_sll2(tmp_path):
    """Linux cooked v2 (link type 276): protocol first, 20-byte header."""
    frames = []
    for p in _exchange():
        hdr = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, bytes(8))
        frames.append((p.time, hdr + raw(p)))
    f = tmp_path / "sll2.pcap"
    f.write_bytes(_pcap(276, frames))
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)


def test_ipv6(tmp_path):
    f = tmp_path / "v6.pcap"
    wrpcap(str(f), _wrap(_exchange(v6=True), Ether()))
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found, src=f"[{S6}]:81", dst=f"[{C6}]:40000")


def test_capture_starts_with_the_reset(tmp_path):
    """Only the RST|ACK seq 0 is in the capture (its SYN was not): still a closed port."""
    f = tmp_path / "rst-only.pcap"
    wrpcap(str(f), _wrap(_exchange()[1:], Ether()))
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)


def test_fragments_are_skipped(tmp_path):
    syn, rst = _exchange()
    big = IP(src=C, dst=S) / TCP(sport=40001, dport=81, flags="PA") / (b"x" * 3000)
    frags = fragment(big, fragsize=1000)
    for q in frags:
        q.time = 9.0
    f = tmp_path / "frag.pcap"
    wrpcap(str(f), _wrap(frags + [syn, rst], Ether()))
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)


def test_pcapng_two_interfaces(tmp_path):
    """SYN on interface 0, RST on interface 1, both Ethernet."""
    def block(btype, body):
        body += bytes(-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))
    out = shb + idb + idb
    for i, p in enumerate(_exchange()):
        data = raw(Ether() / p)
        us = int(round(p.time * 1e6))
        out += block(6, struct.pack("<IIIII", i, us >> 32, us & 0xFFFFFFFF, len(data), len(data)) + data)
    f = tmp_path / "two.pcapng"
    f.write_bytes(out)
    r, found = explain(f)
    assert r.returncode == 0, r.stderr
    _closed_port(found)


def test_cut_mid_record(tmp_path):
    """The closed-port exchange, then a third record cut short: the finding, one line, exit 3."""
    pkts = _wrap(_exchange(), Ether())
    extra = Ether() / IP(src=C, dst=S) / TCP(sport=40002, dport=82, flags="S")
    extra.time = 11.0
    f = tmp_path / "cut.pcap"
    wrpcap(str(f), pkts + [extra])
    f.write_bytes(f.read_bytes()[:-20])
    r, found = explain(f)
    assert r.returncode == 3, r.stderr
    _closed_port(found)
    err = [ln for ln in r.stderr.splitlines() if "truncated" in ln]
    assert len(err) == 1, r.stderr


@pytest.mark.parametrize("content", [b"", b"\xd4\xc3\xb2", b"garbage, not a capture" * 10])
def test_unreadable(tmp_path, content):
    f = tmp_path / "bad.pcap"
    f.write_bytes(content)
    r, found = explain(f)
    assert r.returncode == 3 and not found
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("rstcraft explain:"), lines


def test_unsupported_link_type(tmp_path):
    f = tmp_path / "usb.pcap"
    f.write_bytes(_pcap(189, [(1.0, b"\0" * 40)]))
    r, _ = explain(f)
    assert r.returncode == 3
    assert "link type" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_garbage_frames_never_crash(tmp_path):
    """Random bytes as Ethernet frames, raw IP and SLL: read to the end, exit 0."""
    import random
    rnd = random.Random(11)
    for lt in (1, 101, 113, 276):
        frames = [(1.0 + i / 1000, bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 90))))
                  for i in range(400)]
        f = tmp_path / f"junk{lt}.pcap"
        f.write_bytes(_pcap(lt, frames))
        r, _ = explain(f, "-v")
        assert r.returncode == 0, (lt, r.returncode, r.stderr)


@pytest.mark.parametrize("args,needle", [
    (["--bogus"], "--bogus"), (["-r"], "-r"), ([], "-r FILE"),
    (["-r", "/dev/null", "-i", "lo"], "-r FILE"), (["--max-flows", "0", "-r", "x"], "max-flows"),
])
def test_usage_errors(args, needle):
    r = subprocess.run([str(RSTCRAFT), "explain", *args], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], lines


def test_bad_filter(tmp_path):
    f = tmp_path / "e.pcap"
    wrpcap(str(f), _wrap(_exchange(), Ether()))
    r, _ = explain(f, "port", "81", "and")
    assert r.returncode == 2 and "filter" in r.stderr
    r, found = explain(f, "port", "81")
    assert r.returncode == 0
    _closed_port(found)
    r, found = explain(f, "port", "82")
    assert r.returncode == 0 and not found


def test_help():
    r = subprocess.run([str(RSTCRAFT), "explain", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "rstcraft explain -r FILE" in r.stdout
