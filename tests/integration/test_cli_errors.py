"""Usage and runtime errors: one clear line on stderr and the documented exit status
(2: usage, 3: runtime). Run inside ${ID}r so a mistake can only touch the lab."""
import subprocess

from lab import RESP_IP, RSTCRAFT


def _run(lab, *args, wrap=(), timeout=10):
    try:
        return lab.run("r", list(wrap) + [RSTCRAFT] + list(args), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"rstcraft {' '.join(map(str, args))} kept running: expected an error exit")


def _one_line(r):
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("rstcraft"), lines[0]
    return lines[0]


def test_bad_flag(lab):
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe", "--bogus-flag")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "--bogus-flag" in _one_line(r)
    assert r.stdout == ""


def test_bad_value(lab):
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe", "-p", "80", "--mode", "delay",
             "--delay", "soon")
    assert r.returncode == 2, (r.returncode, r.stderr)
    _one_line(r)


def test_unknown_mode(lab):
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe", "-p", "80", "--mode", "teleport")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "teleport" in _one_line(r)


def test_bad_rules_line(lab):
    rules = lab.tmp / "bad.rules"
    rules.write_text("# rules\n* 8001 rst\n* 8003 delay delay=110\nthis is not a rule\n")
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe", "--rules", rules)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert f"{rules}:4:" in _one_line(r), r.stderr


def test_missing_rules_file(lab):
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe", "--rules", lab.tmp / "nope.rules")
    assert r.returncode in (2, 3), (r.returncode, r.stderr)
    assert "nope.rules" in _one_line(r)


def test_missing_interface(lab):
    r = _run(lab, "-i", "nope0", "-a", RESP_IP, "--no-probe")
    assert r.returncode == 3, (r.returncode, r.stderr)
    line = _one_line(r)
    assert "no such interface" in line and "nope0" in line, line


def test_not_root(lab):
    r = _run(lab, "-i", "r0", "-a", RESP_IP, "--no-probe",
             wrap=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
    assert r.returncode != 0, r.stderr
    line = _one_line(r)   # also proves it was rstcraft talking, not a failed exec
    assert "permission" in line.lower(), line


def test_help(lab):
    r = _run(lab, "--help")
    assert r.returncode == 0, r.stderr
    assert "-i" in r.stdout and "--mode" in r.stdout


def test_cpu_latency_out_of_range(lab):
    """--cpu-latency takes 0 to 1000000 microseconds, in the responder and the censor."""
    for args in (["-i", "r0", "-a", RESP_IP, "--no-probe"], ["censor", "-i", "r0", "--port", "1"]):
        for bad in ("-1", "1000001", "soon"):
            r = _run(lab, *args, "--cpu-latency", bad)
            assert r.returncode == 2, (args, bad, r.returncode, r.stderr)
            assert "--cpu-latency" in _one_line(r)
