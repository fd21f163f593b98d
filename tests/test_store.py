"""Job files: complete or absent, readable by others, newest version of a job current."""
import json
import stat

import numpy as np

from bench.store import append_run, current_records, load_records, write_result


def _record(key, started, method="pc", seed=0, code="a"):
    return {"key": key, "method": method, "params": {"alpha": 0.05}, "dataset": "d1", "seed": seed,
            "started": started, "code": {"method": code}}


def test_files_are_readable_by_others(tmp_path):
    path = write_result(tmp_path, _record("k1", 1.0), {"scores": np.zeros((2, 2))})
    for p in (path, path.with_suffix(".npz")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644


def test_a_newer_record_of_the_same_job_supersedes_the_older(tmp_path):
    write_result(tmp_path, _record("old", 1.0, code="a"), None)
    write_result(tmp_path, _record("new", 2.0, code="b"), None)
    write_result(tmp_path, _record("other-seed", 1.5, seed=1), None)
    current, superseded = current_records(tmp_path)
    assert sorted(r["key"] for r in current) == ["new", "other-seed"]
    assert [r["key"] for r in superseded] == ["old"]
    assert len(load_records(tmp_path)) == 3  # the old file stays, for the audit


def test_run_json_keeps_every_run(tmp_path):
    append_run(tmp_path, {"started": 1})
    append_run(tmp_path, {"started": 2})
    assert [r["started"] for r in json.loads((tmp_path / "run.json").read_text())] == [1, 2]
