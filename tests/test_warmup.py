"""The job server's warm-up (bench.warmup): broken methods are left cold, the server survives
them and stays single-threaded, and jobs inherit one thread per pool."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.store import load_records
from tests.fresh import run_python

ROOT = Path(__file__).resolve().parent.parent
B = "tests.broken_methods:"


def warm_in_fresh_process(names: list[str]) -> dict:
    """warm(names) in a new interpreter started as the job server is (one thread per pool; the
    warm-up changes process-wide state); its cold methods and its thread count afterwards."""
    from bench.warmup import THREAD_ENV

    env = {**os.environ, **{k: "1" for k in THREAD_ENV}}
    code = ("import json, sys; from bench import warmup; cold = warmup.warm(json.loads(input()), 1.0); "
            "print(json.dumps({'cold': cold, 'threads': warmup.threads(), 'modules': sorted(sys.modules)}))")
    out = run_python(code, input=json.dumps(names), timeout=300, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_broken_methods_are_left_cold_and_the_server_survives():
    r = warm_in_fresh_process([f"{B}Hang", f"{B}Segfault", f"{B}Crash", f"{B}LeaksThread", "abs-corr",
                               "tests.no_such_module:Method", f"{B}ChildHoldsMemory"])
    cold = r["cold"]
    assert set(cold) == {f"{B}Hang", f"{B}Segfault", f"{B}Crash", f"{B}LeaksThread", "tests.no_such_module:Method",
                         f"{B}ChildHoldsMemory"}
    assert cold[f"{B}ChildHoldsMemory"].startswith("killed: its processes held")  # the job caps: 1 GB here
    assert cold["tests.no_such_module:Method"].startswith("not found")
    # its own budget, shorter than the default; the kill lands within a poll or two of it on a loaded machine
    assert re.fullmatch(r"killed after 2\.[0-4] s: over its 2 s budget", cold[f"{B}Hang"]), cold[f"{B}Hang"]
    assert cold[f"{B}Segfault"].startswith("died")
    assert cold[f"{B}Crash"] == "raised"
    assert cold[f"{B}LeaksThread"] == "left threads running"
    assert r["threads"] == 1


@pytest.mark.slow
def test_a_learned_methods_warm_up_includes_its_dependence_probe():
    """A job probes a learned method (bench.probe) after its fit; the server's warm-up does too,
    so no job imports the probe's modules itself."""
    r = warm_in_fresh_process(["tabscm"])
    assert r["cold"] == {} and {"bench.probe", "scipy.stats"} <= set(r["modules"])


@pytest.mark.slow
def test_every_registered_method_warms_up_and_leaves_one_thread():
    import methods

    r = warm_in_fresh_process(methods.list_methods())
    assert (r["cold"], r["threads"]) == ({}, 1)


@pytest.mark.slow
def test_jobs_run_on_one_thread_per_pool(tmp_path):
    assert main(["run", "--suite", "quick", "--methods", f"{B}ThreadReport", "--out", str(tmp_path),
                 "--quiet", "--seeds", "1"]) == 0
    recs = load_records(tmp_path)
    assert recs and all(r["status"] == "ok" for r in recs)
    for r in recs:
        assert r["info"]["process_threads"] == 1
        assert r["info"]["pools"] and set(r["info"]["pools"].values()) == {1}, r["info"]["pools"]


@pytest.mark.slow
def test_the_job_servers_start_is_not_a_jobs_time(tmp_path):
    """The first job of a process waits for its job server's imports and warm-up; that wait is
    not in its budget (a 3 s preload, a 1 s budget: counted, every job would time out)."""
    out = subprocess.run([sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods",
                          f"{B}SlowToPreload", "--out", str(tmp_path), "--quiet", "--seeds", "1"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    recs = load_records(tmp_path)
    assert len(recs) == 4 and {r["status"] for r in recs} == {"ok"}


@pytest.mark.slow
def test_a_method_defined_in_a_users_script_runs_as_a_job(tmp_path):
    """A user's script that defines its own method in __main__ and runs it through the runner."""
    import datasets

    log = tmp_path / "runs.log"
    env = {**os.environ, "USER_SCRIPT_LOG": str(log), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "user_script.py"), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    records = load_records(tmp_path / "out")
    assert len(records) == 2 * len(datasets.load_suite("quick")) >= 4
    assert {r["status"] for r in records} == {"ok"}, [r.get("error") for r in records]
