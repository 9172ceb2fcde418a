"""Issue 4 acceptance: the `linux` profile against the kernel itself, in the same lab.
The kernel host (198.18.0.2, a listener on 80, 81 closed) and the responder (--profile
linux, -p 80 --mode open, 81 closed) get the same probes and must give the same answers
field by field, ISN and timestamp values aside:
  (a) nmap -O -d: every test line of the fingerprint nmap records (OPS, WIN, ECN, T1-T7,
      U1, IE, and SEQ's IP ID classes TI/CI/II/SS; SEQ's SP, GCD, ISR and TS are values
      of the ISN and timestamp clocks and are only printed);
  (b) the SCENARIOS.md segments and nmap's odd ones crafted with scapy (ref_probes.py):
      flags, seq/ack relative to the probe, window, TTL, DF, TOS, IP ID zero or not,
      option kinds (and values other than timestamps), urgent pointer, payload length;
  (c) the timestamp clock: Linux 6.18 starts each connection's TSval at an offset of its
      own (tcp_timestamps=1), so SYN-ACKs of connections 100 ms apart carry unrelated
      TSvals; the responder's must be as unrelated as the kernel's (nmap: SEQ TS=21 on
      both, not TS=A); and that offset comes from the 4-tuple: a new connection on the
      same 4-tuple carries on the previous one's TSval clock."""
import json
import time
from pathlib import Path

import pytest

from lab import CLIENT_IP, KERNEL_IP, RESP_IP, kill_proc
from osdetect import nmap_os

HERE = Path(__file__).resolve().parent
REF_PROBES = HERE / "ref_probes.py"

COMPARED_TESTS = ["OPS", "WIN", "ECN", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "U1", "IE"]
SEQ_CLASSES = ["TI", "CI", "II", "SS"]


@pytest.fixture(scope="module")
def both(lab):
    """The kernel's listener and the responder, up together for the module."""
    srv = lab.seed_server(80)
    try:
        with lab.responder("-q", "-p", "80", "--mode", "open", "--profile", "linux") as resp:
            yield resp
    finally:
        kill_proc(srv)


def test_nmap_fingerprint_like_kernel(lab, both):
    k = nmap_os(lab, KERNEL_IP, debug=True)
    r = nmap_os(lab, RESP_IP, debug=True)
    fk, fr = k.fingerprint(), r.fingerprint()
    print(f"\nkernel:    {k.line()}\nresponder: {r.line()}")
    assert fk and fr, f"no fingerprint printed:\nkernel:\n{k.stdout}\nresponder:\n{r.stdout}"
    diffs = []
    for t in COMPARED_TESTS:
        a, b = fk.get(t), fr.get(t)
        if a != b:
            keys = sorted(set(a or {}) | set(b or {}))
            diffs.append(f"{t}: " + ", ".join(f"{key} kernel={(a or {}).get(key)} "
                                              f"responder={(b or {}).get(key)}"
                                              for key in keys if (a or {}).get(key) != (b or {}).get(key)))
    seq_k, seq_r = fk.get("SEQ", {}), fr.get("SEQ", {})
    for key in SEQ_CLASSES:
        if seq_k.get(key) != seq_r.get(key):
            diffs.append(f"SEQ.{key}: kernel={seq_k.get(key)} responder={seq_r.get(key)}")
    clock = {key: (seq_k.get(key), seq_r.get(key)) for key in ("SP", "GCD", "ISR", "TS")}
    print("SEQ clock values (not compared), kernel vs responder: " +
          ", ".join(f"{key} {a}/{b}" for key, (a, b) in clock.items()))
    assert not diffs, ("nmap's fingerprint of the linux profile differs from the kernel's:\n"
                       + "\n".join(diffs) + f"\nkernel:\n{k.fingerprint_text}\n"
                       f"responder:\n{r.fingerprint_text}")


