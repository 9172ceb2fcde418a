#!/usr/bin/python3
"""Ground truth for `rstcraft explain`: every reset cause played by real Linux kernels in a
three-namespace lab, captured, labelled from how each reset was made, and scored.

    client ns  c0 198.18.1.2/24 ----- cl [router ns: fwd.py] x0 -- x1 198.18.1.1/24
                                                     kernel forwarding + nftables
    server ns  s0 198.18.2.2/24 ----------------------------------- sr 198.18.2.1/24

Over IPv6 (--family 6) the same lab carries 2001:2:0:1::2/64 (client), 2001:2:0:1::1 and
2001:2:0:2::1 (router), 2001:2:0:2::2/64 (server) instead, and nothing else: no link-local
addresses, no router advertisements; the same nftables rules (inet tables) and peers.

The router forwards with its kernel (nftables `reject with tcp reset` for 9011) behind a
userspace wire (fwd.py: loss, reordering, late SYN-ACKs, forged resets). Captures are taken
on the client's c0 and on the server's s0. Labels: a reset's cause comes from the case its
server port plays (actor.py's table) and from which end sent it; forged resets from fwd.py's
log. Nothing here reads explain's output except score().

    corpus.py make OUTDIR [--lossy] [--rounds N] [--seed N] [--family 4|6]
                                                  build the lab, play, write
                                                  OUTDIR/{client,server}.pcap, labels.json
    corpus.py score OUTDIR [RSTCRAFT]             run explain over both captures, print accuracy
"""
import atexit
import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PY = "/usr/bin/python3"
SERVER, CLIENT = "198.18.2.2", "198.18.1.2"
# family -> addresses: client, router's client side, router's server side, server; prefix length
NETS = {
    4: dict(client=CLIENT, rc="198.18.1.1", rs="198.18.2.1", server=SERVER, plen=24),
    6: dict(client="2001:2:0:1::2", rc="2001:2:0:1::1", rs="2001:2:0:2::1", server="2001:2:0:2::2",
            plen=64),
}


def ep(addr, port):
    """An endpoint as explain prints it: 198.18.2.2:80, [2001:2:0:2::2]:80."""
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"

# (server port, which end sent it) -> cause, for resets made by the kernels.
KERNEL_RULES = {
    (9001, "server"): "closed-port",
    (9003, "client"): "client-abort",
    (9004, "server"): "abortive-close",
    (9005, "server"): "abortive-close",
    (9006, "server"): "abortive-close",
    (9007, "server"): "data-after-close",
    (9008, "server"): "backlog-overflow",
    (9009, "server"): "stale-connection",
    (9010, "client"): "keepalive-timeout",
    (9011, "server"): "firewall-reject",     # made by the router's nftables, in the server's name
    (9017, "server"): "firewall-reject",     # the same, for the first large data segment
    (9017, "client"): "stale-connection",    # the client's socket is gone: a late SYN-ACK
    (9012, "client"): "stale-connection",    # the client lost its socket to the forged RST
    (9013, "client"): "stale-connection",
    (9014, "client"): "stale-connection",
    (9016, "client"): "abortive-close",
    # the client's socket died of the server's abortive RST; a late segment of the server
    # then finds no socket there
    (9004, "client"): "stale-connection",
    (9005, "client"): "stale-connection",
    (9006, "client"): "stale-connection",
    (9007, "client"): "stale-connection",    # its socket died of the server's RST; a late FIN
}
NO_ANSWER_PORTS = {9002}                     # flows here must end as no-answer
# server port -> who sent the ICMP error that refused the SYN (nftables reject rules)
ICMP_REJECT_PORTS = {9018: "server", 9019: "on-path"}
MAYBE_NO_ANSWER = {9008}                     # SYNs dropped while the accept queue is full
# 9008: SYN-ACKs held 50 ms so that all five SYNs pass while the accept queue is empty
# (Linux drops a SYN when the queue is already full); the third final ACK then overflows.
INJECT = {9012: "exact", 9013: "burst", 9014: "mimic", 9015: "challenge"}
PLAY = [9000, 9001, 9002, 9003, 9004, 9005, 9006, 9007, 9008, 9009, 9010, 9011, 9012, 9013,
        9014, 9015, 9016, 9017, 9018, 9019]


