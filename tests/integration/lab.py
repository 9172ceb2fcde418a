"""Helpers for the lab tests: the four-namespace lab (scripts/lab), the responder running in
${ID}r, tcpdump captures, the seed-like clients in ${ID}c, and packet selection in pcaps.

Everything started here is registered so that one cleanup (fixture teardown, atexit or a
signal) kills the processes first and then deletes the namespaces."""
import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tools import require

REPO = Path(__file__).resolve().parents[2]
RSTCRAFT = REPO / "rstcraft"
CLIENTS = REPO / "build" / "clients"
LAB = REPO / "scripts" / "lab"

CLIENT_IP = "198.18.0.1"
KERNEL_IP = "198.18.0.2"
RESP_IP = "198.18.0.10"
# scripts/lab up --v6 (RFC 5180's 2001:2::/48)
CLIENT_IP6 = "2001:2::1"
KERNEL_IP6 = "2001:2::2"
RESP_IP6 = "2001:2::10"

# Processes and labs alive right now, for the emergency cleanup.
_procs = set()
_labs = set()
_tmpdirs = set()
_lock = threading.Lock()


def _register(p):
    with _lock:
        _procs.add(p)
    return p


def _forget(p):
    with _lock:
        _procs.discard(p)


def cpu_latency_now():
    """The CPU latency request in force (PM QoS), in microseconds; 2000000000: none."""
    return int.from_bytes(Path("/dev/cpu_dma_latency").read_bytes()[:4], "little", signed=True)


def kill_proc(p, sig=signal.SIGTERM, wait=3.0):
    """Stop one process we started (by its pid), escalating to SIGKILL."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=wait)
        except ProcessLookupError:
            pass
    _forget(p)


def cleanup_all():
    """Kill everything we started, then remove every lab we made. Safe to call twice."""
    with _lock:
        procs, labs = list(_procs), list(_labs)
    for p in procs:
        try:
            kill_proc(p, signal.SIGKILL, wait=2.0)
        except Exception:
            pass
    for lab_id in labs:
        subprocess.run([str(LAB), "down", lab_id], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        with _lock:
            _labs.discard(lab_id)
    with _lock:
        tmps = list(_tmpdirs)
        _tmpdirs.clear()
    for d in tmps:
        remove_tmp(d)


def remove_tmp(d):
    """Captures go with the lab unless RSTCRAFT_KEEP=1 asks to keep them."""
    if os.environ.get("RSTCRAFT_KEEP") == "1":
        print(f"\nrstcraft: captures kept in {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)
    with _lock:
        _tmpdirs.discard(d)


class Lab:
    def __init__(self, lab_id):
        if not re.fullmatch(r"[a-z0-9]{1,32}", lab_id):
            raise ValueError(f"bad lab ID {lab_id!r}")
        self.id = lab_id
        self.tmp = Path(tempfile.mkdtemp(prefix=f"rstcraft-{lab_id}-"))
        with _lock:
            _tmpdirs.add(self.tmp)

    # --- lifecycle ---
    def up(self, v6=False, routed=False):
        """routed: ${ID}s routes between the client's and the server's subnets (scripts/lab
        up --routed); ${ID}r has no link then."""
        # A stale lab carrying our pid can only be ours: remove it first.
        subprocess.run([str(LAB), "down", self.id], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        with _lock:
            _labs.add(self.id)
        r = subprocess.run([str(LAB), "up", self.id] + (["--v6"] if v6 else []) + (["--routed"] if routed else []),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"scripts/lab up {self.id} failed: {r.stderr.strip()}")
        self.client_mac = self.mac("c", "c0")
        self.resp_mac = None if routed else self.mac("r", "r0")
        return self

    def down(self):
        with _lock:
            procs = list(_procs)
        for p in procs:
            if getattr(p, "lab_id", None) == self.id:
                kill_proc(p, signal.SIGKILL)
        subprocess.run([str(LAB), "down", self.id], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        with _lock:
            _labs.discard(self.id)

    def ns(self, host):
        assert host in ("c", "r", "k", "s"), host
        return self.id + host

    def argv(self, host, argv):
        # A bare program name is checked here: `ip netns exec` would only say "exec failed".
        if "/" not in str(argv[0]):
            require(str(argv[0]))
        return ["ip", "netns", "exec", self.ns(host)] + [str(a) for a in argv]

    # --- running things ---
    def run(self, host, argv, timeout=30, check=False, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.argv(host, argv), timeout=timeout, check=check, **kw)

    def popen(self, host, argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(self.argv(host, argv), **kw)
        p.lab_id = self.id
        return _register(p)

    def mac(self, host, iface):
        r = self.run(host, ["cat", f"/sys/class/net/{iface}/address"], check=True)
        return r.stdout.strip()

    def client(self, name, *args, host="c", timeout=30):
        """Run build/clients/NAME in the client namespace; return its JSON line as a dict."""
        r = self.run(host, [CLIENTS / name] + list(args), timeout=timeout)
        return parse_client(name, r)

    def client_bg(self, name, *args, host="c"):
        """Start a client in the background; .result() waits and parses its JSON line."""
        return BgClient(self, name, host, args)

    def seed_server(self, port, *extra, host="k", addr=KERNEL_IP):
        """The seed's server on the kernel host; returns once it listens. Stop: kill_proc()."""
        p = self.popen(host, [CLIENTS / "seed_server", addr, port] + list(extra))
        first = _readline_timeout(p.stdout, 5.0)
        if '"listening"' not in first:
            kill_proc(p)
            raise AssertionError(f"seed_server did not start: {first!r} {p.stderr.read()!r}")
        return p

    @contextlib.contextmanager
    def nft_drop(self, host, dport):
        """A firewall that drops TCP to dport in that namespace (a kernel 'silent' port)."""
        table = f"rcdrop{dport}"
        self.run(host, ["nft", f"add table inet {table}; add chain inet {table} in "
                        "{ type filter hook input priority 0; }; "
                        f"add rule inet {table} in tcp dport {dport} drop"], check=True)
        try:
            yield
        finally:
            self.run(host, ["nft", f"delete table inet {table}"])

    @contextlib.contextmanager
    def segmented(self, host="c", iface="c0"):
        """TSO/GSO off on the client: a 5000-byte write leaves as MSS-sized segments, not as
        one coalesced frame, as on most real links."""
        self.run(host, ["ethtool", "-K", iface, "tso", "off", "gso", "off"], check=True)
        try:
            yield
        finally:
            self.run(host, ["ethtool", "-K", iface, "tso", "on", "gso", "on"])

    def capture(self, host, iface, bpf=""):
        return Capture(self, host, iface, bpf)

    def responder(self, *args, **kw):
        return Responder(self, list(args), **kw)


