#!/usr/bin/python3
"""The real peers of the explain corpus: ordinary Linux sockets doing what makes each kind
of reset. `actor.py server` runs every listening behaviour (one port each) in the server
namespace; `actor.py client PORT [N]` plays the client side of one case in the client
namespace and prints one JSON line with what its application saw. The port says the case;
the labels in corpus.py come from this table, never from explain.

    9000 normal      echo, then FIN both ways
    9001 closed      no listener                               -> closed-port
    9002 drop        nftables drop on the server               -> no-answer
    9003 late        the router delays SYN-ACKs 300 ms, client waits 100 ms -> client-abort
    9004 unread      reads 100 of 5000 bytes, closes           -> abortive-close
    9005 linger0     SO_LINGER 0 close                         -> abortive-close
    9006 killed      ss -K on the live socket                  -> abortive-close
    9007 afterclose  reads once, FIN; client writes again      -> data-after-close
    9008 backlog     listen(2), never accepts, tcp_abort_on_overflow=1 -> backlog-overflow
    9009 stale       ss -K with its RST dropped, client writes -> stale-connection
    9010 keepalive   client keepalive, server blackholed       -> keepalive-timeout
    9011 reject      router: nftables reject with tcp reset    -> firewall-reject
    9012-9014 inject the router forges RSTs to the client      -> injected (+ client's stale RSTs)
    9015 challenge   the router forges an in-window inexact RST -> challenge-ack
    9016 clinger0    the client closes with SO_LINGER 0        -> abortive-close (client)
    9017 reject-data router: reject with tcp reset for a large segment -> firewall-reject
    9018 icmp-port   server: nftables `reject` (ICMP port unreachable) -> icmp-reject (server)
    9019 icmp-admin  router: reject with icmpx admin-prohibited     -> icmp-reject (on-path)
"""
import errno
import json
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

# corpus.py's lab says where (IPv4 or IPv6); these defaults are its IPv4 addresses
SERVER = os.environ.get("XP_SERVER", "198.18.2.2")
CLIENT = os.environ.get("XP_CLIENT", "198.18.1.2")
FAMILY = socket.AF_INET6 if ":" in SERVER else socket.AF_INET


def nft(cmd):
    subprocess.run(["nft", cmd], check=True)


def kill_sock(port):
    subprocess.run(["ss", "-K", "-t", "state", "established", f"( sport = :{port} )"],
                   stdout=subprocess.DEVNULL, check=False)


def serve(port, handler, backlog=64):
    s = socket.socket(FAMILY)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((SERVER, port))
    s.listen(backlog)
    if handler is None:
        return s                                 # backlog case: never accept

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=guard, args=(handler, c, port), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return s


def guard(handler, c, port):
    try:
        handler(c, port)
    except OSError:
        pass


def recv_all(c, limit=1 << 20):
    got = b""
    while len(got) < limit:
        b = c.recv(65536)
        if not b:
            break
        got += b
    return got


def h_echo(c, port):
    data = recv_all(c)
    c.sendall(data)
    c.close()


def h_unread(c, port):
    time.sleep(0.3)
    c.recv(100)
    c.close()


def h_linger0(c, port):
    c.sendall(b"hello\n")
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def h_killed(c, port):
    c.sendall(b"hello\n")
    time.sleep(0.3)
    kill_sock(port)
    time.sleep(0.5)
    c.close()


def h_afterclose(c, port):
    c.recv(4096)
    c.close()


_stale_lock = threading.Lock()


def h_stale(c, port):
    c.sendall(b"hello\n")
    time.sleep(0.3)
    with _stale_lock:                            # the state is lost without a word on the wire
        nft(f"add table inet xstale; add chain inet xstale out {{ type filter hook output priority 0; }}; "
            f"add rule inet xstale out tcp sport {port} tcp flags rst drop")
        kill_sock(port)
        time.sleep(0.05)
        nft("delete table inet xstale")
    c.close()


_ka_lock = threading.Lock()


def h_keepalive(c, port):
    c.sendall(b"hello\n")
    time.sleep(0.3)
    with _ka_lock:
        # Blackhole this connection on the server: the client's probes get no answer.
        cport = c.getpeername()[1]
        nft("add table inet xka; add chain inet xka in { type filter hook input priority 0; }; "
            "add chain inet xka out { type filter hook output priority 0; }")
        nft(f"add rule inet xka in tcp sport {cport} tcp dport {port} drop; "
            f"add rule inet xka out tcp sport {port} tcp dport {cport} drop")
    time.sleep(30)


def h_chunks(c, port):
    """Five 1000-byte chunks 100 ms apart (the injection cases), then close."""
    for _ in range(5):
        c.sendall(b"x" * 1000)
        time.sleep(0.1)
    c.close()


