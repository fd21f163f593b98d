"""bench compare: two folders paired on the jobs they share."""
import json

import pandas as pd
import pytest

from bench.cli import main
from bench.compare import compare_folders
from bench.store import write_result
from tests.test_tables import record


def _folder(path, records):
    for r in records:
        write_result(path, r, None)
    return path


def test_shared_jobs_are_paired_and_changes_and_strays_listed(tmp_path):
    a = _folder(tmp_path / "a", [record("tabscm", f"d{i}", auroc=0.7) for i in range(4)] + [record("pc", "d9")])
    b = _folder(tmp_path / "b", [record("tabscm", f"d{i}", auroc=0.7 + 0.1 * (i > 0)) for i in range(4)]
                + [record("tabscm", "d5")])
    table, changed, only = compare_folders(a, b)
    row = table[(table["method"] == "tabscm") & (table["metric"] == "auroc")].iloc[0]
    assert (row["jobs"], row["datasets"], row["wins_b"], row["ties"], row["losses_b"]) == (4, 4, 3, 1, 0)
    assert row["mean_diff"] == pytest.approx(0.075) and row["mean_a"] == pytest.approx(0.7)
    assert sorted(changed["dataset"]) == ["d1", "d2", "d3"]
    assert sorted(map(tuple, only[["method", "dataset", "only_in"]].to_numpy().tolist())) == [
        ("pc", "d9", "A"), ("tabscm", "d5", "B")]


def test_bench_compare_writes_its_table_where_asked(tmp_path, capsys):
    a = _folder(tmp_path / "a", [record("pc", f"d{i}", shd=5.0) for i in range(3)])
    b = _folder(tmp_path / "b", [record("pc", f"d{i}", shd=4.0) for i in range(3)])
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp")]) == 0
    csv = pd.read_csv(tmp_path / "cmp" / "compare.csv").set_index(["method", "metric"])
    assert csv.loc[("pc", "shd"), "wins_b"] == 3 and csv.loc[("pc", "shd"), "mean_diff"] == -1.0
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "3 jobs shared" in md and "| pc | shd | 3 | 3 | 5.000 | 4.000 | 3 / 0 / 0 | -1.000 [-1.00, -1.00]" in md
    assert main(["compare", str(a), str(tmp_path / "nowhere")]) == 2
    assert "no jobs/ folder here" in capsys.readouterr().err