def parse_client(name, r):
    lines = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("{")]
    if r.returncode != 0 or not lines:
        raise AssertionError(f"client {name} failed (exit {r.returncode}): "
                             f"stdout={r.stdout!r} stderr={r.stderr!r}")
    return json.loads(lines[-1])


class BgClient:
    def __init__(self, lab, name, host, args):
        self.name = name
        self.p = lab.popen(host, [CLIENTS / name] + list(args))

    def result(self, timeout=30):
        try:
            out, err = self.p.communicate(timeout=timeout)
        finally:
            kill_proc(self.p, signal.SIGKILL)
        return parse_client(self.name, subprocess.CompletedProcess(
            self.p.args, self.p.returncode, out, err))


class Capture:
    """tcpdump on one interface of one namespace, to a pcap file read back with scapy."""

    def __init__(self, lab, host, iface, bpf=""):
        self.lab, self.host, self.iface, self.bpf = lab, host, iface, bpf
        self.path = lab.tmp / f"{host}-{iface}-{time.monotonic_ns()}.pcap"
        self.p = None
        self._pkts = None

    def start(self):
        # -Z root: Debian's tcpdump otherwise drops to user tcpdump and cannot write here.
        # -B: in immediate mode libpcap uses TPACKET_V2, a slot of the whole snaplen (256 KiB)
        # per frame; the default 2 MiB ring then holds 8 frames and drops the rest of a burst
        # (a reply sent into a 64 KiB window lost half its frames in the capture, not on the wire)
        argv = ["tcpdump", "-Z", "root", "-i", self.iface, "-n", "-U", "--immediate-mode",
                "-B", "65536", "-s", "0", "-w", str(self.path)]
        if self.bpf:
            argv.append(self.bpf)
        self.p = self.lab.popen(self.host, argv, stdout=subprocess.DEVNULL)
        # tcpdump says "listening on IF" once the capture is open.
        line = _readline_timeout(self.p.stderr, 5.0)
        if "listening on" not in line:
            kill_proc(self.p)
            raise RuntimeError(f"tcpdump on {self.iface} did not start: {line!r}")
        return self

    def stop(self):
        if self.p is not None and self.p.poll() is None:
            time.sleep(0.2)   # let the last frames reach the ring
            kill_proc(self.p, signal.SIGINT)
        return self

    @property
    def packets(self):
        if self._pkts is None:
            from scapy.utils import rdpcap
            self._pkts = list(rdpcap(str(self.path))) if self.path.exists() else []
        return self._pkts

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _readline_timeout(stream, timeout):
    end = time.monotonic() + timeout
    buf = ""
    fd = stream.fileno()
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        ch = os.read(fd, 1).decode(errors="replace")
        if not ch:
            break
        buf += ch
        if ch == "\n":
            break
    return buf


