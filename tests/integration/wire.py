"""What each reset case looks like on the wire (SCENARIOS.md), as assertions on a capture.
The same checks run against the real kernel (test_kernel_reference.py) and against the
responder, so 'the responder looks like Linux' is tested, not assumed."""
from lab import CLIENT_IP, checksums_ok, flags, flow, summary, tcp_options, tcp_pkts


def _ctx(pkts):
    return "\ncapture:\n" + summary(pkts)


def client_syn(pkts, server, sport, dport):
    syns = [p for p in tcp_pkts(pkts, src=CLIENT_IP, dst=server, sport=sport, dport=dport)
            if flags(p) == "S"]
    assert syns, f"no SYN from {CLIENT_IP}.{sport} to {server}.{dport}" + _ctx(pkts)
    return syns[0]


def from_server(pkts, server, sport, dport):
    return tcp_pkts(pkts, src=server, dst=CLIENT_IP, sport=dport, dport=sport)


def closed_port_rst(pkts, server, sport, dport):
    """Scenario 1: exactly one packet answers the SYN, an RST|ACK built like Linux's
    tcp_v4_send_reset. Returns it."""
    from scapy.layers.inet import IP, TCP
    syn = client_syn(pkts, server, sport, dport)
    got = from_server(pkts, server, sport, dport)
    assert len(got) == 1, f"expected exactly one packet from {server}, got {len(got)}" + _ctx(pkts)
    rst = got[0]
    ip, tcp = rst[IP], rst[TCP]
    assert flags(rst) == "RA", f"flags {flags(rst)}, expected RA" + _ctx(pkts)
    assert tcp.seq == 0, f"seq {tcp.seq}, expected 0"
    assert tcp.ack == (syn[TCP].seq + 1) & 0xFFFFFFFF, f"ack {tcp.ack}, expected ISN+1 {syn[TCP].seq + 1}"
    assert tcp.window == 0, f"window {tcp.window}, expected 0"
    assert ip.ttl == 64, f"ttl {ip.ttl}"
    assert "DF" in str(ip.flags), f"IP flags {ip.flags}, expected DF"
    assert ip.id == 0, f"IP id {ip.id}, expected 0"
    assert tcp.dataofs == 5 and tcp_options(rst) == [], f"options {tcp.options}, expected none"
    assert ip.ihl == 5 and ip.len == 40, f"ihl {ip.ihl} len {ip.len}"
    assert tcp.urgptr == 0
    assert checksums_ok(rst), "bad IPv4 or TCP checksum"
    return rst


def handshake(pkts, server, sport, dport):
    """(client SYN, server SYN-ACK) of one connection."""
    from scapy.layers.inet import TCP
    syn = client_syn(pkts, server, sport, dport)
    sa = [p for p in from_server(pkts, server, sport, dport) if flags(p) == "SA"]
    assert sa, f"no SYN-ACK from {server}" + _ctx(pkts)
    assert sa[0][TCP].ack == (syn[TCP].seq + 1) & 0xFFFFFFFF
    return syn, sa[0]


def unread_rst(pkts, server, sport, dport, sent, csum=True):
    """Scenario 4: the server closed with data unread: RST|ACK with seq SND.NXT, ack RCV.NXT
    (everything the client sent), the socket's window (non-zero), TS option, IP id non-zero.
    csum=False for the kernel: a socket's own segments leave with a partial checksum that
    the veth offload never completes (only stateless RSTs are summed in software)."""
    from scapy.layers.inet import IP, TCP
    syn, sa = handshake(pkts, server, sport, dport)
    resets = [p for p in from_server(pkts, server, sport, dport) if "R" in flags(p)]
    assert len(resets) == 1, f"expected one RST from {server}, got {len(resets)}" + _ctx(pkts)
    rst = resets[0]
    ip, tcp = rst[IP], rst[TCP]
    # What the server sent before the reset: SYN (1) + data + FIN (none expected).
    srv = from_server(pkts, server, sport, dport)
    snd_nxt = sa[TCP].seq + 1 + sum(p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4
                                    for p in srv if p is not rst)
    assert flags(rst) == "RA", f"flags {flags(rst)}, expected RA" + _ctx(pkts)
    assert tcp.seq == snd_nxt & 0xFFFFFFFF, f"seq {tcp.seq}, expected SND.NXT {snd_nxt}" + _ctx(pkts)
    assert tcp.ack == (syn[TCP].seq + 1 + sent) & 0xFFFFFFFF, \
        f"ack {tcp.ack}, expected RCV.NXT {syn[TCP].seq + 1 + sent}" + _ctx(pkts)
    assert tcp.window > 0, "window 0: an aborting socket advertises its window"
    assert "Timestamp" in tcp_options(rst), f"no TS option: {tcp.options}"
    assert ip.id != 0, "IP id 0: an aborting socket uses its own IP id counter"
    assert ip.ttl == 64 and "DF" in str(ip.flags)
    assert not csum or checksums_ok(rst), "bad IPv4 or TCP checksum"
    return rst


def fin_close(pkts, server, sport, dport):
    """Everything was read: the server closes with FIN and never resets."""
    srv = from_server(pkts, server, sport, dport)
    assert any("F" in flags(p) for p in srv), f"no FIN from {server}" + _ctx(pkts)
    assert not any("R" in flags(p) for p in srv), f"unexpected RST from {server}" + _ctx(pkts)


def after_close_rst(pkts, server, sport, dport):
    """Scenario 5: FIN first; the client's later data is answered by a bare RST with
    seq = the data segment's ack, window 0, no options."""
    from scapy.layers.inet import IP, TCP
    handshake(pkts, server, sport, dport)
    conv = flow(pkts, CLIENT_IP, sport, server, dport)
    srv = [p for p in conv if p[IP].src == server]
    fin_i = next((i for i, p in enumerate(conv) if p[IP].src == server and "F" in flags(p)), None)
    assert fin_i is not None, f"no FIN from {server}" + _ctx(conv)
    rst_i = [i for i, p in enumerate(conv) if p[IP].src == server and "R" in flags(p)]
    assert rst_i, f"no RST from {server}" + _ctx(conv)
    first = rst_i[0]
    assert first > fin_i, "RST before the FIN" + _ctx(conv)
    rst = conv[first]
    # The data segment it answers: the last client segment with payload before it.
    data = [p for p in conv[:first] if p[IP].src == CLIENT_IP and
            p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4 > 0]
    assert len(data) >= 2, "the RST should answer the second write" + _ctx(conv)
    seg = data[-1]
    assert flags(rst) == "R", f"flags {flags(rst)}, expected a bare R" + _ctx(conv)
    assert rst[TCP].seq == seg[TCP].ack, f"seq {rst[TCP].seq}, expected the data's ack {seg[TCP].ack}"
    assert rst[TCP].window == 0
    assert tcp_options(rst) == []
    assert checksums_ok(rst), "bad IPv4 or TCP checksum"
    assert len(srv) >= 3
    return rst


def nothing_from(pkts, server):
    from scapy.layers.inet import IP
    got = [p for p in pkts if IP in p and p[IP].src == server]
    assert not got, f"{server} sent IP packets, expected silence" + _ctx(pkts)
