"""nmap -O and p0f as the tests and scripts/bench-personalities run them, and their output
reduced to what the checks need: the exact match or the guesses with their accuracy and
nmap-os-db line, each guess's Class lines, and the fingerprint nmap recorded.

No lab knowledge here beyond `lab.run(host, argv)` and `lab.tmp`, so the bench script can
use it with its own lab."""
import re
import subprocess
import time
import xml.etree.ElementTree as ET

NMAP_OS_DB = "/usr/share/nmap/nmap-os-db"
P0F_DB = "/etc/p0f/p0f.fp"


class NmapOS:
    """One nmap -O run. matches: [{name, accuracy, line, classes: [(vendor, family, gen,
    type)]}], best first, as nmap ranked them."""

    def __init__(self, argv, stdout, stderr, xml_text):
        self.argv, self.stdout, self.stderr = argv, stdout, stderr
        self.details = None      # "OS details: ..." (an exact match)
        self.guesses = None      # "Aggressive OS guesses: ..."
        self.too_many = "Too many fingerprints match" in stdout
        self.no_match = "No exact OS matches" in stdout
        for ln in stdout.splitlines():
            if ln.startswith("OS details: "):
                self.details = ln[len("OS details: "):]
            elif ln.startswith("Aggressive OS guesses: "):
                self.guesses = ln[len("Aggressive OS guesses: "):]
        self.matches = []
        self.fingerprint_text = ""
        self.ports = {}
        if xml_text:
            root = ET.fromstring(xml_text)
            for m in root.iter("osmatch"):
                classes = [(c.get("vendor", ""), c.get("osfamily", ""), c.get("osgen", ""),
                            c.get("type", "")) for c in m.iter("osclass")]
                self.matches.append({"name": m.get("name"), "accuracy": int(m.get("accuracy")),
                                     "line": int(m.get("line")), "classes": classes})
            for fp in root.iter("osfingerprint"):
                self.fingerprint_text = fp.get("fingerprint", "")
            for p in root.iter("port"):
                st = p.find("state")
                self.ports[int(p.get("portid"))] = st.get("state") if st is not None else None
        if not self.fingerprint_text:
            block = [ln for ln in stdout.splitlines() if ln.startswith("OS:")]
            self.fingerprint_text = "\n".join(block)

    @property
    def exact(self):
        """nmap printed OS details: every match of accuracy 100 is a perfect one."""
        return self.details is not None and bool(self.matches) and self.matches[0]["accuracy"] == 100

    @property
    def top(self):
        return self.matches[0] if self.matches else None

    def top_tier(self):
        """The matches sharing the best accuracy (nmap cannot tell them apart)."""
        if not self.matches:
            return []
        a = self.matches[0]["accuracy"]
        return [m for m in self.matches if m["accuracy"] == a]

    def line(self):
        """The line nmap printed about the OS, for the test output."""
        if self.details is not None:
            return "OS details: " + self.details
        if self.guesses is not None:
            g = self.guesses
            return "Aggressive OS guesses: " + (g if len(g) < 300 else g[:300] + " ...")
        if self.too_many:
            return "Too many fingerprints match this host"
        return "no OS result (" + ("no match" if self.no_match else "nothing printed") + ")"

    def fingerprint(self):
        return parse_fingerprint(self.fingerprint_text)


def parse_fingerprint(text):
    """'OS:SCAN(...)SEQ(SP=..%GCD=..)...' (nmap's wrapped subject fingerprint, 'OS:' line
    prefixes or not) -> {'SEQ': {'SP': '107', ...}, 'T2': {'R': 'N'}, ...}."""
    flat = "".join(ln[3:] if ln.startswith("OS:") else ln for ln in text.splitlines())
    out = {}
    for name, body in re.findall(r"([A-Z][A-Z0-9]*)\(([^)]*)\)", flat):
        attrs = {}
        for kv in body.split("%") if body else []:
            k, _, v = kv.partition("=")
            attrs[k] = v
        out[name] = attrs
    return out


def nmap_os(lab, target, ports="80,81", debug=False, timeout=90, host="c", extra=()):
    """nmap -O --osscan-guess against target from the client namespace (one try, no ping,
    no DNS). The XML goes to lab.tmp."""
    xml = lab.tmp / f"nmap-{time.monotonic_ns()}.xml"
    argv = ["nmap", "-O", "--osscan-guess", "-n", "-Pn", "-p", ports, "--max-os-tries", "1",
            "-oX", str(xml)] + list(extra)
    if debug:
        argv.append("-d")
    argv.append(target)
    try:
        r = lab.run(host, argv, timeout=timeout)
        out, err = r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = f"nmap timed out after {timeout} s"
    text = xml.read_text() if xml.exists() else ""
    try:
        return NmapOS(argv, out, err, text)
    except ET.ParseError:
        return NmapOS(argv, out, err + "\n(unreadable XML)", "")


# ---- nmap-os-db, read the simple way (names, classes, test lines) ----

def read_os_db(path=NMAP_OS_DB):
    """[{name, line, classes: [(vendor, family, gen, type)], tests: {T1: 'R=Y%...'}}]."""
    entries, cur = [], None
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            ln = raw.rstrip("\n")
            if ln.startswith("Fingerprint "):
                cur = {"name": ln[len("Fingerprint "):].strip(), "line": n, "classes": [],
                       "tests": {}}
                entries.append(cur)
            elif cur is None:
                continue
            elif ln.startswith("Class "):
                parts = [p.strip() for p in ln[len("Class "):].split("|")]
                if len(parts) >= 4:
                    cur["classes"].append(tuple(parts[:4]))
            else:
                m = re.match(r"([A-Z][A-Z0-9]*)\((.*)\)$", ln)
                if m:
                    cur["tests"][m.group(1)] = m.group(2)
    return entries


def t1_answered(entry):
    """Can a responder play it: the open port answers nmap's T1 SYN. None when it can,
    else why not."""
    t1 = entry["tests"].get("T1")
    if t1 is None:
        return "no T1 line"
    if re.search(r"(^|%)R=N(%|$)", t1):
        return "T1(R=N): the open port never answers"
    return None


# ---- p0f ----

def p0f_read(pcap, db=P0F_DB, timeout=30):
    """p0f -r PCAP: one dict per (syn+ack) / (syn) record: {kind, client, server, os,
    raw_sig, dist, params}."""
    r = subprocess.run(["p0f", "-f", db, "-r", str(pcap)], capture_output=True, text=True,
                       timeout=timeout)
    recs, cur = [], None
    for ln in r.stdout.splitlines():
        m = re.match(r"\.-\[ (\S+) -> (\S+) \((.+)\) \]-", ln)
        if m:
            cur = {"src": m.group(1), "dst": m.group(2), "kind": m.group(3)}
            recs.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r"\| (\w+)\s+= (.*)$", ln)
        if m:
            cur[m.group(1)] = m.group(2).strip()
        elif ln.startswith("`----"):
            cur = None
    return recs, r