def _answers(pkts, host, sport):
    from scapy.layers.inet import IP, TCP
    return [p for p in pkts if IP in p and TCP in p and p[IP].src == host
            and p[IP].dst == CLIENT_IP and p[TCP].dport == sport]


def _rel(val, probe, ackside):
    """An answer's seq or ack relative to the probe (nmap's S/A classes, finer)."""
    seglen = probe["len"] + ("S" in probe["flags"]) + ("F" in probe["flags"])
    if val == 0:
        return "0"
    if ackside:
        if val == (probe["seq"] + seglen) & 0xFFFFFFFF:
            return "SEG.SEQ+SEG.LEN"
        if val == probe["seq"]:
            return "SEG.SEQ"
    elif val == probe["ack"]:
        return "SEG.ACK"
    return "other"


def _shape(p, probe):
    from scapy.layers.inet import IP, TCP
    ip, tcp = p[IP], p[TCP]
    opts = []
    for kind, val in tcp.options:
        opts.append(kind if kind in ("Timestamp", "NOP", "EOL", "SAckOK") else f"{kind}={val}")
    ts = dict(tcp.options).get("Timestamp")
    return {"flags": str(tcp.flags), "seq": _rel(tcp.seq, probe, False),
            "ack": _rel(tcp.ack, probe, True), "window": tcp.window, "ttl": ip.ttl,
            "df": "DF" in str(ip.flags), "tos": ip.tos, "ip_id": "zero" if ip.id == 0 else "non-zero",
            "options": opts, "tsecr": None if ts is None else ("echo" if ts[1] == 12345 else ts[1]),
            "urgptr": tcp.urgptr, "payload": ip.len - ip.ihl * 4 - tcp.dataofs * 4,
            "reserved": tcp.reserved}


def test_crafted_probes_like_kernel(lab, both):
    with lab.capture("c", "c0", f"tcp and (host {KERNEL_IP} or host {RESP_IP})") as cap:
        r = lab.run("c", ["/usr/bin/python3", REF_PROBES, 80, 81, 45000, KERNEL_IP, RESP_IP],
                    timeout=30)
        assert r.returncode == 0, r.stderr
        time.sleep(0.5)
    probes = [json.loads(ln) for ln in r.stdout.splitlines()]
    names = []
    for pr in probes:
        if pr["name"] not in names:
            names.append(pr["name"])
    diffs, table = [], []
    for name in names:
        pk = next(p for p in probes if p["name"] == name and p["host"] == KERNEL_IP)
        pr = next(p for p in probes if p["name"] == name and p["host"] == RESP_IP)
        ak = [_shape(p, pk) for p in _answers(cap.packets, KERNEL_IP, pk["sport"])]
        ar = [_shape(p, pr) for p in _answers(cap.packets, RESP_IP, pr["sport"])]
        # a SYN-ACK is retransmitted only after 1 s: one answer per probe here
        table.append(f"{name:<20} kernel {ak[0] if ak else 'no answer'}\n{'':<20} "
                     f"resp.  {ar[0] if ar else 'no answer'}")
        if ak != ar:
            if len(ak) != len(ar):
                diffs.append(f"{name}: kernel answered {len(ak)}x, responder {len(ar)}x: "
                             f"kernel {ak} responder {ar}")
            else:
                for a, b in zip(ak, ar):
                    d = {key: (a[key], b[key]) for key in a if a[key] != b[key]}
                    diffs.append(f"{name}: " + ", ".join(f"{key} kernel={x!r} responder={y!r}"
                                                          for key, (x, y) in d.items()))
    print("\n" + "\n".join(table))
    assert not diffs, "linux profile vs kernel, crafted probes:\n" + "\n".join(diffs)


