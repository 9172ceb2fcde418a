"""Modes that speak (--reply): real clients (curl, Python's http.client and sockets) against
the responder, every reply byte checked on the wire with scapy. What a client sees when the
response is followed by RST, cut by RST, paced below its timeout, or sent on a keep-alive
connection the server forgot is measured here, not assumed (README, "Replies")."""
import contextlib
import json

import pytest

from lab import CLIENT_IP, RESP_IP, checksums_ok, flags, summary, tcp_pkts

PY = "/usr/bin/python3"


def http_body(size):
    """The body --reply http --reply-size N sends (reply_spec.c): 64-byte lines, a..z."""
    return bytes(10 if i % 64 == 63 else ord("a") + (i // 64) % 26 for i in range(size))


def http_reply(size, keep_alive=False):
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
    return head + http_body(size)


def curl(lab, *args, max_time=5):
    """curl in the client namespace: (exit code, bytes of body received, local port, body)."""
    out = lab.tmp / "curl.body"
    r = lab.run("c", ["curl", "-s", "-o", out, "--max-time", max_time, "-w",
                      "%{size_download} %{local_port}", *args, f"http://{RESP_IP}/"],
                timeout=max_time + 10)
    size, port = r.stdout.split()
    return r.returncode, int(size), int(port), out.read_bytes() if out.exists() else b""


def python(lab, code, *args):
    """A Python client in the client namespace; its last line is JSON."""
    r = lab.run("c", [PY, "-c", code, RESP_IP, *args], timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def server_data(pkts, cport):
    """The responder's segments to the client's port, and the byte stream they carry
    (each sequence number once, retransmissions checked against the first copy)."""
    from scapy.layers.inet import TCP
    segs = tcp_pkts(pkts, src=RESP_IP, dst=CLIENT_IP, sport=80, dport=cport)
    assert segs, "no segment from the responder\n" + summary(pkts)
    for p in segs:
        assert checksums_ok(p), "bad checksum\n" + summary([p])
    isn = next(p for p in segs if flags(p) == "SA")[TCP].seq
    got = {}
    for p in segs:
        data = bytes(p[TCP].payload)
        off = (p[TCP].seq - isn - 1) & 0xFFFFFFFF
        if data:
            if off in got:
                assert got[off] == data, f"retransmission at {off} differs"
            got[off] = data
    stream, pos = b"", 0
    for off in sorted(got):
        assert off == pos, f"hole at {pos} (next segment at {off})\n" + summary(segs)
        stream += got[off]
        pos += len(got[off])
    return segs, isn, stream


HTTP_CLIENT = """
import http.client, json, sys
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
c.request("GET", "/")
r = c.getresponse()
body = r.read()
print(json.dumps({"status": r.status, "len": len(body), "body": body.decode()}))
"""

RAW_CLIENT = """
import json, socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=5)
s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
time.sleep(float(sys.argv[2]))
got, err = b"", None
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError as e:
    err = e.__class__.__name__
print(json.dumps({"recv": len(got), "err": err, "sport": s.getsockname()[1]}))
"""

KEEPALIVE_CLIENT = """
import http.client, json, socket, sys, time
c = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
c.request("GET", "/")
r = c.getresponse()
out = {"first": [r.status, len(r.read())], "sport": c.sock.getsockname()[1]}
time.sleep(float(sys.argv[2]))
try:
    c.request("GET", "/again")
    r = c.getresponse()
    out["second"] = [r.status, len(r.read())]
except OSError as e:
    out["error"] = e.__class__.__name__
print(json.dumps(out))
"""


def test_open_reply_http(lab):
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http",
                          "--reply-size", "3000") as resp:
        rc, size, port, body = curl(lab)
        py = python(lab, HTTP_CLIENT)
        resp.wait_event("peer-close", sport=port)
    assert rc == 0 and size == 3000 and body == http_body(3000), (rc, size)
    assert py["status"] == 200 and py["body"].encode() == http_body(3000), py
    segs, _, stream = server_data(cap.packets, port)
    assert stream == http_reply(3000)
    assert not [p for p in segs if "R" in flags(p)], summary(segs)
    assert resp.select("reply", sport=port), resp.events


def test_reply_string_and_file_rules(lab):
    data = bytes(range(256)) * 20
    (lab.tmp / "reply.bin").write_bytes(data)
    rules = lab.tmp / "reply.rules"
    rules.write_text(f"* 80 after-close reply=@{lab.tmp / 'reply.bin'}\n"
                     "* 81 unread read=100000 reply=hello\\sworld\\r\\n\n")
    with lab.capture("r", "r0", "tcp") as cap, lab.responder("--rules", rules):
        raw = python(lab, RAW_CLIENT, "0")
        r81 = lab.run("c", ["sh", "-c", f"printf 'x\\n' | nc -w 2 {RESP_IP} 81"], text=False)
    assert raw["recv"] == len(data) and raw["err"] is None, raw
    _, _, stream = server_data(cap.packets, raw["sport"])
    assert stream == data
    assert r81.stdout == b"hello world\r\n", r81


def test_unread_reply_then_rst(lab):
    """RFC 2525 2.17: the response is followed by RST|ACK at SND.NXT, the request having been
    read only in part. Measured on Linux 6.x: the client still reads the whole response from
    its receive queue, then recv() fails with ECONNRESET; curl (Content-Length) exits 0."""
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "unread", "--read", "10", "--reply", "http",
                          "--reply-size", "1000") as resp:
        rc, size, port, body = curl(lab)
        raw = python(lab, RAW_CLIENT, "0.3")
        resp.wait_event("unread-reset", sport=raw["sport"])
    assert rc == 0 and size == 1000 and body == http_body(1000), (rc, size)
    assert raw == {"recv": len(http_reply(1000)), "err": "ConnectionResetError",
                   "sport": raw["sport"]}, raw
    from scapy.layers.inet import TCP
    for cport in (port, raw["sport"]):
        segs, isn, stream = server_data(cap.packets, cport)
        assert stream == http_reply(1000)
        rst = [p for p in segs if flags(p) == "RA"]
        assert len(rst) == 1, summary(segs)
        assert rst[0][TCP].seq == (isn + 1 + len(stream)) & 0xFFFFFFFF, summary(segs)
        req = [p for p in tcp_pkts(cap.packets, src=CLIENT_IP, sport=cport, dport=80)
               if len(p[TCP].payload)]
        assert rst[0][TCP].ack == (req[-1][TCP].seq + len(req[-1][TCP].payload)) & 0xFFFFFFFF
        assert not [p for p in segs if "F" in flags(p)], summary(segs)


def test_reset_after(lab):
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http", "--reply-size",
                          "100000", "--reset-after", "50000") as resp:
        rc, size, port, body = curl(lab)
        resp.wait_event("reply-reset", sport=port)
    head = len(http_reply(0))
    assert rc == 56 and size <= 50000 - head, (rc, size)
    assert body == http_body(100000)[:size]
    from scapy.layers.inet import TCP
    segs, isn, stream = server_data(cap.packets, port)
    assert stream == http_reply(100000)[:50000]
    rst = [p for p in segs if flags(p) == "RA"]
    assert len(rst) == 1 and rst[0][TCP].seq == (isn + 1 + 50000) & 0xFFFFFFFF, summary(segs)


