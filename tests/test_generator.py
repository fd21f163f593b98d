"""The SCM generator: determinism across processes, permuted node order, masks, scale, density."""
import hashlib

import numpy as np
import pytest

from datasets.generator import NONLINEAR, MECHANISMS, NOISES, SCMSpec, generate, topological_order
from tests.fresh import run_python

DIGEST_SNIPPET = """
import hashlib, sys
from datasets.generator import SCMSpec, generate
spec = SCMSpec(d=12, n=300, edge_prob=0.4, mechanism=("linear", "mlp", "quadratic", "threshold"),
               noise="laplace", intervention_share=0.3, n_targets=3, scaling="iscm")
ds = generate(spec, 123)
h = hashlib.sha256(ds.X.tobytes() + ds.graph.tobytes() + ds.interventions.tobytes())
print(h.hexdigest())
"""


def _digest_in_subprocess() -> str:
    out = run_python(DIGEST_SNIPPET, timeout=60)
    return out.stdout.strip()


def test_same_spec_and_seed_give_identical_bytes_in_two_processes():
    a, b = _digest_in_subprocess(), _digest_in_subprocess()
    assert a == b and len(a) == 64
    spec = SCMSpec(d=12, n=300, edge_prob=0.4, mechanism=("linear", "mlp", "quadratic", "threshold"),
                   noise="laplace", intervention_share=0.3, n_targets=3, scaling="iscm")
    ds = generate(spec, 123)
    here = hashlib.sha256(ds.X.tobytes() + ds.graph.tobytes() + ds.interventions.tobytes()).hexdigest()
    assert here == a


def test_different_seeds_differ():
    spec = SCMSpec(d=8, n=100)
    assert not np.array_equal(generate(spec, 1).X, generate(spec, 2).X)


def test_node_order_is_permuted():
    """Over many draws the truth is not upper-triangular, and every index is sometimes a root."""
    spec = SCMSpec(d=6, n=10, edge_prob=0.6)
    upper, lower, roots = 0, 0, np.zeros(6)
    for seed in range(60):
        A = generate(spec, seed).graph
        upper += np.triu(A, 1).sum()
        lower += np.tril(A, -1).sum()
        roots += A.sum(axis=0) == 0
    assert lower > 0.3 * (upper + lower) and upper > 0.3 * (upper + lower)
    assert (roots > 0).all()


def test_truth_is_a_dag_and_data_follow_its_order():
    ds = generate(SCMSpec(d=15, n=2000, max_rows=2000, edge_prob=0.5), 0)
    order = topological_order(ds.graph)
    assert sorted(order) == list(range(15))
    assert np.trace(ds.graph) == 0
    assert all(ds.graph[j, i] == 0 for k, i in enumerate(order) for j in order[k:])  # no edge points back
    # local Markov property: given its parents, a variable is uncorrelated with its non-descendants
    # (linear data, so the OLS residual carries it); a graph whose rows and columns were swapped fails
    X, A = ds.X - ds.X.mean(0), ds.graph
    reach = np.linalg.matrix_power(np.eye(15, dtype=int) + A, 15) > 0  # reach[i, j]: j descends from i
    checked = 0
    for j in range(15):
        pa = np.flatnonzero(A[:, j])
        others = [k for k in range(15) if not reach[j, k] and k not in pa]
        if not others:
            continue
        resid = X[:, j] - X[:, pa] @ np.linalg.lstsq(X[:, pa], X[:, j], rcond=None)[0] if len(pa) else X[:, j]
        r = np.corrcoef(np.column_stack([resid, X[:, others]]).T)[0, 1:]
        assert np.abs(r).max() < 4 / np.sqrt(ds.n), (j, pa, others, r)
        checked += len(others)
    assert checked > 10
    with pytest.raises(AssertionError):  # the same check against the transposed graph fails
        pa = np.flatnonzero(A.T[:, order[0]])
        others = [k for k in range(15) if k not in pa and k != order[0]]
        resid = X[:, order[0]] - X[:, pa] @ np.linalg.lstsq(X[:, pa], X[:, order[0]], rcond=None)[0]
        assert np.abs(np.corrcoef(np.column_stack([resid, X[:, others]]).T)[0, 1:]).max() < 4 / np.sqrt(ds.n)


def test_mask_marks_exactly_the_set_cells():
    spec = SCMSpec(d=10, n=2000, expected_degree=2, intervention_share=0.4, n_targets=3)
    ds = generate(spec, 5)
    M = ds.interventions
    assert M.shape == (2000, 10) and M.dtype == bool
    assert (M.sum(axis=1) <= 1).all()                       # one target per intervened row
    assert abs(M.any(axis=1).mean() - 0.4) < 0.05
    targets = np.flatnonzero(M.any(axis=0))
    assert len(targets) == 3 and ds.meta["intervention_targets"] == targets.tolist()
    # do: set cells sit U(2, 4) sds from the mean of the rows not intervened on that target
    # (datasets.generator.intervention_plan); z-scoring the column afterwards moves neither
    for j in targets:
        rows = M[:, j]
        z = (ds.X[rows, j] - ds.X[~rows, j].mean()) / ds.X[~rows, j].std()
        assert np.abs(z).min() >= 2 - 1e-9 and np.abs(z).max() <= 4 + 1e-9
        assert np.abs(z).max() - np.abs(z).min() > 1  # drawn, not one constant
    assert generate(SCMSpec(d=5, n=50), 5).interventions is None


