"""rstcraft craft: every option produces the bytes asked for. The probe is captured by
tcpdump on the receiving side (k0 in ${ID}k) and decoded with scapy: each field, the TCP
option order and padding, the payload, and checksums valid unless --badsum."""
import pytest

from lab import KERNEL_IP, RSTCRAFT

V6_C, V6_K = "2001:2::1", "2001:2::2"


def probe(lab, *args, bpf="src host 198.18.0.1", dst=KERNEL_IP, n=1):
    """Send n probes with args, return what k0 received from the client."""
    with lab.capture("k", "k0", bpf) as cap:
        r = lab.run("c", [RSTCRAFT, "craft", dst, "-c", n, "--interval", "5ms", "--wait", 100, "-q"]
                    + [str(a) for a in args], timeout=20)
    assert r.returncode in (0, 1), (r.stdout, r.stderr)
    pkts = [p for p in cap.packets if p.haslayer("IP") or p.haslayer("IPv6")]
    assert len(pkts) >= n, [p.summary() for p in cap.packets]
    return pkts[:n] if n > 1 else pkts[0]


def _fold(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def l4_sum_ok(p, layer=None):
    """Verify the L4 checksum over the bytes as captured (RFC 1071: the sum of everything
    including the checksum and the pseudo-header is 0xffff). scapy is not asked to
    re-serialise: it would "fix" lying headers before computing."""
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    if IP in p:
        raw = bytes(p[IP])
        ihl = (raw[0] & 15) * 4
        total = int.from_bytes(raw[2:4], "big")
        l4, proto = raw[ihl:total], raw[9]
        pseudo = b"" if proto == 1 else raw[12:20] + bytes([0, proto]) + len(l4).to_bytes(2, "big")
    else:
        raw = bytes(p[IPv6])
        plen = int.from_bytes(raw[4:6], "big")
        l4, proto = raw[40:40 + plen], raw[6]
        pseudo = raw[8:40] + len(l4).to_bytes(4, "big") + bytes([0, 0, 0, proto])
    return _fold(pseudo + l4) == 0xffff


def ip_sum_ok(p):
    from scapy.layers.inet import IP
    raw = bytes(p[IP])
    return _fold(raw[:(raw[0] & 15) * 4]) == 0xffff


@pytest.fixture(scope="module")
def v6(lab):
    for host, dev, addr in (("c", "c0", V6_C), ("k", "k0", V6_K)):
        lab.run(host, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
                       "net.ipv6.conf.default.disable_ipv6=0",
                       f"net.ipv6.conf.{dev}.disable_ipv6=0"], check=True)
        lab.run(host, ["ip", "-6", "addr", "add", f"{addr}/64", "dev", dev, "nodad"], check=True)
    return lab


def test_tcp_options_in_command_line_order_and_padded(lab):
    from scapy.layers.inet import TCP
    p = probe(lab, "-p", 1, "--mss", 1400, "--nop", "--wscale", 7, "--sackok", "--ts", "5:6",
              "--sack", "100:200", "--eol")
    t = p[TCP]
    raw = bytes(t)[20:t.dataofs * 4]
    # 4 + 1 + 3 + 2 + 10 + 10 + 1 = 31 bytes, one EOL of padding
    assert t.dataofs == 13, t.dataofs
    assert raw == bytes.fromhex("02040578" "01" "030307" "0402" "080a0000000500000006"
                                "050a00000064000000c8" "00" "00"), raw.hex()
    names = [o[0] for o in t.options]
    assert names[:7] == ["MSS", "NOP", "WScale", "SAckOK", "Timestamp", "SAck", "EOL"], t.options
    assert l4_sum_ok(p, TCP) and ip_sum_ok(p)


def test_raw_option_and_preset(lab):
    from scapy.layers.inet import TCP
    p = probe(lab, "-p", 1, "--opt", "1e06aabbccdd", "--nop")
    t = p[TCP]
    assert bytes(t)[20:t.dataofs * 4] == bytes.fromhex("1e06aabbccdd0100"), bytes(t).hex()
    p = probe(lab, "-p", 1, "--opts-preset", "windows")
    t = p[TCP]
    assert bytes(t)[20:t.dataofs * 4] == bytes.fromhex("020405b4" "01" "030308" "01" "01" "0402")
    assert l4_sum_ok(p, TCP)


def test_tcp_header_fields(lab):
    from scapy.layers.inet import TCP
    p = probe(lab, "-p", 2, "-s", 33333, "--flags", "FPU", "--seq", 123456, "--ack", 654321,
              "--win", 777, "--urg", 9)
    t = p[TCP]
    assert (t.sport, t.dport, t.seq, t.ack, t.window, t.urgptr) == (33333, 2, 123456, 654321, 777, 9)
    assert str(t.flags) == "FPU", t.flags
    assert t.dataofs == 5
    assert l4_sum_ok(p, TCP)
    p = probe(lab, "-p", 2, "--flags", "syn,ack,ece,cwr")
    assert str(p[TCP].flags) == "SAEC", p[TCP].flags


