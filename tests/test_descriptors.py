"""Dataset descriptors from the data alone (datasets/descriptors.py): each moves with the property it names."""
import time

import numpy as np
import pytest

from datasets.descriptors import DESCRIPTORS, describe
from datasets.generator import SCMSpec, generate


def _d(seed=1, **spec):
    ds = generate(SCMSpec(**{"d": 10, "n": 1000, "expected_degree": 2.0, "scaling": "zscore", **spec}), seed)
    return describe(ds.X, ds.interventions)


def test_every_descriptor_is_a_finite_float_and_the_table_is_named():
    out = _d()
    assert tuple(out) == DESCRIPTORS and all(isinstance(v, float) and np.isfinite(v) for v in out.values())
    assert out["n"] == 1000 and out["d"] == 10 and out["intervened_row_share"] == 0


def test_nonlinear_mechanisms_raise_the_nonlinearity_score():
    lin = np.mean([_d(s)["nonlinearity_median"] for s in range(4)])
    quad = np.mean([_d(s, mechanism="quadratic")["nonlinearity_median"] for s in range(4)])
    assert lin < 0.005 and quad > lin + 0.02  # a median over variables, roots (no gain) included


def test_non_gaussian_noise_shows_in_the_residuals_and_marginals():
    g, lap, uni = (_d(3, noise=k) for k in ("gaussian", "laplace", "uniform"))
    assert abs(g["resid_kurtosis_median"]) < 0.5 < lap["resid_kurtosis_median"]
    assert uni["resid_kurtosis_median"] < -0.3
    assert g["gauss_distance_median"] < min(lap["gauss_distance_median"], uni["gauss_distance_median"])


def test_heteroscedastic_noise_raises_heteroscedasticity():
    homo = np.mean([_d(s)["heteroscedasticity_median"] for s in range(4)])
    hetero = np.mean([_d(s, heteroscedastic=True)["heteroscedasticity_median"] for s in range(4)])
    assert homo < 0.005 < hetero


def test_denser_graphs_have_more_dependent_pairs():
    sparse, dense = _d(5, expected_degree=1.0), _d(5, expected_degree=6.0)
    assert sparse["partial_dependent_share"] < dense["partial_dependent_share"]
    assert sparse["abs_corr_mean"] < dense["abs_corr_mean"]
    assert sparse["partial_degree_mean"] < dense["partial_degree_mean"]


def _star_and_chain(n=1000, d=10):
    """A hub with d - 1 children, and a chain: the same number of edges, opposite degree spreads."""
    rng = np.random.default_rng(0)
    hub = rng.normal(size=n)
    star = np.column_stack([hub] + [hub + rng.normal(size=n) for _ in range(d - 1)])
    chain = [rng.normal(size=n)]
    for _ in range(d - 1):
        chain.append(0.8 * chain[-1] + rng.normal(size=n))
    return star, np.column_stack(chain)


def test_a_hub_shows_in_the_partial_correlation_degrees():
    star_X, chain_X = _star_and_chain()
    star, chain = describe(star_X), describe(chain_X)
    assert star["partial_degree_mean"] == chain["partial_degree_mean"] == 1.8  # 9 edges over 10 variables each
    assert star["partial_degree_dispersion"] > 2.0 > 0.5 > chain["partial_degree_dispersion"]
    assert star["partial_leaf_share"] == 0.9 and chain["partial_leaf_share"] == 0.2
    assert star["partial_isolated_share"] == chain["partial_isolated_share"] == 0.0
    assert star["partial_strength_ratio"] > 3.0 > 1.5 > chain["partial_strength_ratio"]
    alone = describe(np.column_stack([star_X, np.random.default_rng(1).normal(size=len(star_X))]))
    assert alone["partial_isolated_share"] == 1 / 11 and alone["partial_leaf_share"] == 9 / 11


def test_scale_free_trees_have_leaves_and_no_isolated_variables():
    er = [_d(s) for s in range(4)]
    sf = [_d(s, graph="sf") for s in range(4)]  # Barabasi-Albert with one edge per new node: a tree
    assert min(x["partial_leaf_share"] for x in sf) > max(x["partial_leaf_share"] for x in er)
    assert all(x["partial_isolated_share"] == 0 for x in sf) and any(x["partial_isolated_share"] > 0 for x in er)


def test_a_mechanism_per_node_spreads_the_shape_of_the_bends():
    def spread(mech):
        return np.mean([_d(s, mechanism=mech)["nonlinear_even_sd"] for s in range(4)])

    quad, sine, mixed = spread("quadratic"), spread("sine"), spread(("quadratic", "sine"))
    assert sine < 0.05 and mixed > quad + 0.05 and mixed > sine + 0.2
    iqr = [np.mean([_d(s, mechanism=m)["nonlinearity_iqr"] for s in range(4)]) for m in ("linear", "quadratic")]
    assert iqr[0] < 0.01 < iqr[1]


def test_mask_ties_outliers_and_scales():
    ds = generate(SCMSpec(d=8, n=600, expected_degree=2.0, intervention_share=0.3, n_targets=2), 6)
    raw = describe(ds.X, ds.interventions)
    assert raw["intervened_row_share"] == pytest.approx(float(ds.interventions.any(axis=1).mean()))
    X = ds.X * np.logspace(0, 3, 8)
    assert describe(X)["log_var_spread"] > describe(ds.X)["log_var_spread"] + 1
    assert describe(np.round(ds.X))["tie_share"] > 0.9 > describe(ds.X)["tie_share"]
    Xo = ds.X.copy()
    Xo[:30, 0] = 1e3
    assert describe(Xo)["outlier_share"] > describe(ds.X)["outlier_share"]


def test_tiny_or_constant_tables_do_not_raise():
    assert describe(np.zeros((3, 4)))["d"] == 4
    out = describe(np.column_stack([np.ones(100), np.random.default_rng(0).normal(size=100)]))
    assert np.isfinite(out["abs_corr_mean"])


@pytest.mark.slow
def test_cost_at_d100_n2000_is_small():
    ds = generate(SCMSpec(d=100, n=2000, expected_degree=2.0, mechanism="mlp", scaling="zscore"), 7)
    describe(ds.X)
    t = time.perf_counter()
    describe(ds.X)
    assert time.perf_counter() - t < 3.0  # ~0.45 s on an idle core; a shared machine gets slack
