"""bench compare: two folders paired on the jobs they share."""
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


def test_by_name_pairs_a_candidate_setting_with_the_shipped_one_suite_by_suite(tmp_path, capsys):
    cand = "tabscm(checkpoint='new.pt')"
    a = _folder(tmp_path / "a", [record("tabscm", f"{s}{i}", suite=s, auroc=0.8) for s in "xy" for i in range(3)])
    b = _folder(tmp_path / "b", [record("tabscm", f"x{i}", label=cand, suite="x", auroc=0.9) for i in range(3)]
                + [record("tabscm", f"y{i}", label=cand, suite="y", auroc=0.7) for i in range(3)])
    table, _, only = compare_folders(a, b)
    assert table.empty and len(only) == 12  # by setting, nothing pairs
    table, _, only = compare_folders(a, b, by_name=True, per_suite=True)
    auroc = table[table["metric"] == "auroc"].set_index("suite")
    assert auroc.loc["all", "datasets"] == 6 and auroc.loc["all", "mean_diff"] == pytest.approx(0.0)
    assert (auroc.loc["x", "wins_b"], auroc.loc["y", "losses_b"]) == (3, 3)
    assert auroc.loc["x", "mean_diff"] == pytest.approx(0.1) and auroc.loc["y", "mean_diff"] == pytest.approx(-0.1)
    assert set(auroc["setting_b"]) == {cand} and set(auroc["setting_a"]) == {"tabscm"} and only.empty
    assert main(["compare", str(a), str(b), "--by-name", "--per-suite", "--out", str(tmp_path / "cmp")]) == 0
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert f"Paired by name: `tabscm` (A) with `{cand}` (B)." in md and "| tabscm | y | auroc | 3 | 3 |" in md


def test_by_name_refuses_two_settings_of_a_shared_name_and_ignores_unshared_ones(tmp_path, capsys):
    pc2, ges2 = record("pc", "d0", label="pc(alpha=0.2)"), record("ges", "d0", label="ges(score='bic')")
    pc2["params"], ges2["params"] = {"alpha": 0.2}, {"score": "bic"}
    a = _folder(tmp_path / "a", [record("pc", "d0"), pc2, record("ges", "d0")])
    b = _folder(tmp_path / "b", [ges2])
    table, _, _ = compare_folders(a, b, by_name=True)
    assert set(table["method"]) == {"ges"}
    b2 = _folder(tmp_path / "b2", [record("pc", "d0")])
    assert main(["compare", str(a), str(b2), "--by-name", "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds 2 settings of pc (pc, pc(alpha=0.2))" in err and len(err.splitlines()) == 1
