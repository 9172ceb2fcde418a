"""Run inside the client namespace: the SCENARIOS.md segments and nmap's odd ones, crafted
with scapy, to each host given; prints one JSON line per probe (what was sent), so that
the caller can pair the answers in its capture by ports.

    python3 ref_probes.py OPEN_PORT CLOSED_PORT BASE_SPORT HOST [HOST...]

Each probe uses its own source port (BASE_SPORT + index; the same index for every host),
so every host sees the same probes from the same ports."""
import json
import sys
import time

SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
            ("WScale", 7)]

# name, port ("open"/"closed"), flags, options, payload
PROBES = [
    ("syn-closed", "closed", "S", SYN_OPTS, b""),
    ("ack-closed", "closed", "A", [], b""),
    ("ack-data-closed", "closed", "PA", [], b"hello"),
    ("fin-psh-urg-closed", "closed", "FPU", [], b""),
    ("rst-closed", "closed", "R", [], b""),
    ("syn-open", "open", "S", SYN_OPTS, b""),
    ("syn-fin-open", "open", "SF", SYN_OPTS, b""),
    ("ack-open", "open", "A", [], b""),
    ("null-open", "open", "", [], b""),
    ("fin-open", "open", "F", [], b""),
    ("synack-open", "open", "SA", [], b""),
    ("ecn-syn-open", "open", "SEC", SYN_OPTS, b""),
    ("syn-noopts-open", "open", "S", [], b""),
]


def main():
    from scapy.all import IP, TCP, Raw, conf, send
    conf.verb = 0
    open_port, closed_port, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    hosts = sys.argv[4:]
    for i, (name, which, flags, opts, data) in enumerate(PROBES):
        sport = base + i
        seq = 0x11223344 + i * 0x1000
        ack = 0x55667788 + i * 0x1000 if "A" in flags else 0
        dport = open_port if which == "open" else closed_port
        for h in hosts:
            pkt = IP(dst=h) / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
                                  window=1024, urgptr=0xABCD if "U" in flags else 0,
                                  options=opts)
            if data:
                pkt = pkt / Raw(data)
            send(pkt)
            print(json.dumps({"name": name, "host": h, "sport": sport, "dport": dport,
                              "flags": flags, "seq": seq, "ack": ack, "len": len(data)}),
                  flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