def test_doff_and_reserved_bits_lie_as_asked(lab):
    from scapy.layers.inet import IP, TCP
    p = probe(lab, "-p", 3, "--doff", 8, "--res", 2, "--data-string", "0123456789ab")
    raw = bytes(p[IP])[20:]
    assert raw[12] == (8 << 4) | 2, hex(raw[12])
    assert len(raw) == 20 + 12        # the header stays 20 bytes; the claim is 32
    assert l4_sum_ok(p, TCP)


def test_badsum(lab):
    from scapy.layers.inet import TCP, UDP
    p = probe(lab, "-p", 4, "--badsum")
    assert not l4_sum_ok(p, TCP)
    assert ip_sum_ok(p)
    p = probe(lab, "--udp", "-p", 4, "--badsum")
    assert not l4_sum_ok(p, UDP)


def test_ip_fields(lab):
    from scapy.layers.inet import IP
    p = probe(lab, "-p", 5, "--ttl", 7, "--id", 4242, "--tos", "0x10", "--df")
    ip = p[IP]
    assert (ip.ttl, ip.id, ip.tos, str(ip.flags), ip.frag) == (7, 4242, 0x10, "DF", 0)
    assert ip_sum_ok(p)
    p = probe(lab, "--udp", "-p", 5, "--mf", "--frag-off", 10, "--id", 99)
    ip = p[IP]
    assert (str(ip.flags), ip.frag, ip.id) == ("MF", 10, 99)
    assert ip_sum_ok(p)


def test_default_ttl_and_no_df(lab):
    from scapy.layers.inet import IP, TCP
    p = probe(lab, "-p", 5)
    assert p[IP].ttl == 64 and str(p[IP].flags) == "" and str(p[TCP].flags) == "S"
    assert p[TCP].window == 64240


def test_payloads(lab, tmp_path):
    from scapy.layers.inet import IP, TCP
    p = probe(lab, "-p", 6, "--data", "00ff10", "--data-string", "abc")
    assert bytes(p[TCP].payload) == b"\x00\xff\x10abc"
    f = tmp_path / "payload.bin"
    f.write_bytes(bytes(range(256)) * 3)
    p = probe(lab, "-p", 6, "--data-file", f)
    assert bytes(p[TCP].payload) == bytes(range(256)) * 3
    assert l4_sum_ok(p, TCP)
    p = probe(lab, "-p", 6, "--data-string", "ab", "--data-len", 10)
    assert bytes(p[TCP].payload) == b"ab" + b"\0" * 8
    assert p[IP].len == 20 + 20 + 10


def test_udp_and_icmp(lab):
    from scapy.layers.inet import ICMP, UDP
    p = probe(lab, "--udp", "-p", 5353, "-s", 1234, "--data-string", "hi")
    u = p[UDP]
    assert (u.sport, u.dport, u.len, bytes(u.payload)) == (1234, 5353, 10, b"hi")
    assert l4_sum_ok(p, UDP)
    p = probe(lab, "--icmp", "--icmp-type", 13, "--icmp-code", 0, "--icmp-id", 4321,
              "--icmp-seq", 7)
    i = p[ICMP]
    assert (i.type, i.code, i.id, i.seq) == (13, 0, 4321, 7)
    assert l4_sum_ok(p, ICMP)


def test_probes_differ_in_identity_fields(lab):
    from scapy.layers.inet import IP, TCP
    ps = probe(lab, "-p", "7-9", n=3)
    assert [p[TCP].dport for p in ps] == [7, 8, 9]
    assert len({p[TCP].sport for p in ps}) == 3
    assert len({p[TCP].seq for p in ps}) == 3
    assert len({p[IP].id for p in ps}) == 3
    assert all(l4_sum_ok(p, TCP) for p in ps)


def test_ipv6_fields(v6):
    from scapy.layers.inet import TCP
    from scapy.layers.inet6 import IPv6
    p = probe(v6, "-p", 1, "--hop-limit", 9, "--tclass", "0x20", "--flow-label", "0x12345",
              "--mss", 1220, bpf="src host 2001:2::1 and tcp", dst=V6_K)
    ip = p[IPv6]
    assert (ip.hlim, ip.tc, ip.fl, ip.src, ip.dst) == (9, 0x20, 0x12345, V6_C, V6_K)
    assert p[TCP].options[0] == ("MSS", 1220)
    assert l4_sum_ok(p, TCP)


def test_ipv6_udp_icmp6(v6):
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import ICMPv6EchoRequest
    p = probe(v6, "--udp", "-p", 53, bpf="src host 2001:2::1 and udp", dst=V6_K)
    assert p[UDP].dport == 53 and l4_sum_ok(p, UDP)
    with v6.capture("k", "k0", "src host 2001:2::1 and icmp6") as cap:
        r = v6.run("c", [RSTCRAFT, "craft", V6_K, "--icmp", "--data-string", "ping6", "-c", 1,
                         "--wait", 100, "-q"])
    assert r.returncode == 0, r.stderr
    echo = [p for p in cap.packets if ICMPv6EchoRequest in p]
    assert len(echo) == 1, [p.summary() for p in cap.packets]
    assert echo[0][ICMPv6EchoRequest].data == b"ping6"
    assert l4_sum_ok(echo[0])
