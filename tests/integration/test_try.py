"""`rstcraft try -- CLIENT`: the user's client (curl here) once per case, in a namespace this
test makes ("the user's machine"). What curl reports is checked against what curl is
documented to say for each way the connection ends: 7 refused, 28 timed out, 56 reset,
52 empty reply; the JUnit file is parsed as XML."""
import json
import signal
import time
import xml.etree.ElementTree as ET

from lab import RSTCRAFT
from localns import userns, wait_clean  # noqa: F401 (fixture)

CURL = ["curl", "-sS", "--max-time", "3", "http://{host}:{port}/"]


def run_try(ns, *args, timeout=300):
    return ns.run([RSTCRAFT, "try"] + list(args), timeout=timeout)


def rows(r):
    out = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    return {x["case"]: x for x in out}


def test_try_curl_every_case(userns, tmp_path):
    junit = tmp_path / "try.xml"
    r = run_try(userns, "--json", "--junit", junit, "--", *CURL)
    assert r.returncode == 0, (r.returncode, r.stderr)
    got = rows(r)
    listed = run_try(userns, "--list-cases").stdout.split("\n")
    names = [ln.split()[0] for ln in listed if ln.strip()]
    assert sorted(got) == sorted(names) and len(names) >= 12, (got.keys(), names)
    expect = {"closed": 7, "silent": 28, "late-synack": 28, "windows7-firewall": 28,
              "backlog-drop": 28, "unread": 56, "reset-midstream": 56, "after-close": 52,
              "reset-midreply": 56, "slow-reply": 28}
    for case, code in expect.items():
        row = got[case]
        assert row["exit"] == code and not row["hang"], row
        assert row["stderr_last"].startswith(f"curl: ({code})"), row
    # the replies: curl gets its 200 whole, also when the close that follows is a reset
    for case in ("reply-fin", "reply-unread", "stale-pooled"):
        assert got[case]["exit"] == 0, got[case]
    assert "unread-reset" in got["reply-unread"]["server_events"], got["reply-unread"]
    # what the server side did, from the responder's own events
    assert got["closed"]["server_events"] == "closed-port", got["closed"]
    assert got["silent"]["server_events"].startswith("silent-drop"), got["silent"]
    assert got["windows7-firewall"]["server_events"].startswith("silent-drop"), got["windows7-firewall"]
    assert "unread-reset" in got["unread"]["server_events"], got["unread"]
    assert "syn-dropped-backlog" in got["backlog-drop"]["server_events"], got["backlog-drop"]
    assert "backlog-overflow-reset" in got["backlog-abort"]["server_events"], got["backlog-abort"]
    # the timeouts are curl's 3 s, not ours
    for case in ("silent", "late-synack", "windows7-firewall"):
        assert 2.9 < got[case]["time_s"] < 6, got[case]
    assert got["closed"]["time_s"] < 1.5, got["closed"]

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuite" and int(root.get("tests")) == len(names), root.attrib
    assert int(root.get("failures")) == 0 and int(root.get("errors")) == 0, root.attrib
    cases = root.findall("testcase")
    assert [c.get("name") for c in cases] == [n for n in names], [c.get("name") for c in cases]
    for c in cases:
        float(c.get("time"))
        assert c.get("classname") == "rstcraft.try"
        err = c.find("system-err").text or ""
        if got[c.get("name")]["exit"] != 0:   # a failing curl says why; a 200 says nothing
            assert err.startswith("curl: ("), ET.tostring(c)
    assert not any(wait_clean(userns).values()), userns.leftovers()


def test_try_table_and_expect(userns):
    r = run_try(userns, "--cases", "closed,silent,unread", "--expect", "closed: exit==7, time<2s",
                "--expect", "silent: exit==0", "--", *CURL)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)   # one expectation failed
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["CASE", "SERVER", "(on"], lines
    table = {ln.split()[0]: ln for ln in lines[1:]}
    assert "closed-port" in table["closed"] and " 7 " in table["closed"], table
    assert " ok " in table["closed"] and "curl: (7)" in table["closed"], table
    assert "FAILED (exit==0)" in table["silent"] and "curl: (28)" in table["silent"], table
    assert "curl: (56) Recv failure: Connection reset by peer" in table["unread"], table
    assert "1 met, 1 failed" in r.stderr, r.stderr


def test_try_hanging_client(userns, tmp_path):
    t0 = time.monotonic()
    r = run_try(userns, "--json", "--timeout", "1", "--cases", "closed,silent", "--junit",
                tmp_path / "hang.xml", "--", "sh", "-c", "sleep 1013")
    took = time.monotonic() - t0
    got = rows(r)
    assert set(got) == {"closed", "silent"}, r.stdout   # the run went on after the first
    for row in got.values():
        assert row["hang"] and row["exit"] is None and 0.9 < row["time_s"] < 3, row
    assert took < 15, took
    root = ET.parse(tmp_path / "hang.xml").getroot()
    assert int(root.get("errors")) == 2, ET.tostring(root)
    assert "hung" in root.find("testcase/error").get("message")
    # the client and its children were killed with their process group
    ps = userns.run(["pgrep", "-f", "sleep 1013"])
    assert ps.stdout.strip() == "", ps.stdout


def test_try_environment(userns):
    r = run_try(userns, "--json", "--cases", "closed", "--port", "9000", "--",
                "sh", "-c", "echo {host}:{port} $RSTCRAFT_HOST:$RSTCRAFT_PORT:$RSTCRAFT_CASE; exit 3")
    row = rows(r)["closed"]
    assert row["exit"] == 3 and row["stdout_last"] == "198.18.0.10:9000 198.18.0.10:9000:closed", row


def test_try_usage(userns):
    for args, what in (([], "no client"), (["--cases", "nope", "--", "true"], "nope"),
                       (["--expect", "closed exit==1", "--", "true"], "--expect"),
                       (["--timeout", "soon", "--", "true"], "--timeout")):
        r = run_try(userns, *args, timeout=10)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and what in lines[0], (args, r.stderr)


def test_try_interrupted(userns):
    # Ctrl-C in the middle of a case: the client and the responder stop, nothing is left
    p = userns.popen([RSTCRAFT, "try", "--cases", "silent,closed", "--", "sleep", "1017"])
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 130 and "interrupted" in err, (p.returncode, out, err)
    assert not any(wait_clean(userns).values()), userns.leftovers()
    assert userns.run(["pgrep", "-f", "sleep 1017"]).stdout.strip() == ""