def test_reply_rate_beats_read_timeout(lab):
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http", "--reply-size",
                          "5000", "--reply-rate", "1000"):
        rc, size, port, _ = curl(lab, max_time=2)
    assert rc == 28 and size < 5000, (rc, size)
    segs, _, stream = server_data(cap.packets, port)
    data = [p for p in segs if len(p.payload.payload.payload)]
    assert all(len(p.payload.payload.payload) <= 100 for p in data), summary(segs)
    assert stream == http_reply(5000)[:len(stream)]


def test_reply_delay_and_segments(lab):
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http", "--reply-size",
                          "2000", "--reply-segments", "4", "--reply-delay", "300"):
        rc, size, port, _ = curl(lab)
    assert rc == 0 and size == 2000, (rc, size)
    from scapy.layers.inet import TCP
    segs, _, stream = server_data(cap.packets, port)
    assert stream == http_reply(2000)
    data = [p for p in segs if len(p[TCP].payload)]
    n = len(http_reply(2000))
    assert [len(p[TCP].payload) for p in data] == [(n + 3) // 4] * 3 + [n - 3 * ((n + 3) // 4)]
    req = [p for p in tcp_pkts(cap.packets, src=CLIENT_IP, sport=port) if len(p[TCP].payload)]
    # the delay runs from the time the responder read the request, which is after the
    # capture stamped it: never early
    assert float(data[0].time) - float(req[0].time) >= 0.300


def test_idle_close_stale_connection(lab):
    with lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http", "--reply-size",
                          "100", "--idle-close", "1") as resp:
        out = python(lab, KEEPALIVE_CLIENT, "2")
        resp.wait_event("stale-connection", sport=out["sport"])
    assert out["first"] == [200, 100] and out["error"] == "ConnectionResetError", out
    assert resp.select("idle-forget", sport=out["sport"]), resp.events
    from scapy.layers.inet import TCP
    segs, _, stream = server_data(cap.packets, out["sport"])
    assert stream == http_reply(100, keep_alive=True)
    # nothing when it forgot; the RST answers the second request, at its ACK number
    assert [flags(p) for p in segs if "R" in flags(p) or "F" in flags(p)] == ["R"], summary(segs)
    rst = [p for p in segs if flags(p) == "R"][0]
    req = [p for p in tcp_pkts(cap.packets, src=CLIENT_IP, sport=out["sport"])
           if len(p[TCP].payload)]
    assert len(req) >= 2 and float(req[1].time) <= float(rst.time), summary(segs)
    assert rst[TCP].seq == req[1][TCP].ack
    # a client that comes back in time reuses the connection
    with lab.responder("-p", "80", "--mode", "open", "--reply", "http", "--reply-size",
                       "100", "--idle-close", "1"):
        out = python(lab, KEEPALIVE_CLIENT, "0.3")
    assert out["first"] == [200, 100] and out["second"] == [200, 100], out


