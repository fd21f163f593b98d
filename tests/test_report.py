"""The report states failures and shortcuts in plain words, from the results alone."""
import os
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main

B = "tests.broken_methods:"
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_report_flags_a_variance_shortcut(tmp_path):
    # the same graphs raw and z-scored: ordering by variance works only on the raw ones
    assert main(["run", "--suite", "linear-raw,linear-zscore", "--methods",
                 f"{B}VarianceOrder,abs-corr,partial-corr", "--out", str(tmp_path), "--quiet",
                 "--n-jobs", "2"]) == 0
    report = (tmp_path / "report.md").read_text()
    section = report.split("## Shortcuts")[1]
    assert f"**{B}VarianceOrder** orients edges by a scale shortcut" in section
    assert "best_trivial" in section and "partial-corr" in section
    assert (tmp_path / "plots" / "shortcuts.png").exists()


@pytest.mark.slow
def test_collapsed_model_is_called_out(tmp_path):
    assert main(["run", "--suite", "quick", "--methods", "empty,abs-corr", "--out", str(tmp_path),
                 "--quiet"]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "**empty** predicted **no edges at all** on every one of its 4 jobs" in report
    diag = pd.read_csv(tmp_path / "diagnostics.csv").set_index("method")
    assert diag.loc["empty", "empty_output"] == 4 and diag.loc["empty", "constant_scores"] == 4
    assert diag.loc["abs-corr", "empty_output"] == 0


@pytest.mark.slow
def test_user_csv_with_and_without_truth(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal(300)
    b = 2 * a + rng.standard_normal(300)
    c = b + rng.standard_normal(300)
    data = tmp_path / "data.csv"
    pd.DataFrame({"a": a, "b": b, "c": c}).to_csv(data, index=False)
    truth = tmp_path / "truth.csv"
    truth.write_text("cause,effect\na,b\nb,c\n")
    assert main(["run", "--data", str(data), "--truth", str(truth), "--methods", "abs-corr",
                 "--out", str(tmp_path / "with"), "--quiet"]) == 0
    df = pd.read_csv(tmp_path / "with" / "jobs.csv")
    assert df["n_true_edges"].iloc[0] == 2 and df["auroc"].iloc[0] > 0.5
    assert main(["run", "--data", str(data), "--methods", "abs-corr", "--out", str(tmp_path / "without"),
                 "--quiet"]) == 0
    df = pd.read_csv(tmp_path / "without" / "jobs.csv")
    assert df["status"].iloc[0] == "ok" and np.isnan(df["auroc"].iloc[0])
    # in a folder that has scored jobs on the same table with its truth, the truth-less job is not judged
    assert main(["run", "--data", str(data), "--methods", "pc", "--out", str(tmp_path / "with"), "--quiet"]) == 0
    df = pd.read_csv(tmp_path / "with" / "jobs.csv").set_index("method")
    assert not df.loc["pc", "no_better_than_trivial"] and np.isnan(df.loc["pc", "auroc"])


@pytest.mark.slow
def test_bad_csv_is_one_line_and_keeps_earlier_results(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--suite", "quick", "--methods", "empty", "--out", str(out), "--quiet"]) == 0
    before = sorted(p.name for p in (out / "jobs").glob("*.json"))
    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n5,6\n")
    assert main(["run", "--data", str(bad), "--methods", "empty", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.csv" in err[0]
    assert sorted(p.name for p in (out / "jobs").glob("*.json")) == before
    assert Path(out / "report.md").exists()


def _write_run(out, records):
    from bench.store import write_result

    for r in records:
        write_result(out, r, None)


def test_report_leads_with_the_verdict_and_reports_tuebingen(tmp_path):
    from bench.report import build_outputs
    from tests.test_tables import record

    tb = {"mechanism": "real (Tübingen)", "ood": True, "d": 2}
    recs = [record("tabscm", f"pair{i:04d}", suite="tuebingen", learned=True, tags=tb, auroc=0.5,
                   orientation_accuracy=acc) for i, acc in enumerate([1.0, 0.0, 1.0, 1.0])]
    recs += [record("partial-corr", f"pair{i:04d}", suite="tuebingen", tags=tb, auroc=0.6,
                    orientation_accuracy=0.5) for i in range(4)]
    _write_run(tmp_path, recs)
    build_outputs(tmp_path)
    report = (tmp_path / "report.md").read_text()
    sections = [line for line in report.splitlines() if line.startswith("## ")]
    assert sections[:2] == ["## Verdict", "## Failure findings"]
    verdict = report.split("## Verdict")[1].split("## ")[0]
    assert "**tabscm** (learned) does not beat the best trivial baseline on `tuebingen`" in verdict
    tueb = report.split("## Tübingen cause–effect pairs")[1].split("\n## ")[0]
    assert "| tabscm | 0.750 [" in tueb and "| 4 |" in tueb
    assert "unweighted: the benchmark's usual weights by source are not available offline" in tueb
    assert "Mooij et al. (JMLR 2016)" in tueb and "0.6–0.75" in tueb


def test_a_synthetic_pairs_suite_gets_its_section_with_equal_scores_and_kinds(tmp_path):
    """Any suite of d = 2 datasets is read by orientation; where its pairs have kinds, per kind. Equal scores are
    counted per job, so a stochastic method whose two seeds disagree (1 and 0, mean 1/2) makes a call."""
    from bench.report import build_outputs
    from tests.test_tables import record

    kinds = ["anm", "anm", "linear-gaussian", "linear-gaussian"]
    recs = [record("tabscm", f"p{i}", suite="pairs", learned=True, tags={"d": 2, "kind": k},
                   orientation_accuracy=acc) for i, (k, acc) in enumerate(zip(kinds, [1.0, 0.0, 0.5, 0.5]))]
    recs += [record("anm", f"p{i}", suite="pairs", seed=seed, tags={"d": 2, "kind": k},
                    orientation_accuracy=float(seed == 0)) for i, k in enumerate(kinds) for seed in (0, 1)]
    recs += [record("pc", "big", suite="other", tags={"d": 5})]
    _write_run(tmp_path, recs)
    build_outputs(tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "`pairs`" in report and "suite's cause–effect section" in report.split("## Failure findings")[0]
    section = report.split("## Cause–effect pairs: `pairs`")[1].split("\n## ")[0]
    assert "| tabscm | 0.500 [" in section and "| 4 | 0.50 |" in section  # two of four pairs scored equal
    assert "| anm | 0.500 [" in section and "| 4 | 0.00 |" in section   # seeds disagree: no equal scores
    assert "| method | anm | linear-gaussian |" in section and "| tabscm | 0.50 | 0.50 |" in section
    assert "Cause–effect pairs: `other`" not in report and "Tübingen" not in report


def test_a_figure_an_earlier_report_drew_and_this_one_does_not_is_removed(tmp_path):
    from bench.report import build_outputs
    from tests.test_tables import record

    _write_run(tmp_path, [record("pc", f"d{i}", tags={"d": 5}) for i in range(2)])
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "auroc_by_mechanism_of_an_older_run.png").write_bytes(b"old")
    build_outputs(tmp_path)
    drawn = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert drawn and "auroc_by_mechanism_of_an_older_run.png" not in drawn
    assert all(f"(plots/{name})" in (tmp_path / "report.md").read_text() for name in drawn)


def test_report_has_no_tuebingen_section_without_the_suite(tmp_path):
    from bench.report import build_outputs
    from tests.test_tables import record

    _write_run(tmp_path, [record("pc", f"d{i}") for i in range(2)])
    build_outputs(tmp_path)
    assert "Tübingen" not in (tmp_path / "report.md").read_text()


@pytest.mark.slow
def test_superseded_and_stale_records_are_said_first(tmp_path):
    """A newer record of a job from other code is superseded: out of every table, with a line at the top. A job
    whose only record is from other code has no current record: out of the tables, and the report says so."""
    import json

    assert main(["run", "--suite", "quick", "--methods", "abs-corr", "--out", str(tmp_path), "--quiet"]) == 0
    files = sorted((tmp_path / "jobs").glob("*.json"))
    older = json.loads(files[0].read_text())
    newer = dict(older, key="0" * 20, started=older["started"] + 1, code={**older["code"], "method": "changed"})
    (tmp_path / "jobs" / f"{newer['key']}.json").write_text(json.dumps(newer))
    assert main(["report", str(tmp_path)]) == 0
    head = (tmp_path / "report.md").read_text().split("## Verdict")[0]
    assert "**1 job file is superseded**" in head and "The current code has no record" not in head
    jobs = pd.read_csv(tmp_path / "jobs.csv", dtype={"key": str})
    assert len(jobs) == len(files) and "0" * 20 not in set(jobs["key"])

    other = json.loads(files[1].read_text())  # this job's only record now comes from code this tree does not hold
    files[1].write_text(json.dumps(dict(other, code={**other["code"], "scoring": "gone"})))
    assert main(["report", str(tmp_path)]) == 0
    head = (tmp_path / "report.md").read_text().split("## Verdict")[0]
    assert "**The current code has no record for 1 job** that this folder's runs asked for (abs-corr: 1)" in head
    assert "**2 job files are superseded**" in head
    jobs = pd.read_csv(tmp_path / "jobs.csv", dtype={"key": str})
    assert len(jobs) == len(files) - 1 and other["key"] not in set(jobs["key"])


CORR = """import numpy as np
from methods import Method, Prediction


class Corr(Method):
    \"\"\"|corr| as scores{flip}.\"\"\"

    def fit(self, obs):
        C = np.abs(np.corrcoef(np.asarray(obs.X), rowvar=False))
        np.fill_diagonal(C, 0)
        S = {scores}
        np.fill_diagonal(S, 0)
        return Prediction(S, np.zeros(S.shape, int), info=self.describe())
"""


@pytest.mark.slow
def test_after_a_change_is_reverted_the_tables_show_the_reverted_codes_results(tmp_path):
    """Change a method's module, run, revert it, run again: the second run's records are newer, but the code
    they came from is gone; the leaderboard shows the first run's numbers again and nothing is stale."""
    import subprocess
    import sys

    pkg = tmp_path / "userpkg"
    pkg.mkdir()
    module, out = pkg / "corr.py", tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(pkg)])}
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", "corr:Corr", "--out", str(out),
           "--quiet"]

    def run(scores: str) -> float:
        module.write_text(CORR.format(flip="" if scores == "C" else ", flipped", scores=scores))
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        return float(pd.read_csv(out / "leaderboard.csv")["auroc_mean"].iloc[0])

    original = run("C")
    changed = run("1 - C")
    assert changed < original
    assert run("C") == original  # (its jobs are skipped: their records match this code)
    head = (out / "report.md").read_text().split("## Verdict")[0]
    assert "The current code has no record" not in head and "**4 job files are superseded**" in head


def _coverage_jobs():
    import pandas as pd
    rows = [{"method": "tabscm", "method_name": "tabscm", "params": "{}", "dataset": "sachs-obs853", "tier": "real",
             "outside_training": True, "outside_descriptors": "kurtosis_max, n",
             "outside_detail": "kurtosis_max 757 (training 99.5th percentile 446); n 853 (in the training range, "
                               "percentile 80, but not for data like these otherwise)",
             "ds_kurtosis_max": 757.0, "ds_n": 853.0, "ds_abs_corr_mean": 0.1, "ds_nonlinearity_median": 0.0},
            {"method": "tabscm", "method_name": "tabscm", "params": "{}", "dataset": "default-linear-d10-raw",
             "tier": "small", "outside_training": False, "outside_descriptors": "", "outside_detail": "",
             "ds_kurtosis_max": 0.3, "ds_n": 1000.0, "ds_abs_corr_mean": 0.3, "ds_nonlinearity_median": 0.0},
            {"method": "pc", "method_name": "pc", "params": "{}", "dataset": "sachs-obs853", "tier": "real",
             "outside_training": None, "outside_descriptors": None, "outside_detail": None,
             "ds_kurtosis_max": 757.0, "ds_n": 853.0, "ds_abs_corr_mean": 0.1, "ds_nonlinearity_median": 0.0}]
    return pd.DataFrame(rows)


def test_the_coverage_section_says_per_learned_method_where_each_dataset_lies():
    from bench.report import training_coverage_lines
    lines = training_coverage_lines(_coverage_jobs())
    assert "- **tabscm**: 1 of 2 datasets lie outside its training data." in lines
    assert ("  - on sachs-obs853, tabscm's input lies outside its training data on: kurtosis_max 757 (training 99.5th "
            "percentile 446); n 853 (in the training range, percentile 80, but not for data like these otherwise).") in lines
    assert "  - inside its training data: default-linear-d10-raw." in lines
    assert not any("**pc**" in line for line in lines)
    assert training_coverage_lines(_coverage_jobs().drop(columns=["outside_training"]))[0].startswith("No learned method")


@pytest.mark.slow
def test_every_figure_is_drawn_on_a_small_run_and_a_broken_one_is_said_loudly(tmp_path, capsys, monkeypatch):
    """Each figure function of the report, called directly on a real run, draws a non-empty PNG; one made to
    raise is named at the top of report.md and in one line on stderr, and costs no other output."""
    from bench import plots
    from bench.leaderboard import leaderboard
    from bench.paired import rank_matrices, rank_test
    from bench.report import FIGURES
    from bench.store import current_records
    from bench.tables import jobs_table

    out = tmp_path / "run"
    assert main(["run", "--suite", "default", "--methods", "abs-corr,partial-corr,tabscm,empty", "--out", str(out),
                 "--quiet", "--n-jobs", "2"]) == 0
    jobs = jobs_table(current_records(out)[0])
    lb = leaderboard(jobs)
    cd = [(s, t, *rank_test(m)) for s, t, m in rank_matrices(jobs, lb)]
    inputs = {"run_dir": out, "lb": lb, "cd": cd}
    for name, needs in FIGURES:
        made = getattr(plots, name)(jobs, *(inputs[k] for k in needs), tmp_path / "figs")
        made = made if isinstance(made, list) else [made]
        assert made and all(p.read_bytes()[:4] == b"\x89PNG" and p.stat().st_size > 5000 for p in made), name
    capsys.readouterr()

    def broken(*args, **kwargs):
        raise RuntimeError("planted")

    monkeypatch.setattr(plots, "pr_curves", broken)
    monkeypatch.setattr(plots, "cd_diagrams", broken)
    assert main(["report", str(out)]) == 0
    head = (out / "report.md").read_text().split("## Verdict")[0]
    assert "**2 figures could not be drawn**: `pr_curves`: RuntimeError: planted; `cd_diagrams`: RuntimeError" in head
    err = capsys.readouterr().err
    assert "figure pr_curves could not be drawn: RuntimeError: planted\n" in err and "figure cd_diagrams" in err
    assert (out / "leaderboard.csv").exists() and (out / "plots" / "auroc_vs_d.png").exists()