class Responder:
    """./rstcraft -i r0 -a ADDR ARGS... in ${ID}r; stdout events and stderr collected by
    threads. Used as a context manager: started on enter, SIGTERM on exit."""

    def __init__(self, lab, args, addr=RESP_IP, iface="r0", json_events=True, no_probe=True,
                 ready_timeout=None, host="r", wrap=(), stdout=None):
        self.lab = lab
        self.stdout = stdout    # a file to give stdout to (then events are not collected)
        argv = list(wrap) + [RSTCRAFT, "-i", iface, "-a", addr]
        if json_events:
            argv.append("--json")
        if no_probe:
            argv.append("--no-probe")
        self.argv = argv + [str(a) for a in args]
        self.host = host
        self.no_probe = no_probe
        self.ready_timeout = ready_timeout if ready_timeout is not None else (5.0 if no_probe else 10.0)
        self.p = None
        self.out_lines, self.err_lines = [], []
        self.ready = threading.Event()
        self.rc = None
        self.ready_seen_after = None

    def start(self):
        if not RSTCRAFT.exists():
            raise AssertionError(f"{RSTCRAFT} not built (run make)")
        self.t0 = time.monotonic()
        kw = {"stdout": self.stdout} if self.stdout is not None else {}
        self.p = self.lab.popen(self.host, self.argv, bufsize=1, **kw)
        self._threads = [threading.Thread(target=self._pump, args=(s, sink), daemon=True)
                         for s, sink in ((self.p.stdout, self.out_lines), (self.p.stderr, self.err_lines))
                         if s is not None]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.ready.wait(0.02):
                self.ready_seen_after = time.monotonic() - self.t0
                return self
            if self.p.poll() is not None:
                self._join()
                raise AssertionError(f"rstcraft exited {self.p.returncode} before ready: "
                                     f"{self.stderr.strip()!r}")
        raise AssertionError(f"rstcraft printed no 'rstcraft: ready' within {self.ready_timeout} s: "
                             f"stderr={self.stderr.strip()!r}")

    def _pump(self, stream, sink):
        for line in stream:
            sink.append(line.rstrip("\n"))
            if sink is self.err_lines and line.startswith("rstcraft: ready"):
                self.ready.set()

    def _join(self):
        for t in self._threads:
            t.join(timeout=3)

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signal the responder and wait; returns its exit code."""
        if self.p is None:
            return None
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                self._join()
                _forget(self.p)
                raise AssertionError(f"rstcraft did not exit within {timeout} s of {sig!r}")
        self._join()
        _forget(self.p)
        self.rc = self.p.returncode
        return self.rc

    @property
    def stderr(self):
        return "\n".join(self.err_lines)

    @property
    def events(self):
        evs = []
        for ln in self.out_lines:
            ln = ln.strip()
            if ln.startswith("{"):
                try:
                    evs.append(json.loads(ln))
                except ValueError:
                    pass
        return evs

    def select(self, event=None, **match):
        return [e for e in self.events
                if (event is None or e.get("event") == event)
                and all(e.get(k) == v for k, v in match.items())]

    def wait_event(self, event, timeout=5.0, **match):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.select(event, **match)
            if got:
                return got
            time.sleep(0.02)
        return []

    def wait_count(self, event, n, timeout=5.0, **match):
        """Wait until at least n such events were seen; returns them."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.select(event, **match)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        return self.select(event, **match)

    def counts(self):
        """{'closed-port': 1, ...} from the last counts line on stderr."""
        for ln in reversed(self.err_lines):
            m = re.match(r"rstcraft: counts:(.*)$", ln)
            if m:
                return {k: int(v) for k, v in re.findall(r"([a-z-]+)=(\d+)", m.group(1))}
        return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.p is not None and self.p.poll() is None:
            self.stop()
        return False


