#!/usr/bin/python3
"""The router's wire for the explain corpus: a userspace forwarder between two interfaces
of the router namespace (cl, facing the client; x0, whose veth peer x1 is the router's own
client-side address), because this machine's kernel has no sch_netem. It copies frames
both ways and can drop (loss), hold one back behind the next (reordering), delay the
server's SYN-ACKs on chosen ports, and forge resets toward the client the way on-path
devices do. Every forged packet is logged (JSON lines) with the label its making gives it:
that log, not explain, is the ground truth for forged resets.

    fwd.py CONFIG_JSON        (prints "ready" once both sockets are bound)
"""
import heapq
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3
PACKET_OUTGOING = 4


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse(fr):
    """The TCP segment of an IPv4 or IPv6 frame (IPv6: TCP right after the fixed header, as
    the lab's stacks send it) as a dict, or None."""
    if len(fr) >= 54 and fr[12:14] == b"\x08\x00" and fr[23] == 6:
        ihl = (fr[14] & 15) * 4
        iplen = struct.unpack("!H", fr[16:18])[0] - ihl
        t, fam, a = 14 + ihl, socket.AF_INET, (fr[26:30], fr[30:34])
    elif len(fr) >= 74 and fr[12:14] == b"\x86\xdd" and fr[20] == 6:
        iplen = struct.unpack("!H", fr[18:20])[0]
        t, fam, a = 54, socket.AF_INET6, (fr[22:38], fr[38:54])
    else:
        return None
    if len(fr) < t + 20:
        return None
    sport, dport, seq, ack = struct.unpack("!HHII", fr[t:t + 12])
    doff = (fr[t + 12] >> 4) * 4
    return dict(src=socket.inet_ntop(fam, a[0]), dst=socket.inet_ntop(fam, a[1]), sport=sport,
                dport=dport, seq=seq, ack=ack, flags=fr[t + 13], plen=iplen - doff,
                win=struct.unpack("!H", fr[t + 14:t + 16])[0], v6=fam == socket.AF_INET6)


def forge_rst(tmpl, p, seq, ack, flags, ttl, df, win, copy_label=False):
    """An RST toward the client claiming to come from the server, in the frame of a real
    server->client segment (same MACs, same addresses). Over IPv6, ttl is the hop limit,
    there is no DF, and the flow label is 0 unless copy_label takes the real segment's."""
    fam = socket.AF_INET6 if p["v6"] else socket.AF_INET
    src, dst = socket.inet_pton(fam, p["src"]), socket.inet_pton(fam, p["dst"])
    tcp = struct.pack("!HHIIBBHHH", p["sport"], p["dport"], seq, ack, 5 << 4, flags, win, 0, 0)
    if p["v6"]:
        pseudo = src + dst + struct.pack("!I3xB", len(tcp), 6)
    else:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    if p["v6"]:
        label = struct.unpack("!I", tmpl[14:18])[0] & 0xFFFFF if copy_label else 0
        ip = struct.pack("!IHBB16s16s", 6 << 28 | label, len(tcp), 6, ttl, src, dst)
        return tmpl[:14] + ip + tcp
    ipid = random.randrange(1, 65536)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0x4000 if df else 0, ttl, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return tmpl[:14] + ip + tcp


