"""ICMP per profile (issue 4): the responder answers ping, and UDP to a closed port with
ICMP port unreachable quoting the probe, each the way its profile's OS forms them, so
that OS detection sees a live host. windows7-firewall does not answer ping (its
fingerprint's IE(R=N)) but does answer closed UDP (its U1 line). A port whose rule is
`silent` stays silent to UDP too. The profile comes from a `profile NAME` line of a
rules file here, which exercises that way of choosing one. `linux` is compared with the
kernel host (198.18.0.2) field by field."""
import re
import time

import pytest

from lab import KERNEL_IP, RESP_IP

UDP_CLOSED = 33434
UDP_SILENT = 5353
PAYLOAD = b"C" * 300          # nmap's U1 probe carries 300 bytes of 'C'

# per profile: (echo replies?, echo TTL, unreachable TTL, bytes of the datagram quoted,
# quoted fields the OS changes: {field: value or "bad"})
EXPECT = {
    "linux": (True, 64, 64, 328, {}),
    "windows7": (True, 128, 128, 328, {}),
    "windows7-firewall": (False, None, 128, 328, {}),
    "windows10": (True, 128, 128, 328, {}),
    "freebsd": (True, 64, 64, 328, {}),
    "macos": (True, 64, 64, 28, {"udp.chksum": 0}),
    "openbsd": (True, 255, 255, 28, {"ip.id": 0xD8D0, "ip.chksum": "bad"}),
}


def _rules(lab, profile):
    path = lab.tmp / f"icmp-{profile}.rules"
    path.write_text(f"profile {profile}\n* 80 open\n* {UDP_SILENT} silent\n")
    return path


def _ping(lab, host):
    r = lab.run("c", ["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", host], timeout=15)
    ttls = [int(t) for t in re.findall(r"ttl=(\d+)", r.stdout)]
    return r, ttls


