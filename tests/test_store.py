"""Job files: complete or absent, readable by others; the current code's record of a job is current."""
import json
import stat

import numpy as np
import pytest

from bench import store
from bench.store import append_run, current_records, load_records, stale_jobs, write_result


def _record(key, started, method="pc", seed=0, code="a"):
    return {"key": key, "method": method, "params": {"alpha": 0.05}, "dataset": "d1", "seed": seed,
            "started": started, "code": {"method": code}}


def test_files_are_readable_by_others(tmp_path):
    path = write_result(tmp_path, _record("k1", 1.0), {"scores": np.zeros((2, 2))})
    for p in (path, path.with_suffix(".npz")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_the_record_of_the_current_code_is_current_whatever_its_age(tmp_path, monkeypatch):
    """A newer record from other code (say, a change since reverted) does not replace the current code's."""
    monkeypatch.setattr(store, "code_now", lambda method, params: {"method": "a"})
    write_result(tmp_path, _record("old", 1.0, code="a"), None)
    write_result(tmp_path, _record("new", 2.0, code="b"), None)
    write_result(tmp_path, _record("other-seed", 1.5, seed=1), None)
    current, superseded = current_records(tmp_path)
    assert sorted(r["key"] for r in current) == ["old", "other-seed"]
    assert [r["key"] for r in superseded] == ["new"]
    assert stale_jobs(current, superseded) == {}
    assert len(load_records(tmp_path)) == 3  # the other file stays, for the audit


def test_of_two_records_of_the_current_code_the_newer_is_current(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "code_now", lambda method, params: {"method": "a"})
    write_result(tmp_path, _record("first", 1.0, code="a"), None)
    write_result(tmp_path, _record("forced", 2.0, code="a"), None)
    assert [r["key"] for r in current_records(tmp_path)[0]] == ["forced"]


def test_a_job_with_no_record_of_the_current_code_has_none_current_and_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "code_now", lambda method, params: {"method": "c"})
    write_result(tmp_path, _record("old", 1.0, code="a"), None)
    write_result(tmp_path, _record("new", 2.0, code="b"), None)
    current, superseded = current_records(tmp_path)
    assert current == [] and len(superseded) == 2
    assert stale_jobs(current, superseded) == {"pc": 1}


def test_where_the_code_cannot_be_compared_the_newest_record_is_current(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "code_now", lambda method, params: None)  # e.g. a class in a user's script
    write_result(tmp_path, _record("old", 1.0, code="a"), None)
    write_result(tmp_path, _record("new", 2.0, code="b"), None)
    assert [r["key"] for r in current_records(tmp_path)[0]] == ["new"]


@pytest.mark.parametrize("spec", ["abs-corr", "pc(alpha=0.2)", "tests.broken_methods:Slow(sleep=0.1)"])
def test_code_now_is_the_code_a_job_gets(spec):
    """The report's idea of the current code is the runner's, for registered, parametrised and imported methods."""
    import datasets
    from bench.jobs import build_jobs

    job = build_jobs([spec], [(datasets.load_suite("quick")[0], "quick", {})], 1)[0]
    assert store.code_now(job.method, job.params) == job.code


def test_run_json_keeps_every_run(tmp_path):
    append_run(tmp_path, {"started": 1})
    append_run(tmp_path, {"started": 2})
    assert [r["started"] for r in json.loads((tmp_path / "run.json").read_text())] == [1, 2]


def test_prune_deletes_superseded_files_only_where_the_job_has_a_current_record(tmp_path, monkeypatch, capsys):
    from bench.cli import main
    monkeypatch.setattr(store, "code_now", lambda method, params: {"method": "a" if method == "pc" else "z"})
    for key, started, method, code in [("old", 1.0, "pc", "a"), ("new", 2.0, "pc", "b"),
                                       ("ges-1", 1.0, "ges", "x"), ("ges-2", 2.0, "ges", "y")]:
        write_result(tmp_path, _record(key, started, method=method, code=code), {"scores": np.zeros((2, 2))})
    with store.folder_lock(tmp_path):  # a run writing to the folder: nothing is touched
        assert main(["prune", str(tmp_path)]) == 2
    assert "another bench run" in capsys.readouterr().err and len(load_records(tmp_path)) == 4
    assert main(["prune", str(tmp_path)]) == 0
    assert "removed 1 superseded job file" in capsys.readouterr().err
    left = sorted(p.name for p in (tmp_path / "jobs").iterdir())
    assert left == ["ges-1.json", "ges-1.npz", "ges-2.json", "ges-2.npz", "old.json", "old.npz"]  # stale ges kept
    assert [r["key"] for r in current_records(tmp_path)[1]] == ["ges-1", "ges-2"]
    assert main(["prune", str(tmp_path / "nowhere")]) == 2