class Fwd:
    def __init__(self, cfg):
        self.cfg = cfg
        self.rng = random.Random(cfg.get("seed", 1))
        random.seed(cfg.get("seed", 1) + 1)
        self.socks = {}
        for name in (cfg["client_if"], cfg["server_if"]):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            s.bind((name, 0))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            self.socks[name] = s
        self.peer = {cfg["client_if"]: cfg["server_if"], cfg["server_if"]: cfg["client_if"]}
        self.timers = []                     # (due, n, ifname, frame)
        self.n = 0
        self.held = {}                       # ifname -> (due, frame): one frame held back
        self.done = set()                    # flows already injected into
        self.log = open(cfg["log"], "a")
        self.delay = {int(k): v for k, v in cfg.get("delay_synack", {}).items()}
        self.inject = {int(k): v for k, v in cfg.get("inject", {}).items()}

    def send(self, ifname, fr):
        try:
            self.socks[ifname].send(fr)
        except OSError:
            pass

    def later(self, delay_s, ifname, fr):
        self.n += 1
        heapq.heappush(self.timers, (time.monotonic() + delay_s, self.n, ifname, fr))

    def out(self, ifname, fr, p):
        """Send with the configured loss and reordering (TCP only)."""
        if p is not None:
            if self.rng.random() < self.cfg.get("loss", 0):
                return
            h = self.held.pop(ifname, None)
            if h is None and self.rng.random() < self.cfg.get("reorder", 0):
                self.held[ifname] = (time.monotonic() + 0.005, fr)
                return
            self.send(ifname, fr)
            if h is not None:
                self.send(ifname, h[1])
            return
        self.send(ifname, fr)

    def forge(self, fr, p, kind):
        key = (p["src"], p["sport"], p["dst"], p["dport"])
        if key in self.done:
            return
        self.done.add(key)
        x = (p["seq"] + p["plen"]) & 0xFFFFFFFF
        plan = []
        copy_label = kind == "mimic"         # the careful forger copies the server's flow label too
        if kind == "exact":
            plan = [(x, 0x14, 64, False, 29200, "injected")]
        elif kind == "burst":
            plan = [((x + d) & 0xFFFFFFFF, 0x04, self.rng.randrange(40, 51), False, 16384, "injected")
                    for d in (0, 1460, 4380)]
        elif kind == "mimic":
            plan = [(x, 0x14, self.cfg.get("server_ttl", 63), False, 502, "injected")]
        elif kind == "challenge":
            # in the window but off every segment boundary: no stack would send it
            plan = [((x + 777) & 0xFFFFFFFF, 0x04, 64, True, 0, "challenge-ack")]
        for seq, flags, ttl, df, win, label in plan:
            rst = forge_rst(fr, p, seq, p["ack"] if flags & 0x10 else 0, flags, ttl, df, win, copy_label)
            self.send(self.cfg["client_if"], rst)
            self.log.write(json.dumps(dict(src=p["src"], sport=p["sport"], dst=p["dst"],
                                           dport=p["dport"], seq=seq, flags=flags,
                                           label=label, t=time.time())) + "\n")
            self.log.flush()

    def frame(self, ifname, fr):
        to = self.peer[ifname]
        p = parse(fr)
        from_server = ifname == self.cfg["server_if"]
        if p and from_server and (p["flags"] & 0x12) == 0x12 and p["sport"] in self.delay:
            self.later(self.delay[p["sport"]] / 1000.0, to, fr)
            return
        self.out(to, fr, p)
        if p and from_server and p["plen"] > 0 and p["sport"] in self.inject:
            self.forge(fr, p, self.inject[p["sport"]])

    def run(self):
        print("ready", flush=True)
        fds = {s.fileno(): name for name, s in self.socks.items()}
        while True:
            now = time.monotonic()
            while self.timers and self.timers[0][0] <= now:
                _, _, ifn, fr = heapq.heappop(self.timers)
                self.send(ifn, fr)
            for ifn, (due, fr) in list(self.held.items()):
                if due <= now:
                    del self.held[ifn]
                    self.send(ifn, fr)
            wait = 0.002 if self.held else 0.05
            if self.timers:
                wait = min(wait, max(0.0, self.timers[0][0] - now))
            r, _, _ = select.select(list(fds), [], [], wait)
            for fd in r:
                name = fds[fd]
                try:
                    fr, addr = self.socks[name].recvfrom(65535)
                except OSError:
                    continue
                if addr[2] == PACKET_OUTGOING:
                    continue
                self.frame(name, fr)


if __name__ == "__main__":
    Fwd(json.loads(sys.argv[1])).run()
