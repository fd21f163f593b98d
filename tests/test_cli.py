"""The command line refuses what it cannot run with one line and exit 2, before anything is
written; an interrupted run keeps what it finished and says how to resume."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main
from tests.fresh import run_python

ROOT = Path(__file__).resolve().parent.parent
B = "tests.broken_methods:"


def _refused(capsys, argv, expected: str):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    return err


@pytest.mark.parametrize("methods,expected", [
    ("pc(alpah=0.1)", "did you mean 'alpha'"),
    ("pc(alpha=2.0)", "'alpha' parameter of pc must be a float in the range (0.0, 1.0). Got 2.0"),
    ("abs-cor", "did you mean 'abs-corr'"),
    ("pc(indep_test=chisq)", "'indep_test' parameter of pc must be a str among"),
])
def test_bad_methods_are_refused_before_anything_is_written(tmp_path, capsys, methods, expected):
    out = tmp_path / "out"
    _refused(capsys, ["run", "--suite", "quick", "--methods", methods, "--out", str(out)], expected)
    assert not out.exists()


def test_unknown_suite_is_refused(tmp_path, capsys):
    _refused(capsys, ["run", "--suite", "nope", "--out", str(tmp_path / "o")], "unknown suite 'nope'")


@pytest.mark.parametrize("body,expected", [
    ('force: "false"', "field 'force' must be true or false"),
    ("seeds: three", "field 'seeds' must be an integer >= 1, got 'three'"),
    ("seeds: 2.9", "field 'seeds' must be an integer >= 1, got 2.9"),
    ("42", "a run file is a mapping of fields"),
    ("- suite: quick", "a run file is a mapping of fields"),
    ("sute: quick", "unknown field 'sute'"),
    ("n_jobs: two", "field 'n_jobs' must be an integer >= 1"),
])
def test_a_run_file_is_checked_against_its_schema(tmp_path, capsys, body, expected):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"suite: quick\nout: {tmp_path / 'out'}\n{body}\n" if ":" in body and not body.startswith("-")
                   else body + "\n")
    err = _refused(capsys, ["run", "--config", str(cfg)], expected)
    assert str(cfg) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("body,expected", [
    (b"suite: quick\nmethods: empty\nsuite: tiny\n", "key 'suite' is given twice (lines 1 and 3)"),
    (b"suite: quick\nmethods:\n  - empty\nmethods: pc\n", "key 'methods' is given twice (lines 2 and 4)"),
    (b"suite: qu\xe9ck\n", "not UTF-8 text (byte 0xe9 at offset 9)"),
])
def test_a_run_file_with_a_key_twice_or_not_utf8_is_refused_by_name(tmp_path, capsys, body, expected):
    cfg = tmp_path / "run.yaml"
    cfg.write_bytes(body + f"out: {tmp_path / 'out'}\n".encode())
    assert str(cfg) in _refused(capsys, ["run", "--config", str(cfg)], expected)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv,expected", [
    (["--seeds", "three"], "argument --seeds: invalid int value: 'three'"),
    (["--truth", "x.csv"], "--truth is the ground truth of --data"),
    (["--backend", "dask", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler tcp://127.0.0.1:1: nothing answers"),
])
def test_refusals_are_one_line_and_write_nothing(tmp_path, capsys, argv, expected):
    out = tmp_path / "out"
    _refused(capsys, ["run", "--suite", "quick", "--methods", "abs-corr", "--out", str(out), *argv], expected)
    assert not out.exists()


def test_a_scheduler_that_never_answers_is_refused_within_its_timeout(tmp_path, capsys):
    import socket
    import time
    with socket.socket() as silent:  # accepts connections, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        out, t0 = tmp_path / "out", time.monotonic()
        _refused(capsys, ["run", "--suite", "quick", "--methods", "abs-corr", "--backend", "dask", "--scheduler",
                          f"tcp://127.0.0.1:{silent.getsockname()[1]}", "--scheduler-timeout", "1",
                          "--out", str(out)], "nothing answers there within 1 s")
    assert time.monotonic() - t0 < 15 and not out.exists()


def test_a_backend_that_is_not_installed_is_refused_before_the_folder_is_touched(tmp_path, capsys, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    out = tmp_path / "out"
    err = _refused(capsys, ["run", "--suite", "quick", "--methods", "abs-corr", "--backend", "ray", "--out", str(out)],
                   "--backend ray needs ray, which is not installed")
    assert "pip install -e '.[ray]'" in err and "pip install -e '.[ray]'" in (ROOT / "README.md").read_text()
    assert not out.exists()


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"suite: quick\nout: {tmp_path / 'out'}\nmethods: [pc, ges\nseeds: 2\n")
    err = _refused(capsys, ["run", "--config", str(cfg)], "not valid YAML")
    assert f"{cfg}, line 4" in err, err
    assert not (tmp_path / "out").exists()


def test_list_method_shows_each_parameter_with_default_and_allowed_values(capsys):
    assert main(["list", "pc"]) == 0
    out = capsys.readouterr().out
    assert "alpha              default 0.05; allowed: a float in the range (0.0, 1.0)" in out
    assert "indep_test" in out and "'fisherz'" in out and "'kci'" in out


def test_list_prints_whole_descriptions(capsys):
    import methods
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    first = " ".join((methods.method_class("pc").__doc__ or "").strip().split("\n\n")[0].split())
    assert first in out
    assert "bnlearn-gaussian" in out


def test_every_subcommand_argument_has_help():
    from bench.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"bench {name}: {action.dest} has no help"


@pytest.mark.slow
def test_yaml_run_file(tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"suite: quick\nmethods: [empty, abs-corr]\nseeds: 1\nforce: false\nout: {tmp_path / 'out'}\n")
    assert main(["run", "--config", str(cfg), "--quiet"]) == 0
    assert len(pd.read_csv(tmp_path / "out" / "jobs.csv")) == 8


def test_a_full_disk_stops_the_run_with_one_line_and_keeps_what_was_written(tmp_path, capsys, monkeypatch):
    from bench import runner

    real, calls = runner.write_result, []

    def disk_full_on_the_third(out, record, arrays):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(out, record, arrays)

    monkeypatch.setattr(runner, "write_result", disk_full_on_the_third)
    _refused(capsys, ["run", "--suite", "quick", "--methods", "empty", "--out", str(tmp_path), "--quiet"],
             "No space left on device")
    assert len(list((tmp_path / "jobs").glob("*.json"))) == 2


def _cmd(out):
    return [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", f"{B}Slow(sleep=1)",
            "--seeds", "4", "--out", str(out), "--quiet"]


def _as_in_a_terminal():
    """Ctrl-C's default action, even when these tests run in the background (where a shell ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(out):
    return subprocess.Popen(_cmd(out), cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_in_a_terminal)


