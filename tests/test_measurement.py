"""The measurement layer: what it changes, and that it leaves the SCM (and every earlier spec's data) alone."""
import numpy as np
import pytest
from scipy.stats import kurtosis, spearmanr

from datasets import measurement
from datasets.generator import SCMSpec, generate

BASE = SCMSpec(d=12, n=800, expected_degree=2.0, mechanism="linear", scaling="zscore")


def test_every_response_is_monotone_so_ranks_are_kept_and_the_scm_is_the_same():
    plain = generate(BASE, 3)
    bent = generate(BASE.replace(distortion=("exp", "tanh", "cube", "log")), 3)
    assert np.array_equal(plain.graph, bent.graph)
    assert set(bent.meta["distortions"]) <= {"exp", "tanh", "cube", "log"}
    assert np.allclose(spearmanr(plain.X).statistic, spearmanr(bent.X).statistic)
    assert not np.allclose(plain.X, bent.X)
    for kind in ("exp", "tanh", "cube", "log"):
        x = np.linspace(-3, 3, 101)[:, None]
        y, _ = measurement.distort(np.random.default_rng(0), x, (kind,))
        assert np.all(np.diff(y[:, 0]) > 0), kind


def test_exp_and_cube_give_the_heavy_tails_the_suite_is_about():
    bent = generate(BASE.replace(distortion=("exp", "cube")), 4)
    assert np.median(kurtosis(bent.X)) > 3.0
    assert abs(np.median(kurtosis(generate(BASE, 4).X))) < 1.0


def test_hidden_nodes_leave_the_dag_among_the_measured_ones():
    spec = BASE.replace(hidden=3)
    ds = generate(spec, 5)
    full = generate(BASE.replace(d=15), 5)  # the same SCM, all of it measured
    assert ds.X.shape == (800, 12) and ds.graph.shape == (12, 12)
    kept = [j for j in range(15) if any(np.allclose(full.X[:, j], ds.X[:, k]) for k in range(12))]
    assert len(kept) == 12
    assert np.array_equal(ds.graph, full.graph[np.ix_(kept, kept)])
    gone = sorted(set(range(15)) - set(kept))
    assert ds.meta["hidden_confounders"] == int((full.graph[gone].sum(axis=1) >= 2).sum()) >= 1
    assert len(ds.meta["node_mechanisms"]) == 12


def test_outliers_noise_and_regimes_change_the_data_not_the_graph():
    plain = generate(BASE, 6)
    for change in ({"outliers": 0.05}, {"measurement_noise": 0.3}, {"regimes": 2}):
        ds = generate(BASE.replace(**change), 6)
        assert np.array_equal(ds.graph, plain.graph), change
        assert not np.allclose(ds.X, plain.X), change
    out = generate(BASE.replace(outliers=0.05), 6)
    assert 0.02 * 800 <= out.meta["outlying_rows"] <= 0.08 * 800
    assert np.abs(out.X).max() > np.abs(plain.X).max() + 2
    noisy = generate(BASE.replace(measurement_noise=0.3), 6)
    assert np.corrcoef(noisy.X[:, 0], plain.X[:, 0])[0, 1] == pytest.approx(1 / np.sqrt(1.09), abs=0.03)


def test_defaults_leave_the_spec_dict_and_the_data_as_before():
    assert set(BASE.to_dict()) == {"d", "n", "graph", "edge_prob", "expected_degree", "mechanism", "weight_range",
                                   "noise", "heteroscedastic", "noise_scale", "intervention_share", "n_targets",
                                   "intervention", "scaling", "max_rows"}
    assert not BASE.measured and BASE.replace(outliers=0.01).measured
    spec = BASE.replace(distortion=("exp",), hidden=1, regimes=2)
    assert SCMSpec.from_dict(spec.to_dict()) == spec


def test_bad_measurement_fields_are_refused():
    with pytest.raises(ValueError, match="distortion"):
        BASE.replace(distortion=("sqrt",))
    with pytest.raises(ValueError, match="outliers"):
        BASE.replace(outliers=0.6)
    with pytest.raises(ValueError, match="regimes"):
        BASE.replace(regimes=0)