# --- packet selection (scapy) ---

def tcp_pkts(pkts, src=None, dst=None, sport=None, dport=None):
    from scapy.layers.inet import IP, TCP
    out = []
    for p in pkts:
        if IP not in p or TCP not in p:
            continue
        ip, tcp = p[IP], p[TCP]
        if src and ip.src != src:
            continue
        if dst and ip.dst != dst:
            continue
        if sport is not None and tcp.sport != sport:
            continue
        if dport is not None and tcp.dport != dport:
            continue
        out.append(p)
    return out


def ip_pkts_from(pkts, src):
    from scapy.layers.inet import IP
    return [p for p in pkts if IP in p and p[IP].src == src]


def flow(pkts, a, aport, b, bport):
    """Both directions of one TCP connection, in capture order."""
    from scapy.layers.inet import IP, TCP
    return [p for p in pkts if IP in p and TCP in p and
            ((p[IP].src, p[TCP].sport, p[IP].dst, p[TCP].dport) in
             ((a, aport, b, bport), (b, bport, a, aport)))]


def flags(p):
    from scapy.layers.inet import TCP
    return str(p[TCP].flags)


def has_flag(p, f):
    return f in flags(p)


def checksums_ok(p):
    """Recompute the IPv4 and TCP checksums with scapy and compare with what was sent."""
    from scapy.layers.inet import IP, TCP
    ip = p[IP]
    raw = bytes(ip)[: ip.len]
    again = IP(raw)
    del again.chksum
    del again[TCP].chksum
    again = IP(bytes(again))
    return again.chksum == ip.chksum and again[TCP].chksum == p[TCP].chksum


def tcp_options(p):
    from scapy.layers.inet import TCP
    return [o[0] for o in p[TCP].options]


def tcp_fields(p):
    """The fields that make an RST look like a given stack's (addresses and ports aside)."""
    from scapy.layers.inet import IP, TCP
    ip, tcp = p[IP], p[TCP]
    return {"flags": str(tcp.flags), "seq": tcp.seq, "window": tcp.window, "ttl": ip.ttl,
            "ipflags": str(ip.flags), "id": ip.id, "tos": ip.tos, "iplen": ip.len,
            "ihl": ip.ihl, "dataofs": tcp.dataofs, "options": tcp_options(p),
            "urgptr": tcp.urgptr, "payload": ip.len - ip.ihl * 4 - tcp.dataofs * 4}


def summary(pkts):
    """One line per packet (like tcpdump -n), for assertion messages."""
    from scapy.layers.inet import IP, TCP
    lines = []
    t0 = float(pkts[0].time) if pkts else 0.0
    for p in pkts:
        t = (float(p.time) - t0) * 1e3
        if IP in p and TCP in p:
            ip, tcp = p[IP], p[TCP]
            lines.append(f"{t:9.3f} ms {ip.src}.{tcp.sport} > {ip.dst}.{tcp.dport} "
                         f"[{tcp.flags}] seq {tcp.seq} ack {tcp.ack} win {tcp.window} "
                         f"len {ip.len - ip.ihl * 4 - tcp.dataofs * 4} id {ip.id} ttl {ip.ttl} "
                         f"opts {tcp_options(p)}")
        else:
            lines.append(f"{t:9.3f} ms {p.summary()}")
    return "\n".join(lines)
