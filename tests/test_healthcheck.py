"""bench.check: the harness's failure checks as one in-process call (bench/healthcheck.py)."""
import re
import time
from pathlib import Path

import numpy as np
import pytest

from bench import check
from bench.healthcheck import FLAGS
from datasets import load_suite

README = Path(__file__).resolve().parent.parent / "bench" / "README.md"


def test_a_collapsed_callable_trips_every_collapse_flag():
    r = check(lambda X: np.zeros((X.shape[1], X.shape[1])), suite="quick", trivial=False)
    assert len(r) == len(load_suite("quick")) and set(FLAGS) <= set(r.columns)
    assert r[FLAGS].dtypes.map(lambda t: t == bool).all()
    assert r["empty_output"].all() and r["constant_scores"].all() and r["chance_auroc"].all()
    assert r["dependence_blind"].all() and (r["auroc"] == 0.5).all()


def test_a_working_callable_trips_none_and_is_compared_with_the_trivial_baselines():
    r = check(lambda X: np.abs(np.corrcoef(X, rowvar=False)), suite="quick")
    assert (r["status"] == "ok").all()
    assert not r[["failed", "empty_output", "constant_scores", "dependence_blind"]].any().any()
    assert r["trivial_auroc"].notna().all() and (r["auroc"] <= r["trivial_auroc"] + 1e-12).all()
    assert r["no_better_than_trivial"].all()  # |corr| is itself a trivial baseline: never above the best of them


def test_a_registered_name_with_parameters_in_the_string_or_as_keywords():
    a = check("pc(alpha=0.2)", suite="quick", probe=False, trivial=False)
    b = check("pc", suite="quick", probe=False, trivial=False, alpha=0.2)
    c = check("pc", suite="quick", probe=False, trivial=False)
    assert a["shd"].tolist() == b["shd"].tolist()
    assert a["n_pred_edges"].sum() >= c["n_pred_edges"].sum()  # a larger alpha keeps more edges
    assert a.attrs["method"] == "pc"


def test_bad_input_is_one_clear_error():
    with pytest.raises(ValueError, match="unknown method 'pcc'"):
        check("pcc")
    with pytest.raises(ValueError, match="no parameter 'alpah'"):
        check("pc(alpah=0.1)")
    with pytest.raises(ValueError, match="suite"):
        check("pc", suite="no-such-suite")
    with pytest.raises(ValueError, match="Method, a method name or a callable"):
        check(42)


def test_a_spent_budget_stops_fitting_and_says_so():
    calls = []

    def slow(X):
        calls.append(1)
        time.sleep(0.3)
        return np.abs(np.corrcoef(X, rowvar=False))

    r = check(slow, suite="quick", budget_s=0.1, probe=False, trivial=False)
    assert len(calls) == 1 and r["status"].tolist() == ["ok", "skipped", "skipped", "skipped"]
    assert r["budget_exceeded"].tolist() == [False, True, True, True] and not r.loc[1:, FLAGS].any().any()


def test_an_error_is_a_result():
    def broken(X):
        raise RuntimeError("boom")

    r = check(broken, suite=load_suite("quick")[:2])
    assert r["failed"].all() and r["error"].str.contains("boom").all() and len(r) == 2


@pytest.mark.slow
def test_the_shipped_models_collapsed_and_working_in_seconds():
    t = time.perf_counter()
    seed = check("tabscm-seed", suite="quick")
    t_seed = time.perf_counter() - t
    t = time.perf_counter()
    good = check("tabscm", suite="quick")
    t_good = time.perf_counter() - t
    assert seed["empty_output"].all() and not good["empty_output"].any()
    assert not good["dependence_blind"].any() and good["auroc"].min() > 0.8
    assert t_seed < 60 and t_good < 60  # 30 s each on an idle machine; a shared one gets slack


@pytest.mark.slow
def test_the_readme_training_loop_runs_as_written(capsys):
    text = README.read_text()
    section = text[text.index("## Checking a model while it trains"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "check(scores" in code
    exec(compile(code, "bench/README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert out.count("step ") == 3 and "AUROC" in out


def test_a_method_instance_on_a_list_of_datasets():
    from methods import get_method

    data = load_suite("quick")[:2]
    r = check(get_method("abs-corr"), suite=data, probe=False, edges_per_node=2.0)
    assert r["dataset"].tolist() == [ds.name for ds in data] and (r["n_pred_edges"] == 2 * r["d"]).all()
