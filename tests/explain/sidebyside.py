#!/usr/bin/python3
"""Side by side on the ground-truth corpus: for every reset, its label, rstcraft explain's
cause, what tshark's TCP analysis says about that packet (expert info and tcp.analysis
flags), and Zeek's conn_state and history for its connection.

Zeek is not packaged for Debian 12, so its columns are derived here from Zeek's documented
rules: the history letters of base/protocols/conn/main.zeek (s h a d f r, upper case for
the originator, each letter once) and its conn_state() function (REJ, RSTO, RSTR, RSTOS0,
RSTRH, S0, SF, ...), applied to endpoint states tracked as Zeek's TCP analyzer does
(inactive, SYN sent, SYN-ACK sent, partial, established, closed, reset).

    sidebyside.py CORPUS_DIR [RSTCRAFT]
"""
import collections
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402


def tshark_rsts(pcap):
    r = subprocess.run(["tshark", "-n", "-r", str(pcap), "-Y", "tcp.flags.reset == 1", "-T", "fields",
                        "-E", "separator=\t", "-e", "frame.time_epoch", "-e", "ip.src", "-e",
                        "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=300)
    out = {}
    for ln in r.stdout.splitlines():
        f = ln.split("\t")
        if len(f) < 6:
            continue
        msgs = [m for m in f[5].split(",") if m] if f[5] else []
        out[(round(float(f[0]), 6), f"{f[1]}:{f[2]}", f"{f[3]}:{f[4]}")] = "; ".join(msgs) or "-"
    return out


INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)


class ZConn:
    """One connection as Zeek's TCP analyzer and conn.log see it."""

    def __init__(self, orig):
        self.orig = orig
        self.st = {True: INACTIVE, False: INACTIVE}
        self.size = {True: 0, False: 0}
        self.hist = ""

    def letter(self, c, is_orig):
        c = c.upper() if is_orig else c.lower()
        if c not in self.hist:
            self.hist += c

    def packet(self, is_orig, flags, plen):
        syn, ack, fin, rst = flags & 2, flags & 16, flags & 1, flags & 4
        me, peer = is_orig, not is_orig
        if syn:
            self.letter("h" if ack else "s", is_orig)
            if self.st[me] in (INACTIVE, PARTIAL):
                self.st[me] = SYN_ACK_SENT if ack else SYN_SENT
        if plen:
            self.letter("d", is_orig)
            self.size[me] += plen
        elif ack and not (syn or fin or rst):
            self.letter("a", is_orig)
        if fin:
            self.letter("f", is_orig)
        if rst:
            self.letter("r", is_orig)
            self.st[me] = RESET
            return
        if fin and self.st[me] != RESET:
            self.st[me] = CLOSED
        elif self.st[me] == INACTIVE and not syn:
            self.st[me] = PARTIAL
        if ack and self.st[me] in (SYN_SENT, SYN_ACK_SENT) and \
                self.st[peer] in (SYN_SENT, SYN_ACK_SENT, ESTABLISHED):
            self.st[me] = ESTABLISHED
            if self.st[peer] == SYN_ACK_SENT:
                self.st[peer] = ESTABLISHED

    def conn_state(self):
        os_, rs = self.st[True], self.st[False]
        o_inactive = os_ in (INACTIVE, PARTIAL)
        r_inactive = rs in (INACTIVE, PARTIAL)
        if rs == RESET:
            if os_ in (SYN_SENT, SYN_ACK_SENT) or (os_ == RESET and not self.size[True] and not self.size[False]):
                return "REJ"
            return "RSTRH" if o_inactive else "RSTR"
        if os_ == RESET:
            if r_inactive:
                return "RSTOS0" if re.match(r"\^?S[^HAFGIQ]*R.*", self.hist) else "OTH"
            return "RSTO"
        if rs == CLOSED and os_ == CLOSED:
            return "SF"
        if os_ == CLOSED:
            return "SH" if r_inactive else "S2"
        if rs == CLOSED:
            return "SHR" if o_inactive else "S3"
        if os_ == SYN_SENT and rs == INACTIVE:
            return "S0"
        if os_ == ESTABLISHED and rs == ESTABLISHED:
            return "S1"
        return "OTH"


def zeek(pcap):
    from scapy.all import IP, TCP, PcapReader
    conns = {}
    for p in PcapReader(str(pcap)):
        if IP not in p or TCP not in p:
            continue
        a, b = (p[IP].src, int(p[TCP].sport)), (p[IP].dst, int(p[TCP].dport))
        c = conns.setdefault(frozenset((a, b)), ZConn(a))
        c.packet(a == c.orig, int(p[TCP].flags), len(bytes(p[TCP].payload)))
    return {k: (c.conn_state(), c.hist) for k, c in conns.items()}


def table(out, rstcraft, pcap="client.pcap"):
    out = Path(out)
    forged = [json.loads(ln) for ln in (out / "forged.jsonl").read_text().splitlines() if ln.strip()]
    rsts, _, _, _ = corpus.expected(out / pcap, forged)
    found = {(round(f["ts"], 6), f["src"], f["dst"]): f["cause"]
             for f in corpus.run_explain(rstcraft, out / pcap) if f["ts"] is not None}
    ts_info = tshark_rsts(out / pcap)
    zk = zeek(out / pcap)
    rows = collections.OrderedDict()
    for ts, src, dst, cause in rsts:
        k = (round(ts, 6), src, dst)
        sh, sp = src.rsplit(":", 1)
        dh, dp = dst.rsplit(":", 1)
        z = zk.get(frozenset(((sh, int(sp)), (dh, int(dp)))), ("?", "?"))
        row = (cause, found.get(k, "MISSING"), ts_info.get(k, "?"), z[0])
        rows.setdefault(row, [0, set()])
        rows[row][0] += 1
        rows[row][1].add(z[1])
    return rows


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    rstcraft = argv[1] if len(argv) > 1 else corpus.REPO / "rstcraft"
    rows = table(argv[0], rstcraft)
    print(f"{'label':<18} {'n':>3}  {'rstcraft explain':<18} {'tshark expert info':<40} "
          f"{'Zeek state':<10} Zeek history")
    for (label, ex, ts, zs), (n, hists) in sorted(rows.items()):
        print(f"{label:<18} {n:>3}  {ex:<18} {ts[:40]:<40} {zs:<10} {','.join(sorted(hists))}")
    print("Zeek columns derived from Zeek's documented conn_state() and history rules "
          "(base/protocols/conn/main.zeek; Zeek is not packaged for Debian 12).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