def _wait_for_jobs(out, count, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and len(list((out / "jobs").glob("*.json"))) < count:
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_says_how_to_resume_and_resumes(tmp_path, sig, code):
    out = tmp_path / "run"
    cmd, proc = _cmd(out), _start(out)
    _wait_for_jobs(out, 2)
    os.killpg(proc.pid, sig)  # the whole group, as Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert "Traceback" not in err and "rerun the same command to resume" in err, err
    kept = {p.name: p.read_bytes() for p in (out / "jobs").glob("*.json")}
    assert 2 <= len(kept) < 16
    assert subprocess.run(cmd, cwd=ROOT, timeout=300).returncode == 0
    files = list((out / "jobs").glob("*.json"))
    assert len(files) == 16 and all(p.read_bytes() == kept[p.name] for p in files if p.name in kept)


@pytest.mark.slow
def test_a_second_run_on_a_busy_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    first = _start(out)
    _wait_for_jobs(out, 1)
    second = subprocess.run(_cmd(out), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "another bench run" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    first.kill()  # -9: the lock goes with the process
    first.wait()
    assert subprocess.run(_cmd(out), cwd=ROOT, timeout=300).returncode == 0


@pytest.mark.slow
def test_a_run_with_nothing_to_do_leaves_up_to_date_outputs_alone(tmp_path, capsys):
    """... and, in a process of its own, starts no worker and loads none of what runs, scores or draws jobs."""
    argv = ["run", "--suite", "quick", "--methods", "empty", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    built = (tmp_path / "report.md").stat().st_mtime_ns
    assert main(argv) == 0
    assert "nothing new" in capsys.readouterr().err
    assert (tmp_path / "report.md").stat().st_mtime_ns == built
    heavy = ["joblib", "bench.execute", "bench.metrics", "bench.report", "sklearn", "pandas", "matplotlib", "torch"]
    code = f"import sys; from bench.cli import main; rc = main({argv!r}); print(rc, sorted(set({heavy!r}) & set(sys.modules)))"
    alone = run_python(code, check=False)
    assert alone.stdout.split() == ["0", "[]"] and "nothing new" in alone.stderr, (alone.stdout, alone.stderr)
    assert (tmp_path / "report.md").stat().st_mtime_ns == built
    assert main(["run", "--suite", "quick", "--methods", "empty,abs-corr", "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "report.md").stat().st_mtime_ns > built  # new jobs: rebuilt
