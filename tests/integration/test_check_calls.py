"""scripts/check-calls, the build's call-cycle check (build/calls.ok): a cycle between files,
planted in objects built here, stops it with the files and the symbols of each step; the
same files with the call going one way pass; and the project's own objects pass (no lab)."""
import glob
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check-calls"


def _objects(tmp_path, sources):
    objs = []
    for name, text in sources.items():
        d = tmp_path / "build" / "responder"
        d.mkdir(parents=True, exist_ok=True)
        c = d / f"{name}.c"
        c.write_text(text)
        o = d / f"{name}.o"
        subprocess.run(["cc", "-c", "-o", str(o), str(c)], check=True)
        objs.append(str(o))
    return objs


LOW = "int low_helper(int x) { return x + 1; }\n"
HIGH = "int low_helper(int x);\nint high_entry(int x) { return low_helper(x) * 2; }\n"


def test_planted_cycle_fails_naming_it(tmp_path):
    back = LOW.replace("{ return x + 1; }", "{ return x ? high_entry(x - 1) : 1; }")
    objs = _objects(tmp_path, {"low": "int high_entry(int x);\n" + back, "high": HIGH})
    r = subprocess.run([str(SCRIPT), *objs], capture_output=True, text=True)
    assert r.returncode == 1, r
    line = r.stdout.strip()
    assert line.startswith("call cycle: responder/"), line
    assert "responder/low.c -(high_entry)-> responder/high.c" in line, line
    assert "responder/high.c -(low_helper)-> responder/low.c" in line, line


def test_one_way_passes(tmp_path):
    objs = _objects(tmp_path, {"low": LOW, "high": HIGH})
    r = subprocess.run([str(SCRIPT), *objs], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "", r


def test_project_objects_have_no_call_cycle():
    objs = [o for d in ("crafter", "responder", "explain")
            for o in glob.glob(str(REPO / "build" / d / "**" / "*.o"), recursive=True)]
    assert objs, "build the project first (make)"
    r = subprocess.run([str(SCRIPT), *objs], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_usage_without_objects():
    r = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode == 2 and "usage" in r.stderr
