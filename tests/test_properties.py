"""Dataset diagnostics: sortability via CausalDisco, density, degrees, intervened rows."""

import numpy as np
import pytest

import datasets
from datasets import Dataset
from datasets.generator import SCMSpec, generate
from datasets.properties import dataset_properties


def chain(d=8, n=2000, iscm=False, seed=0):
    rng = np.random.default_rng(seed)
    X = np.zeros((n, d))
    for j in range(d):
        x = rng.standard_normal(n) + (1.5 * X[:, j - 1] if j else 0.0)
        X[:, j] = (x - x.mean()) / x.std() if iscm else x
    A = np.eye(d, k=1, dtype=int)
    return Dataset("chain-iscm" if iscm else "chain", X, A, meta={"noise": "gaussian"})


def test_raw_chain_is_varsortable_iscm_is_not():
    raw, std = dataset_properties(chain()), dataset_properties(chain(iscm=True))
    assert raw["var_sortability"] > 0.9
    assert std["var_sortability"] < 0.7 and raw["var_sortability"] - std["var_sortability"] > 0.3
    assert raw["n_edges"] == 7 and raw["max_in_degree"] == 1
    assert raw["edge_density"] == pytest.approx(7 / 28) and raw["mean_in_degree"] == pytest.approx(7 / 8)
    assert raw["noise"] == "gaussian" and raw["intervened_row_share"] == 0.0


def test_generated_raw_vs_iscm():
    spec = SCMSpec(d=20, n=1000, expected_degree=3)
    raw = dataset_properties(generate(spec, 4))
    iscm = dataset_properties(generate(spec.replace(scaling="iscm"), 4))
    assert raw["var_sortability"] > 0.8 and raw["var_sortability"] > iscm["var_sortability"] + 0.2
    assert 0 <= raw["r2_sortability"] <= 1 and 0 <= iscm["r2_sortability"] <= 1


def test_empty_and_cyclic_truth_give_nan():
    ds = chain()
    empty = Dataset("e", ds.X, np.zeros((8, 8), int))
    p = dataset_properties(empty)
    assert np.isnan(p["var_sortability"]) and np.isnan(p["r2_sortability"]) and p["n_edges"] == 0
    A = np.eye(8, k=1, dtype=int)
    A[7, 0] = 1
    p = dataset_properties(Dataset("c", ds.X, A))
    assert np.isnan(p["var_sortability"]) and p["truth_is_dag"] is False
    cdt = dataset_properties(datasets.load_dataset("sachs-obs853-cdt18"))
    assert np.isnan(cdt["r2_sortability"]) and cdt["truth_is_dag"] is False and cdt["noise"] == "unknown"


def test_no_truth_csv_has_nan_structure(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n2,1\n3,5\n")
    props = dataset_properties(datasets.from_csv(p))
    assert props["has_truth"] is False and np.isnan(props["edge_density"]) and np.isnan(props["var_sortability"])


def test_intervened_rows_share_and_observational_sortability():
    ds = datasets.load_dataset("sachs-int7466")
    p = dataset_properties(ds)
    assert p["intervened_row_share"] == pytest.approx(1 - (853 + 902 + 848) / 7466)
    obs_only = Dataset("obs", ds.X[~ds.interventions.any(axis=1)], ds.graph)
    assert p["var_sortability"] == dataset_properties(obs_only)["var_sortability"]


def test_a_large_interventional_dataset():
    ds = generate(SCMSpec(d=100, n=2000, edge_prob=0.3, intervention_share=0.2), 1)
    p = dataset_properties(ds)
    assert p["d"] == 100 and 0 < p["intervened_row_share"] < 0.3
    assert 0 <= p["var_sortability"] <= 1 and 0 <= p["r2_sortability"] <= 1


def test_suite_summary_records_sortability():
    from datasets.properties import summarize, suite_properties
    quick = suite_properties("quick")
    assert quick["datasets"] == 4 and 0 <= quick["mean_var_sortability"] <= 1 and quick["noise"] == "gaussian"
    both = summarize([dataset_properties(chain()), dataset_properties(chain(iscm=True))])
    assert both["mean_n_edges"] == 7 and 0.75 < both["mean_var_sortability"] < 0.85