def _udp(lab, host, ports):
    """One datagram per port from one socket; returns the source port."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.bind(('0.0.0.0',0))\n"
            "for p in sys.argv[2:]:\n"
            "    s.sendto(b'C'*300,(sys.argv[1],int(p)))\n"
            "print(s.getsockname()[1])\n")
    r = lab.run("c", ["/usr/bin/python3", "-c", code, host] + [str(p) for p in ports], timeout=10)
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip())


def _exchange(lab, host):
    """ping and UDP (closed port, silent port) to host, captured on c0."""
    with lab.capture("c", "c0", "icmp or udp") as cap:
        pr, ttls = _ping(lab, host)
        sport = _udp(lab, host, [UDP_CLOSED, UDP_SILENT])
        time.sleep(0.3)
    return cap.packets, pr, ttls, sport


def _echo_fields(pkts, host):
    from scapy.layers.inet import ICMP, IP
    reqs = {(p[ICMP].id, p[ICMP].seq): p for p in pkts
            if IP in p and ICMP in p and p[IP].dst == host and p[ICMP].type == 8}
    out = []
    for p in pkts:
        if IP in p and ICMP in p and p[IP].src == host and p[ICMP].type == 0:
            q = reqs.get((p[ICMP].id, p[ICMP].seq))
            assert q is not None, f"echo reply without a request: {p.summary()}"
            assert bytes(p[ICMP].payload) == bytes(q[ICMP].payload), "echo data not returned"
            out.append({"ttl": p[IP].ttl, "df": "DF" in str(p[IP].flags), "tos": p[IP].tos,
                        "code": p[ICMP].code, "ip_id": "zero" if p[IP].id == 0 else "non-zero",
                        "len": p[IP].len, "req_df": "DF" in str(q[IP].flags)})
    return out


def _unreach(pkts, host, sport, dport):
    """(probe as sent, ICMP answer) for the datagram sport -> host:dport."""
    from scapy.layers.inet import ICMP, IP, UDP, UDPerror
    probe = next((p for p in pkts if IP in p and UDP in p and ICMP not in p and
                  p[IP].dst == host and p[UDP].sport == sport and p[UDP].dport == dport), None)
    assert probe is not None, f"probe to {host}:{dport} not captured"
    ans = [p for p in pkts if IP in p and ICMP in p and p[IP].src == host and p[ICMP].type == 3
           and UDPerror in p and p[UDPerror].sport == sport and p[UDPerror].dport == dport]
    return probe, ans


def _ip_cksum_ok(raw_hdr):
    s = 0
    for i in range(0, len(raw_hdr), 2):
        s += raw_hdr[i] << 8 | raw_hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def _check_unreach(probe, ans, quote_len, changes):
    """The quoted datagram is the probe as sent, apart from what the OS changes."""
    from scapy.layers.inet import ICMP, IP
    icmp = ans[ICMP]
    assert (icmp.type, icmp.code) == (3, 3), ans.summary()
    quoted = bytes(icmp.payload)
    sent = bytes(probe[IP])[: probe[IP].len]
    assert len(quoted) == min(quote_len, len(sent)), \
        f"quoted {len(quoted)} bytes, expected {min(quote_len, len(sent))}"
    want = bytearray(sent[: len(quoted)])
    got = bytearray(quoted)
    ihl = (want[0] & 0xF) * 4
    if "ip.id" in changes:
        want[4:6] = changes["ip.id"].to_bytes(2, "big")
    if changes.get("ip.chksum") == "bad":
        assert not _ip_cksum_ok(bytes(got[:ihl])), "quoted IP checksum expected broken"
        want[10:12] = got[10:12]
    if "udp.chksum" in changes:
        want[ihl + 6:ihl + 8] = changes["udp.chksum"].to_bytes(2, "big")
    diffs = [i for i in range(len(want)) if want[i] != got[i]]
    assert not diffs, (f"quoted datagram differs at bytes {diffs[:16]}:\n sent   {bytes(want[:ihl + 8]).hex()}"
                       f"\n quoted {bytes(got[:ihl + 8]).hex()}")
    ip = ans[IP]
    if changes.get("ip.chksum") != "bad":
        assert _ip_cksum_ok(bytes(got[:ihl])), "quoted IP checksum broken"
    return {"ttl": ip.ttl, "df": "DF" in str(ip.flags), "tos": ip.tos,
            "ip_id": "zero" if ip.id == 0 else "non-zero", "len": ip.len, "unused": bytes(icmp)[4:8].hex(), "quoted": len(quoted)}


@pytest.mark.parametrize("profile", list(EXPECT))
def test_icmp_per_profile(lab, profile):
    echoes, echo_ttl, u_ttl, quote, changes = EXPECT[profile]
    with lab.responder("--rules", _rules(lab, profile)) as resp:
        pkts, pr, ttls, sport = _exchange(lab, RESP_IP)
        ready = [ln for ln in resp.err_lines if ln.startswith("rstcraft: ready")]
    assert ready and f"profile {profile} " in ready[0], ready

    replies = _echo_fields(pkts, RESP_IP)
    if echoes:
        assert pr.returncode == 0 and len(ttls) == 3, pr.stdout + pr.stderr
        assert set(ttls) == {echo_ttl}, f"ping TTLs {ttls}, expected {echo_ttl}"
        assert len(replies) == 3, replies
    else:
        assert ttls == [] and replies == [], f"{profile} must not answer ping: {pr.stdout}"

    probe, ans = _unreach(pkts, RESP_IP, sport, UDP_CLOSED)
    assert len(ans) == 1, f"expected one port unreachable, got {len(ans)}"
    u = _check_unreach(probe, ans[0], quote, changes)
    assert u["ttl"] == u_ttl, u

    _, silent = _unreach(pkts, RESP_IP, sport, UDP_SILENT)
    assert silent == [], f"port {UDP_SILENT} is silent, yet: {[p.summary() for p in silent]}"

    if profile == "linux":
        kpkts, kpr, kttls, ksport = _exchange(lab, KERNEL_IP)
        kreplies = _echo_fields(kpkts, KERNEL_IP)
        assert kttls == ttls, (kttls, ttls)
        assert [dict(r) for r in kreplies] == [dict(r) for r in replies], \
            f"echo replies: kernel {kreplies} responder {replies}"
        kprobe, kans = _unreach(kpkts, KERNEL_IP, ksport, UDP_CLOSED)
        assert len(kans) == 1
        ku = _check_unreach(kprobe, kans[0], quote, {})
        print(f"\nlinux: echo {replies[0]} | unreach {u}\nkernel: echo {kreplies[0]} | unreach {ku}")
        assert ku == u, f"port unreachable: kernel {ku} responder {u}"