def h_challenge(c, port):
    c.sendall(b"a" * 1000)
    time.sleep(0.7)
    c.sendall(b"b" * 1000)
    c.close()


SERVERS = {9000: h_echo, 9003: h_echo, 9004: h_unread, 9005: h_linger0, 9006: h_killed,
           9007: h_afterclose, 9008: None, 9009: h_stale, 9010: h_keepalive, 9011: h_echo,
           9012: h_chunks, 9013: h_chunks, 9014: h_chunks, 9015: h_challenge, 9016: h_echo,
           9017: h_echo, 9018: h_echo, 9019: h_echo}


def server():
    keep = []
    for port, h in SERVERS.items():
        keep.append(serve(port, h, backlog=2 if port == 9008 else 64))
    print("ready", flush=True)
    while True:
        time.sleep(3600)


# ---- client side ----

def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if isinstance(e, OSError) and e.errno else type(e).__name__


def connect(port, timeout=3.0):
    s = socket.socket(FAMILY)
    s.settimeout(timeout)
    s.connect((SERVER, port))
    return s


def outcome(fn):
    try:
        r = fn()
        return {"ok": True, **(r or {})}
    except OSError as e:
        return {"ok": False, "errno": err_name(e)}


def c_normal(port):
    s = connect(port)
    s.sendall(b"ping " * 200)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    return {"echo": len(got)}


def c_connect_only(port, timeout=2.5):
    s = connect(port, timeout)
    s.close()


def c_late(port):
    s = socket.socket(FAMILY)
    s.setblocking(False)
    try:
        s.connect((SERVER, port))
    except BlockingIOError:
        pass
    select.select([], [s], [], 0.1)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    s.close()                                    # gave up still in SYN_SENT
    time.sleep(0.6)
    return {"so_error": e}


def c_send_recv(port, n=5000):
    s = connect(port)
    s.sendall(b"d" * n)
    time.sleep(0.6)
    try:
        s.sendall(b"e" * 10)
        s.recv(100)
        s.recv(100)
    finally:
        s.close()


def c_hello_wait(port, wait=1.5):
    s = connect(port)
    s.recv(100)
    s.sendall(b"hi")
    time.sleep(wait)
    try:
        s.sendall(b"more")
        time.sleep(0.2)
        s.recv(100)
    finally:
        s.close()


def c_afterclose(port):
    s = connect(port)
    s.sendall(b"a" * 4096)
    time.sleep(0.3)
    try:
        s.sendall(b"b" * 4096)
        time.sleep(0.3)
        s.recv(100)
        s.sendall(b"c" * 10)
    finally:
        s.close()


def c_backlog(port, n=3):
    """Linux drops a SYN when the accept queue is full and keeps at most `backlog` request
    sockets, so an overflow needs two handshakes that start while the queue has room and
    end when it has none: fill it to backlog (2), then connect at once (SYN-ACKs held)."""
    res = []
    hold = [connect(port), connect(port)]

    def one():
        res.append(outcome(lambda: c_send_recv(port, 100)))
    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for h in hold:
        h.close()
    return {"each": res}


def c_stale(port):
    s = connect(port)
    s.recv(100)
    time.sleep(0.8)
    try:
        s.sendall(b"after the server lost us")
        time.sleep(0.3)
        s.recv(100)
    finally:
        s.close()


def c_keepalive(port):
    s = connect(port, timeout=None)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
    s.recv(100)
    s.settimeout(10)
    try:
        s.recv(100)
    finally:
        s.close()


def c_read_all(port):
    s = connect(port)
    try:
        got = recv_all(s)
    finally:
        s.close()
    return {"got": len(got)}


def c_linger0(port):
    s = connect(port)
    s.sendall(b"q" * 300)
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def c_big_write(port):
    s = connect(port)
    try:
        s.sendall(b"w" * 1000)
        s.recv(100)
    finally:
        s.close()


CLIENTS = {9000: c_normal, 9001: c_connect_only, 9002: c_connect_only, 9003: c_late,
           9004: c_send_recv, 9005: c_send_recv, 9006: c_hello_wait, 9007: c_afterclose,
           9008: c_backlog, 9009: c_stale, 9010: c_keepalive, 9011: c_connect_only,
           9012: c_read_all, 9013: c_read_all, 9014: c_read_all, 9015: c_read_all,
           9016: c_linger0, 9017: c_big_write, 9018: c_connect_only, 9019: c_connect_only}


def client(port):
    print(json.dumps({"port": port, **outcome(lambda: CLIENTS[port](port))}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server()
    else:
        client(int(sys.argv[2]))