@contextlib.contextmanager
def drop_first_data(lab, nbytes):
    """The client's firewall drops the responder's first data segments (about nbytes)."""
    lab.run("c", ["nft", "add table inet rcloss; add chain inet rcloss in "
                  "{ type filter hook input priority 0; }; add rule inet rcloss in ip saddr "
                  f"{RESP_IP} tcp sport 80 meta length > 200 quota until {nbytes} bytes drop"],
            check=True)
    try:
        yield
    finally:
        lab.run("c", ["nft", "delete table inet rcloss"])


def test_reply_survives_loss(lab):
    with drop_first_data(lab, 3000), lab.capture("r", "r0", "tcp port 80") as cap, \
            lab.responder("-p", "80", "--mode", "open", "--reply", "http",
                          "--reply-size", "20000"):
        rc, size, port, body = curl(lab)
    assert rc == 0 and body == http_body(20000), (rc, size)
    from scapy.layers.inet import TCP
    segs, isn, stream = server_data(cap.packets, port)
    assert stream == http_reply(20000)
    first = [p for p in segs if (p[TCP].seq - isn - 1) & 0xFFFFFFFF == 0 and len(p[TCP].payload)]
    assert len(first) >= 2, "the first segment was not sent again\n" + summary(segs)
    gap = float(first[1].time) - float(first[0].time)
    assert 0.19 <= gap < 1.5, gap   # RTT + tcp_rto_min, not sooner


@pytest.mark.parametrize("args,msg", [
    (["--reply", "a\\q"], "--reply: bad escape"),
    (["--reply", "@/nonexistent"], "--reply: /nonexistent: No such file"),
    (["--reply", "@/dev/zero"], "expected a regular file"),
    (["--reply", "x", "--reply", "y"], "given twice"),
    (["--reply-rate", "0"], "--reply-rate: expected bytes a second"),
    (["--reply-size", "5"], "reply-size is the body of --reply http"),
    (["--reset-after", "5"], "give --reply (reply=) too"),
    (["--echo", "--reply", "x"], "echo and reply both write"),
])
def test_reply_bad_options(lab, args, msg):
    r = lab.run("r", ["./rstcraft", "-i", "r0", "-a", RESP_IP, *args])
    assert r.returncode == 2 and msg in r.stderr and r.stderr.count("\n") == 1, r
