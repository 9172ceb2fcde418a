"""Run inside the client namespace: SYNs with each TCP option set a stack may meet, one
source port each, to DST:PORT; prints one JSON line per SYN with the answer's fields.
The client kernel resets each SYN-ACK (no socket owns the port), which also frees the
responder's half-open connection.

    python3 syn_variants.py DST PORT BASE_SPORT"""
import json
import sys

# name -> scapy options: every layout index (timestamps, SACK) with and without scaling
VARIANTS = {
    "mss": [("MSS", 1460)],
    "mss,ws": [("MSS", 1460), ("NOP", None), ("WScale", 7)],
    "mss,sok": [("MSS", 1460), ("NOP", None), ("NOP", None), ("SAckOK", b"")],
    "mss,ws,sok": [("MSS", 1460), ("NOP", None), ("WScale", 7), ("NOP", None), ("NOP", None),
                   ("SAckOK", b"")],
    "mss,ts": [("MSS", 1460), ("NOP", None), ("NOP", None), ("Timestamp", (12345, 0))],
    "mss,ws,ts": [("MSS", 1460), ("NOP", None), ("NOP", None), ("Timestamp", (12345, 0)),
                  ("NOP", None), ("WScale", 7)],
    "mss,sok,ts": [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0))],
    "mss,sok,ts,ws": [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
                      ("WScale", 7)],
}


def main():
    from scapy.all import IP, TCP, conf, sr1
    conf.verb = 0
    dst, port, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for i, (name, opts) in enumerate(VARIANTS.items()):
        sport = base + i
        syn = IP(dst=dst) / TCP(sport=sport, dport=port, flags="S", seq=1000000 + i,
                                window=64240, options=opts)
        r = sr1(syn, timeout=1.0)
        out = {"variant": name, "sport": sport, "answered": r is not None}
        if r is not None and TCP in r:
            out.update(flags=str(r[TCP].flags), win=r[TCP].window, ttl=r[IP].ttl,
                       options=[o[0] for o in r[TCP].options])
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