def _tsvals(lab, host, base):
    """TSval of the SYN-ACKs to four SYNs from different ports, 100 ms apart."""
    code = (
        "import sys,time,json\n"
        "from scapy.all import IP,TCP,sr1,send,conf\n"
        "conf.verb=0\n"
        "out=[]\n"
        "for i in range(4):\n"
        "    sp=%d+i\n"
        "    r=sr1(IP(dst='%s')/TCP(sport=sp,dport=80,flags='S',seq=1000,"
        "options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)]),timeout=1)\n"
        "    out.append([time.monotonic(), dict(r[TCP].options).get('Timestamp',(None,))[0] if r else None])\n"
        "    time.sleep(0.1)\n"
        "print(json.dumps(out))\n" % (base, host))
    r = lab.run("c", ["/usr/bin/python3", "-c", code], timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _ts_per_connection(samples):
    """Does each connection start its TSval at an offset of its own? Between SYN-ACKs
    100 ms apart a shared 1 kHz clock moves by ~100; independent offsets by anything."""
    steps = [(b[1] - a[1]) & 0xFFFFFFFF for a, b in zip(samples, samples[1:])]
    return not all(50 <= s <= 1000 for s in steps), steps


def test_timestamp_offset_per_connection_like_kernel(lab, both):
    k = _tsvals(lab, KERNEL_IP, 46000)
    r = _tsvals(lab, RESP_IP, 46100)
    assert all(v is not None for _, v in k + r), (k, r)
    kper, ksteps = _ts_per_connection(k)
    rper, rsteps = _ts_per_connection(r)
    print(f"\nTSval steps between connections 100 ms apart: kernel {ksteps} responder {rsteps}")
    how = {True: "an offset per connection", False: "one clock"}
    assert rper == kper, (f"kernel: {how[kper]} (steps {ksteps}); "
                          f"responder: {how[rper]} (steps {rsteps})")


def _same_tuple_tsvals(lab, host, sport):
    """TSvals of two SYN-ACKs to SYNs from one 4-tuple 300 ms apart (the first half-open
    connection reset in between), with the time between them."""
    code = (
        "import time,json\n"
        "from scapy.all import IP,TCP,sr1,send,conf\n"
        "conf.verb=0\n"
        "out=[]\n"
        "for i in range(2):\n"
        "    t=time.monotonic()\n"
        "    r=sr1(IP(dst='%s')/TCP(sport=%d,dport=80,flags='S',seq=1000+i*100000,"
        "options=[('MSS',1460),('SAckOK',b''),('Timestamp',(1,0)),('NOP',None),('WScale',7)]),timeout=1)\n"
        "    out.append([t, dict(r[TCP].options).get('Timestamp',(None,))[0] if r else None])\n"
        "    send(IP(dst='%s')/TCP(sport=%d,dport=80,flags='R',seq=1001+i*100000))\n"
        "    time.sleep(0.3)\n"
        "print(json.dumps(out))\n" % (host, sport, host, sport))
    r = lab.run("c", ["/usr/bin/python3", "-c", code], timeout=30)
    assert r.returncode == 0, r.stderr
    (t0, v0), (t1, v1) = json.loads(r.stdout)
    assert v0 is not None and v1 is not None, r.stdout
    return (v1 - v0) & 0xFFFFFFFF, round((t1 - t0) * 1000)


def _clocklike(step, ms):
    """A TSval that went on like a 1 kHz clock over ms milliseconds (give or take the
    time the probes took to leave), not one that jumped to a fresh random offset."""
    return 0 <= step <= ms + 1000


def test_timestamp_offset_same_tuple_like_kernel(lab, both):
    kstep, kms = _same_tuple_tsvals(lab, KERNEL_IP, 47000)
    rstep, rms = _same_tuple_tsvals(lab, RESP_IP, 47000)
    print(f"\nsame 4-tuple, second SYN-ACK: kernel TSval +{kstep} after {kms} ms, "
          f"responder +{rstep} after {rms} ms")
    assert _clocklike(kstep, kms), f"the kernel itself: TSval +{kstep} in {kms} ms"
    assert _clocklike(rstep, rms) == _clocklike(kstep, kms), \
        (f"kernel TSval +{kstep} in {kms} ms, responder +{rstep} in {rms} ms")
