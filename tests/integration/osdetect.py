"""nmap -O and p0f as the tests and scripts/bench-personalities run them, and their output
reduced to what the checks need: the exact match or the guesses with their accuracy and
nmap-os-db line, each guess's Class lines, and the fingerprint nmap recorded.

No lab knowledge here beyond `lab.run(host, argv)` and `lab.tmp`, so the bench script can
use it with its own lab."""
import functools
import re
import subprocess
import time
import xml.etree.ElementTree as ET

from tools import require

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
    require("nmap", NMAP_OS_DB)
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
    require(path)
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
    require("p0f", db)
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


# ---- p0f's SYN-ACK matching, modelled (p0f 3.09b fp_tcp.c tcp_find_match) ----
# Used to tell "the profile could be named but is not" from "p0f.fp itself gives this
# shape to another OS first"; checked against p0f's own verdicts wherever it is used.

P0F_MAX_DIST = 35          # config.h: largest TTL distance of a non-fuzzy match
_FUZZY_DELETED_OK = {"df", "id+"}
_FUZZY_ADDED_OK = {"id-", "ecn"}


def _p0f_layout(text):
    """'mss,nop,ws,sok,eol+1' -> (('mss','nop','ws','sok','eol'), 1)."""
    items, pad = [], 0
    for o in text.split(",") if text else []:
        if o.startswith("eol+"):
            items.append("eol")
            pad = int(o[4:])
        else:
            items.append(o)
    return tuple(items), pad


def p0f_parse_sig(text, label="", generic=False, line=0):
    """One p0f.fp signature (or a raw_sig p0f printed) -> dict; None when malformed."""
    f = text.split(":")
    if len(f) != 8:
        return None
    ttl_s = f[1]
    bad_ttl = ttl_s.endswith("-")
    m = re.match(r"(\d+)(?:\+(\d+|\?))?-?$", ttl_s)
    if not m:
        return None
    win_s, _, scale_s = f[4].partition(",")
    layout, pad = _p0f_layout(f[5])
    sig = {"label": label, "generic": generic, "line": line, "ver": f[0],
           "ttl": int(m.group(1)), "ttl_add": m.group(2), "bad_ttl": bad_ttl,
           "olen": int(f[2]), "mss": -1 if f[3] == "*" else int(f[3]),
           "scale": -1 if scale_s == "*" else int(scale_s), "layout": layout, "eol_pad": pad,
           "quirks": frozenset(q for q in f[6].split(",") if q),
           "pclass": {"*": -1, "0": 0, "+": 1}.get(f[7], -1), "text": text}
    if win_s == "*":
        sig["win_type"], sig["win"] = "any", 0
    elif win_s.startswith("%"):
        sig["win_type"], sig["win"] = "mod", int(win_s[1:])
    elif win_s.startswith(("mss*", "mtu*")):
        sig["win_type"], sig["win"] = win_s[:3], int(win_s[4:])
    else:
        sig["win_type"], sig["win"] = "normal", int(win_s)
    if sig["ttl_add"] and sig["ttl_add"] != "?" and label:
        sig["ttl"] += int(sig["ttl_add"])      # "64+10" in p0f.fp: initial TTL 74
    return sig


@functools.lru_cache(maxsize=4)
def p0f_response_sigs(path=P0F_DB):
    """The [tcp:response] signatures of p0f.fp in file order, each with its label as p0f
    prints it ("Windows 7 or 8") and whether the label is generic (g:)."""
    require(path)
    out, section, label, generic = [], None, None, False
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, raw in enumerate(fh, 1):
            ln = raw.strip()
            if not ln or ln.startswith(";"):
                continue
            if ln.startswith("["):
                section = ln
                continue
            if section != "[tcp:response]":
                continue
            k, _, v = ln.partition("=")
            k, v = k.strip(), v.strip()
            if k == "label":
                parts = v.split(":", 3)
                generic = parts[0] == "g"
                label = f"{parts[2]} {parts[3]}".strip() if len(parts) == 4 else v
            elif k == "sig" and label:
                s = p0f_parse_sig(v, label, generic, n)
                if s:
                    out.append(s)
    return out


def p0f_packet(raw_sig, win):
    """What p0f matches on, from the raw_sig it printed for a packet and the packet's
    window (raw_sig may show it as mss*N)."""
    s = p0f_parse_sig(raw_sig)
    if s is None:
        return None
    pk = {"ttl": s["ttl"], "olen": s["olen"], "mss": s["mss"], "scale": s["scale"],
          "layout": s["layout"], "eol_pad": s["eol_pad"], "quirks": s["quirks"], "pclass": 0,
          "win": win, "win_multi": -1, "use_mtu": False}
    if s["win_type"] in ("mss", "mtu"):
        pk["win_multi"], pk["use_mtu"] = s["win"], s["win_type"] == "mtu"
    return pk


def p0f_try(ref, pk, have_fuzzy):
    """None (no match), 'exact' or 'fuzzy', as tcp_find_match decides for one reference."""
    if ref["layout"] != pk["layout"]:
        return None
    fuzzy = False
    rq = ref["quirks"] - {"flow"} if ref["ver"] == "*" else ref["quirks"]
    if rq != pk["quirks"]:
        deleted, added = rq - pk["quirks"], pk["quirks"] - rq
        if have_fuzzy or deleted - _FUZZY_DELETED_OK or added - _FUZZY_ADDED_OK:
            return None
        fuzzy = True
    if ref["eol_pad"] != pk["eol_pad"] or ref["olen"] != pk["olen"]:
        return None
    if ref["bad_ttl"]:
        if ref["ttl"] < pk["ttl"]:
            return None
    elif ref["ttl"] < pk["ttl"] or ref["ttl"] - pk["ttl"] > P0F_MAX_DIST:
        fuzzy = True
    if ref["mss"] != -1 and ref["mss"] != pk["mss"]:
        return None
    if ref["scale"] != -1 and ref["scale"] != pk["scale"]:
        return None
    if ref["pclass"] != -1 and ref["pclass"] != pk["pclass"]:
        return None
    wt = ref["win_type"]
    if wt == "normal" and ref["win"] != pk["win"]:
        return None
    if wt == "mod" and pk["win"] % ref["win"]:
        return None
    if wt == "mss" and (pk["use_mtu"] or ref["win"] != pk["win_multi"]):
        return None
    if wt == "mtu" and (not pk["use_mtu"] or ref["win"] != pk["win_multi"]):
        return None
    return "fuzzy" if fuzzy else "exact"


def p0f_match(sigs, pk):
    """(signature p0f picks, fuzzy?) or (None, False): the first exact non-generic match,
    else the first generic one, else the first fuzzy one."""
    fmatch = gmatch = None
    for ref in sigs:
        r = p0f_try(ref, pk, fmatch is not None)
        if r == "exact":
            if not ref["generic"]:
                return ref, False
            gmatch = gmatch or ref
        elif r == "fuzzy" and fmatch is None:
            fmatch = ref
    if gmatch:
        return gmatch, False
    return (fmatch, True) if fmatch else (None, False)