def test_same_seed_same_scm_across_scaling_and_n():
    base = SCMSpec(d=10, n=1000, expected_degree=2, mechanism="linear")
    raw, z, i = (generate(base.replace(scaling=s), 7) for s in ("none", "zscore", "iscm"))
    assert np.array_equal(raw.graph, z.graph) and np.array_equal(raw.graph, i.graph)
    np.testing.assert_allclose(z.X, (raw.X - raw.X.mean(0)) / raw.X.std(0), atol=1e-10)
    small = generate(base.replace(n=200), 7)
    assert np.array_equal(small.graph, raw.graph)
    np.testing.assert_array_equal(small.X, raw.X[:200])  # linear: a prefix of the larger sample


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_dense_d100_is_finite_and_sane(mechanism):
    ds = generate(SCMSpec(d=100, n=400, edge_prob=0.6, mechanism=mechanism, intervention_share=0.2), 11)
    assert np.isfinite(ds.X).all()
    sd = ds.X.std(axis=0)
    assert sd.min() > 0.1 and sd.max() < 100 and np.abs(ds.X).max() < 1000


def test_iscm_columns_are_standardized():
    ds = generate(SCMSpec(d=20, n=500, edge_prob=0.3, scaling="iscm"), 3)
    np.testing.assert_allclose(ds.X.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(ds.X.std(0), 1, atol=1e-10)


def test_nonlinear_scale_growth_makes_raw_zscored_and_iscm_differ():
    """Nonlinear mechanisms read standardized parents, so without scale_growth iSCM is z-scoring to rounding; with it
    raw variance grows along the causal order (var-sortable, as raw linear data) and iSCM removes what z-scoring
    leaves. The graph and weights are the same draws either way, and scale_growth=False is the earlier spec."""
    from CausalDisco.analytics import var_sortability

    base = SCMSpec(d=15, n=1000, expected_degree=2.5, mechanism=NONLINEAR)
    assert base.to_dict() == {k: v for k, v in base.replace(scale_growth=True).to_dict().items() if k != "scale_growth"}
    sorts = []
    for seed in range(5):
        off = [generate(base.replace(scaling=s), seed) for s in ("zscore", "iscm")]
        raw, z, i = (generate(base.replace(scaling=s, scale_growth=True), seed) for s in ("none", "zscore", "iscm"))
        np.testing.assert_allclose(off[0].X, off[1].X, atol=1e-8)
        assert np.array_equal(raw.graph, off[0].graph) and np.abs(z.X - i.X).max() > 0.1
        sorts.append(var_sortability(raw.X, raw.graph))
    assert np.mean(sorts) > 0.85, sorts


def test_raw_linear_variance_grows_iscm_does_not():
    spec = SCMSpec(d=20, n=500, edge_prob=0.3)
    raw, iscm = generate(spec, 3), generate(spec.replace(scaling="iscm"), 3)
    assert np.array_equal(raw.graph, iscm.graph)
    roots = raw.graph.sum(axis=0) == 0
    depth = np.zeros(20)
    for j in topological_order(raw.graph):  # longest path from a root
        pa = np.flatnonzero(raw.graph[:, j])
        depth[j] = depth[pa].max() + 1 if len(pa) else 0
    sd = raw.X.std(0)
    assert sd.max() > 1.5 and sd[~roots].mean() > 1.5 * sd[roots].mean()   # raw: variance grows downstream
    assert np.corrcoef(depth, np.log(sd))[0, 1] > 0.5
    np.testing.assert_allclose(iscm.X.std(0), 1, atol=1e-10)  # iscm: every column unit variance


@pytest.mark.parametrize("graph", ["er", "sf"])
def test_expected_density(graph):
    d = 30
    for kw, expected in [({"edge_prob": 0.2}, 0.2 * d * (d - 1) / 2),
                         ({"expected_degree": 4.0}, 4.0 * d / 2)]:
        edges = [generate(SCMSpec(d=d, n=5, graph=graph, **kw), s).graph.sum() for s in range(20)]
        assert abs(np.mean(edges) - expected) < 0.12 * expected, (graph, kw, np.mean(edges), expected)


def test_noise_families_have_unit_sd_before_scaling():
    for noise in NOISES:
        spec = SCMSpec(d=3, n=20000, max_rows=20000, edge_prob=0.0, noise=noise, noise_scale=(1.0, 1.0))
        X = generate(spec, 0).X
        np.testing.assert_allclose(X.std(0), 1.0, atol=0.03 if noise != "student" else 0.1)
    heavy = generate(SCMSpec(d=2, n=20000, max_rows=20000, edge_prob=0.0, noise="student"), 0).X
    kurtosis = ((heavy - heavy.mean(0)) ** 4).mean(0) / heavy.var(0) ** 2
    assert (kurtosis > 5).all()  # Gaussian: 3
    X = generate(SCMSpec(d=2, n=2000, edge_prob=0.0, noise="uniform", noise_scale=(1.0, 1.0)), 0).X
    assert np.abs(X).max() <= np.sqrt(3) + 1e-12


def test_max_rows_caps_n():
    ds = generate(SCMSpec(d=4, n=5000, max_rows=2000), 0)
    assert ds.n == 2000 and ds.meta["generator"]["max_rows"] == 2000


def test_spec_round_trip_and_validation():
    spec = SCMSpec(d=5, mechanism=("linear", "sine"), weight_range=[0.5, 1.0])
    assert SCMSpec.from_dict(spec.to_dict()) == spec
    for bad in [{"d": 1}, {"mechanism": "cubic"}, {"noise": "cauchy"}, {"edge_prob": 1.5},
                {"edge_prob": 0.2, "expected_degree": 2}, {"scaling": "minmax"}, {"intervention": "knockout"}]:
        with pytest.raises(ValueError, match="SCMSpec"):
            SCMSpec(**bad)


def _r2sort_orientation(ds) -> float:
    """Share of true edges i -> j with |W[i, j]| > |W[j, i]| in R^2-sortnregress's W (ties 1/2)."""
    from CausalDisco.baselines import r2_sort_regress

    W = np.abs(r2_sort_regress(ds.X))
    i, j = np.nonzero(ds.graph)
    return float(np.mean(np.where(W[i, j] > W[j, i], 1.0, np.where(W[i, j] == W[j, i], 0.5, 0.0))))


@pytest.mark.slow
@pytest.mark.parametrize("degree", [3.0, 4.0])
def test_iscm_leaks_no_order_through_r2_or_variance(degree):
    """iSCM as in Ormaniec et al. (standardized parents, unit noise, no fan-in scaling): R^2-sortnregress
    orients at chance on average (it was 0.35-0.38 with the fan-in division) and variances are all equal."""
    from CausalDisco.analytics import var_sortability

    spec = SCMSpec(d=20, n=1000, expected_degree=degree, scaling="iscm")
    graphs = [generate(spec, 500 + s) for s in range(20)]
    acc = np.mean([_r2sort_orientation(ds) for ds in graphs])
    assert 0.4 <= acc <= 0.6, acc
    assert all(var_sortability(ds.X, ds.graph, tol=1e-9) == 0.5 for ds in graphs)  # every pair a tie


def test_iscm_linear_node_is_standardized_parents_plus_unit_noise():
    """A two-node iSCM x -> y: before standardization y = w x + e with the drawn weight and
    unit-variance noise, whatever ``noise_scale`` says, so corr(x, y)^2 = w^2 / (w^2 + 1) = 0.8
    (with the old noise scale 0.25 it was 4 / 4.0625 = 0.985)."""
    spec = SCMSpec(d=2, n=20000, max_rows=20000, edge_prob=1.0, scaling="iscm", weight_range=(2.0, 2.0),
                   noise_scale=(0.25, 0.25))
    r2 = np.corrcoef(generate(spec, 0).X.T)[0, 1] ** 2
    assert abs(r2 - 0.8) < 0.01, r2


def _pair(seed=0, **kw):
    """x -> y (one linear edge), 20,000 rows: (x, y, mask of y's intervened rows or None)."""
    ds = generate(SCMSpec(d=2, n=20000, max_rows=20000, edge_prob=1.0, noise_scale=(1.0, 1.0), **kw), seed)
    cause = int(np.flatnonzero(ds.graph.any(axis=1))[0])
    mask = None if ds.interventions is None else ds.interventions[:, 1 - cause]
    return ds.X[:, cause], ds.X[:, 1 - cause], mask


def test_heteroscedastic_noise_spread_moves_with_the_parent():
    def spread_ratio(x, y):
        resid = y - np.polyval(np.polyfit(x, y, 1), x)
        return resid[x > 1].std() / resid[x < -1].std()
    homo, hetero = spread_ratio(*_pair()[:2]), spread_ratio(*_pair(heteroscedastic=True)[:2])
    assert 0.85 < homo < 1.15
    assert not 0.5 < hetero < 2.0  # exp(tanh(+-x)): about e^(+-1.5) between the tails


def test_intervention_kinds_do_shift_soft():
    """do cuts the parent's effect in the intervened rows, shift keeps it whole, soft keeps 0-50 % of it."""
    slopes = {}
    for kind in ("do", "shift", "soft"):
        x, y, rows = _pair(intervention_share=0.4, n_targets=2, intervention=kind)
        assert rows.mean() > 0.1
        obs = np.polyfit(x[~rows], y[~rows], 1)[0]
        slopes[kind] = np.polyfit(x[rows], y[rows], 1)[0] / obs
    assert abs(slopes["do"]) < 0.1 and 0.9 < slopes["shift"] < 1.1 and 0.1 < slopes["soft"] < 0.4