def sh(*argv, check=True, **kw):
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True, **kw)


class Lab:
    def __init__(self, lab_id, family=4):
        self.id = lab_id
        self.procs = []
        self.ns = {h: f"{lab_id}{h}" for h in ("c", "r", "s")}
        self.family = family
        self.net = NETS[family]
        # the peers (actor.py) take their addresses from here
        self.env = dict(os.environ, XP_SERVER=self.net["server"], XP_CLIENT=self.net["client"])

    def x(self, host, *argv, check=True):
        return sh("ip", "netns", "exec", self.ns[host], *argv, check=check, env=self.env)

    def popen(self, host, argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen(["ip", "netns", "exec", self.ns[host]] + [str(a) for a in argv],
                             text=True, env=self.env, **kw)
        self.procs.append(p)
        return p

    def up(self):
        self.down()
        for h, ns in self.ns.items():
            sh("ip", "netns", "add", ns)
            self.x(h, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                   "net.ipv6.conf.default.disable_ipv6=1")
            self.x(h, "ip", "link", "set", "lo", "up")
        c, r, s = self.ns["c"], self.ns["r"], self.ns["s"]
        self.x("c", "ip", "link", "add", "c0", "type", "veth", "peer", "name", "cl", "netns", r)
        self.x("r", "ip", "link", "add", "x0", "type", "veth", "peer", "name", "x1")
        self.x("s", "ip", "link", "add", "s0", "type", "veth", "peer", "name", "sr", "netns", r)
        for h, ifs in (("c", ["c0"]), ("r", ["cl", "x0", "x1", "sr"]), ("s", ["s0"])):
            for i in ifs:
                # Whole segments and full checksums on the wire, as a NIC would put them.
                self.x(h, "ethtool", "-K", i, "tso", "off", "gso", "off", "gro", "off", "tx", "off",
                       check=False)
                self.x(h, "ip", "link", "set", i, "up")
        for i in ("cl", "x0"):                   # the wire: no address, no ARP, sees everything
            self.x("r", "ip", "link", "set", i, "arp", "off", "promisc", "on")
        n, v6 = self.net, self.family == 6
        if v6:
            for h, ifs in (("c", ["c0"]), ("r", ["x1", "sr"]), ("s", ["s0"])):
                for i in ifs + ["lo"]:
                    self.x(h, "sysctl", "-qw", f"net.ipv6.conf.{i}.addr_gen_mode=1",
                           f"net.ipv6.conf.{i}.accept_ra=0", f"net.ipv6.conf.{i}.router_solicitations=0",
                           f"net.ipv6.conf.{i}.disable_ipv6=0")
        fam = ["-6"] if v6 else ["-4"]
        dad = ["nodad"] if v6 else []

        def addr(host, a, dev):
            self.x(host, "ip", *fam, "addr", "add", f"{a}/{n['plen']}", "dev", dev, *dad)

        def net_of(a):
            return str(ipaddress.ip_interface(f"{a}/{n['plen']}").network)
        addr("c", n["client"], "c0")
        self.x("c", "ip", *fam, "route", "add", net_of(n["server"]), "via", n["rc"])
        addr("r", n["rc"], "x1")
        addr("r", n["rs"], "sr")
        self.x("r", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1" if v6 else "net.ipv4.ip_forward=1")
        addr("s", n["server"], "s0")
        self.x("s", "ip", *fam, "route", "add", net_of(n["client"]), "via", n["rs"])
        if v6:
            # Linux solicits a neighbour for a packet it forwards (or a reject it makes in
            # another host's name) only from a link-local address, which this lab does not
            # have: the router knows both ends as permanent neighbours instead.
            for h, dev, a, rdev in (("c", "c0", n["client"], "x1"), ("s", "s0", n["server"], "sr")):
                mac = self.x(h, "cat", f"/sys/class/net/{dev}/address").stdout.strip()
                self.x("r", "ip", "-6", "neigh", "replace", a, "lladdr", mac, "dev", rdev, "nud", "permanent")
        self.x("s", "sysctl", "-qw", "net.ipv4.tcp_abort_on_overflow=1", "net.ipv4.tcp_syncookies=0")
        # 9002: the server's firewall drops; 9011: the router answers in the server's name;
    # 9017: the router resets the first large data segment of an established connection.
        # 9018: the server's own firewall rejects with an ICMP port unreachable (nftables'
        # default reject); 9019: the router rejects with an ICMP administratively prohibited.
        self.x("s", "nft", "add table inet xdrop; add chain inet xdrop in { type filter hook input priority 0; }; "
               "add rule inet xdrop in tcp dport 9002 drop; add rule inet xdrop in tcp dport 9018 reject")
        self.x("r", "nft", "add table inet xrej; add chain inet xrej fw { type filter hook forward priority 0; }; "
               "add rule inet xrej fw tcp dport 9011 reject with tcp reset; "
               "add rule inet xrej fw tcp dport 9017 meta length > 400 reject with tcp reset; "
               "add rule inet xrej fw tcp dport 9019 reject with icmpx type admin-prohibited")
        return self

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.procs = []
        for ns in self.ns.values():
            if os.path.exists(f"/run/netns/{ns}"):
                sh("ip", "netns", "del", ns, check=False)


def wait_line(p, want, timeout=10):
    t = time.time() + timeout
    while time.time() < t:
        ln = p.stdout.readline()
        if want in ln:
            return
        if not ln and p.poll() is not None:
            break
    raise RuntimeError(f"{p.args}: no '{want}' (stderr: {p.stderr.read()[:300]})")


@contextlib.contextmanager
def running(out, lossy=False, lab_id=None, seed=7, family=4):
    """The lab up, the router's wire and the servers running; yields the Lab. Down after."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lab = Lab(lab_id or f"xp{os.getpid()}", family)
    atexit.register(lab.down)
    try:
        lab.up()
        log = out / "forged.jsonl"
        log.write_text("")
        cfg = dict(client_if="cl", server_if="x0", loss=0.03 if lossy else 0,
                   reorder=0.03 if lossy else 0, seed=seed, delay_synack={"9003": 300, "9008": 50},
                   inject={str(k): v for k, v in INJECT.items()}, log=str(log), server_ttl=63)
        fwd = lab.popen("r", [PY, HERE / "fwd.py", json.dumps(cfg)])
        wait_line(fwd, "ready")
        srv = lab.popen("s", [PY, HERE / "actor.py", "server"])
        wait_line(srv, "ready")
        yield lab
    finally:
        lab.down()


def play(lab, port):
    """One client case; its JSON line."""
    return lab.x("c", PY, HERE / "actor.py", "client", port, check=False).stdout.strip()


def make(out, lossy=False, rounds=1, lab_id=None, seed=7, family=4):
    out = Path(out)
    with running(out, lossy, lab_id, seed, family) as lab:
        caps = []
        for h, i, name in (("c", "c0", "client.pcap"), ("s", "s0", "server.pcap")):
            caps.append(lab.popen(h, ["tcpdump", "-n", "-U", "-s", "256", "-i", i, "-w",
                                      out / name, "tcp or icmp or icmp6"]))
        time.sleep(1.0)
        results = []
        for _ in range(rounds):
            for port in PLAY:
                for _ in range(4 if port == 9000 else 1):
                    results.append(play(lab, port))
        time.sleep(2.5)
        for p in caps:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=10)
        (out / "clients.jsonl").write_text("\n".join(results) + "\n")
        labels = dict(kernel_rules={f"{p}/{s}": c for (p, s), c in KERNEL_RULES.items()},
                      no_answer_ports=sorted(NO_ANSWER_PORTS), lossy=lossy,
                      icmp_reject_ports={str(p): by for p, by in ICMP_REJECT_PORTS.items()},
                      server=lab.net["server"], client=lab.net["client"], family=family)
        (out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    return out


# ---- scoring: the capture read by scapy, labels from the rules and the forger's log ----

def l3(pkt):
    """The packet's IPv4 or IPv6 layer (with .src, .dst), or None."""
    from scapy.all import IP, IPv6
    return pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None


def icmp_refusal(pkt):
    """(client port, server port) of the TCP segment an ICMP or ICMPv6 destination
    unreachable quotes, or None."""
    from scapy.all import ICMP, ICMPv6DestUnreach, TCPerror
    if ICMP in pkt and int(pkt[ICMP].type) == 3 and TCPerror in pkt:
        return int(pkt[TCPerror].sport), int(pkt[TCPerror].dport)
    if ICMPv6DestUnreach in pkt and TCPerror in pkt:
        return int(pkt[TCPerror].sport), int(pkt[TCPerror].dport)
    return None


def _client_view(pcap, client, forged_keys):
    """In the client's own capture: {(client port, seq): time} of its bare RSTs, and
    {client port: time} of the first forged segment that reached it."""
    from scapy.all import TCP, PcapReader
    sent, reached = {}, {}
    if not Path(pcap).exists():
        return sent, reached
    for pkt in PcapReader(str(pcap)):
        ip = l3(pkt)
        if ip is None or TCP not in pkt:
            continue
        tcp, t = pkt[TCP], float(pkt.time)
        if ip.src == client and int(tcp.flags) & 0x14 == 0x04:
            sent.setdefault((int(tcp.sport), int(tcp.seq)), t)
        elif (ip.src, int(tcp.sport), ip.dst, int(tcp.dport), int(tcp.seq), int(tcp.flags) & 0xff) in forged_keys:
            reached.setdefault(int(tcp.dport), t)
    return sent, reached


def expected(pcap, forged, server=SERVER, client=CLIENT):
    """[(ts, src, dst, cause)] for every RST (and ICMP refusal) in pcap, plus the flows that
    must be no-answer. An ICMP refusal is written as explain reports it: from the server's
    endpoint it speaks for, to the client's."""
    from scapy.all import TCP, PcapReader
    forged_keys = {(f["src"], f["sport"], f["dst"], f["dport"], f["seq"], f["flags"]): f["label"]
                   for f in forged}
    # First pass: which ends aborted a live socket (RST|ACK with a window: the kernel's
    # tcp_send_active_reset, never sent for a socket that is gone).
    aborted = set()
    for pkt in PcapReader(str(pcap)):
        ip = l3(pkt)
        if ip and TCP in pkt and int(pkt[TCP].flags) & 0x14 == 0x14 and int(pkt[TCP].window):
            k = (ip.src, int(pkt[TCP].sport), ip.dst, int(pkt[TCP].dport),
                 int(pkt[TCP].seq), int(pkt[TCP].flags) & 0xff)
            if k not in forged_keys:
                aborted.add((ip.src, int(pkt[TCP].sport), ip.dst, int(pkt[TCP].dport)))
    # When the client's own resets left it, and when the first forged segment reached it
    # (its own capture: the order there is the order the client's kernel saw).
    sent_at, first_forged = _client_view(Path(pcap).with_name("client" + Path(pcap).suffix),
                                         client, forged_keys)
    rsts, flows, fins, refused, isn = [], {}, {}, set(), {}
    for pkt in PcapReader(str(pcap)):
        ip = l3(pkt)
        quoted = icmp_refusal(pkt) if ip is not None else None
        if quoted:                               # scapy's TCPerror is a TCP too: not a segment
            if quoted[1] in ICMP_REJECT_PORTS:
                refused.add(quoted)
                rsts.append((float(pkt.time), ep(server, quoted[1]), ep(client, quoted[0]), "icmp-reject"))
            continue
        if ip is None or TCP not in pkt:
            continue
        tcp = pkt[TCP]
        sport, dport = int(tcp.sport), int(tcp.dport)
        server_port = sport if ip.src == server else dport
        side = "server" if ip.src == server else "client"
        cport = dport if side == "server" else sport
        # one record per connection: a client SYN with a new ISN starts the next one on the
        # same ports (two rounds can reuse a client port, and an answered connection must not
        # hide the next one's unanswered SYNs, nor the other way round)
        if side == "client" and int(tcp.flags) & 0x12 == 0x02 and isn.get((cport, server_port)) != int(tcp.seq):
            isn[(cport, server_port)] = int(tcp.seq)
        fl = flows.setdefault((cport, server_port, isn.get((cport, server_port))),
                              {"client": 0, "server": 0, "syn": 0, "client_ack": 0})
        fkey = (cport, server_port)
        if int(tcp.flags) & 0x04:
            key = (ip.src, sport, ip.dst, dport, int(tcp.seq), int(tcp.flags) & 0xff)
            cause = forged_keys.get(key) or KERNEL_RULES.get((server_port, side), "UNPLANNED")
            # How the kernel makes it: a live socket aborting sends RST|ACK
            # (tcp_send_active_reset); once the socket is gone, a segment for it gets a bare
            # RST from tcp_v4_send_reset: the connection no longer exists there.
            bare = not int(tcp.flags) & 0x10
            # RST|ACK with a window is a live socket aborting (tcp_send_active_reset): e.g.
            # the 9007 server that closed while a segment it had not read was queued.
            if key not in forged_keys and not bare and int(tcp.window) > 0 and \
                    cause in ("data-after-close", "stale-connection", "backlog-overflow"):
                cause = "abortive-close"
            # A bare RST from an end whose socket is gone: after FINs both ways, or from an
            # end that aborted its socket (before or after this one, as reordering has it).
            if key not in forged_keys and bare and (
                    fins.get(fkey, set()) >= {"client", "server"} or cause == "abortive-close" or
                    (ip.src, sport, ip.dst, dport) in aborted):
                cause = "stale-connection"
            # 9012-9014: the client's socket dies of the forged RST, and its next bare RST
            # finds none; but a client that had closed (FIN) and gets the server's data
            # before any forged segment reached it resets for the data (data after close).
            t_sent = sent_at.get((sport, int(tcp.seq)))
            if key not in forged_keys and bare and side == "client" and server_port in INJECT and \
                    "client" in fins.get(fkey, set()) and t_sent is not None and \
                    t_sent < first_forged.get(sport, float("inf")):
                cause = "data-after-close"
            # A client kernel resets a SYN-ACK only when the application gave up on connect()
            # (here: a SYN lost three times outlasts a 3 s timeout on any port).
            if key not in forged_keys and bare and side == "client" and fl["server"] and \
                    not fl["client_ack"]:
                cause = "client-abort"
            rsts.append((float(pkt.time), ep(ip.src, sport), ep(ip.dst, dport), cause))
        else:
            fl[side] += 1
            if int(tcp.flags) & 0x01:
                fins.setdefault(fkey, set()).add(side)
            if side == "client" and int(tcp.flags) & 0x12 == 0x10:
                fl["client_ack"] += 1
            if int(tcp.flags) & 0x12 == 0x02:
                fl["syn"] += 1
    no_answer = {(ep(client, c), ep(server, p)) for (c, p, _), f in flows.items()
                 if p in NO_ANSWER_PORTS and f["syn"] and not f["server"]}
    maybe = {(ep(client, c), ep(server, p)) for (c, p, _), f in flows.items()
             if f["syn"] and not f["server"] and p not in NO_ANSWER_PORTS and (c, p) not in refused}
    # Normal connections: no finding at all, unless the network made the kernel reset a
    # late segment after the clean close (labelled stale-connection above).
    late = {r[1] for r in rsts} | {r[2] for r in rsts}
    normal = {ep(client, c) for (c, p, _), f in flows.items() if p == 9000} - late
    return rsts, no_answer, maybe, normal


def run_explain(rstcraft, pcap):
    r = subprocess.run([str(rstcraft), "explain", "--json", "-r", str(pcap)], capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"explain exit {r.returncode}: {r.stderr.strip()}")
    return [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]


def score(out, rstcraft=REPO / "rstcraft", pcaps=("client.pcap", "server.pcap"), found_by=None):
    """{'per_cause': {cause: [right, total]}, 'wrong': [...], 'extra': [...]} over the captures.
    found_by: {pcap name: findings} already made (explain -i on the same wire); else explain
    reads each capture."""
    out = Path(out)
    forged = [json.loads(ln) for ln in (out / "forged.jsonl").read_text().splitlines() if ln.strip()]
    # make() says which addresses the corpus used; a capture of running() alone is IPv4's
    lp = out / "labels.json"
    labels = json.loads(lp.read_text()) if lp.exists() else dict(server=SERVER, client=CLIENT)
    per, wrong, extra = {}, [], []
    for name in pcaps:
        rsts, no_answer, maybe, normal = expected(out / name, forged, labels["server"], labels["client"])
        found = found_by[name] if found_by else run_explain(rstcraft, out / name)
        by_rst = {}
        for f in found:
            if f["ts"] is not None:
                by_rst[(round(f["ts"], 6), f["src"], f["dst"])] = f
        for ts, src, dst, cause in rsts:
            f = by_rst.pop((round(ts, 6), src, dst), None)
            got = f["cause"] if f else "MISSING"
            per.setdefault(cause, [0, 0])[1] += 1
            if got == cause:
                per[cause][0] += 1
            else:
                wrong.append(dict(capture=name, ts=ts, src=src, dst=dst, want=cause, got=got,
                                  evidence=f and f["evidence"]))
        na = {(f["src"], f["dst"]) for f in found if f["ts"] is None and f["cause"] == "no-answer"}
        for k in no_answer:
            per.setdefault("no-answer", [0, 0])[1] += 1
            if k in na:
                per["no-answer"][0] += 1
            else:
                wrong.append(dict(capture=name, src=k[0], dst=k[1], want="no-answer", got="MISSING"))
        for f in found:
            if f["ts"] is None and (f["src"], f["dst"]) not in no_answer | maybe:
                extra.append(dict(capture=name, **f))
            elif f["ts"] is not None and (round(f["ts"], 6), f["src"], f["dst"]) in by_rst:
                extra.append(dict(capture=name, **f))
            elif f["src"] in normal or f["dst"] in normal:
                extra.append(dict(capture=name, why="finding on a normal connection", **f))
    return dict(per_cause=per, wrong=wrong, extra=extra)


def print_score(s, title):
    print(f"{title}")
    print(f"  {'cause':<20} {'right':>5} / {'total':<5} accuracy")
    for c in sorted(s["per_cause"]):
        r, t = s["per_cause"][c]
        print(f"  {c:<20} {r:>5} / {t:<5} {100.0 * r / t:6.1f}%")
    for w in s["wrong"]:
        print(f"  WRONG {w}")
    for e in s["extra"]:
        print(f"  EXTRA {e}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        lossy = "--lossy" in argv
        rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 1
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 7
        family = int(argv[argv.index("--family") + 1]) if "--family" in argv else 4
        make(argv[1], lossy=lossy, rounds=rounds, seed=seed, family=family)
        return 0
    if len(argv) >= 2 and argv[0] == "score":
        s = score(argv[1], argv[2] if len(argv) > 2 else REPO / "rstcraft")
        print_score(s, f"explain on {argv[1]}")
        return 0 if not s["wrong"] and not s["extra"] else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
