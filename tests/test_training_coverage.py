"""Training coverage (bench/training_coverage.py): where a dataset lies against a learned method's declared training data."""
import numpy as np
import pandas as pd
import pytest

from bench import training_coverage as cov
from datasets.generator import SCMSpec, generate
from methods import Method, Prediction
from methods.base import TrainingDistribution

DRAWS = []


class TinyLearned(Method):
    """A learned method trained (it says) on small linear-Gaussian SCMs, d 5-8, n 300."""
    learned = True

    def training_distribution(self):
        def draw(k):
            DRAWS.append(k)
            rng = np.random.default_rng(k)
            return generate(SCMSpec(d=int(rng.integers(5, 9)), n=300, expected_degree=float(rng.uniform(1, 3)),
                                    scaling="zscore"), 10**9 + k)
        return TrainingDistribution("tiny-linear-gaussian", draw, invariant=("log_var_spread",))

    def fit(self, obs):
        return Prediction(np.zeros((obs.d, obs.d)), np.zeros((obs.d, obs.d), dtype=int))


def _cloud(n=400, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": a + 0.05 * rng.normal(size=n), "c": rng.uniform(0, 1, size=n)})


def test_a_value_beyond_the_training_range_is_outside_and_named_with_its_percentile():
    ref = cov.Reference(_cloud())
    inside = cov.coverage({"a": 0.1, "b": 0.1, "c": 0.5}, ref)
    assert not inside["outside_training"] and inside["outside_descriptors"] == ""
    out = cov.coverage({"a": 0.1, "b": 0.1, "c": 3.0}, ref)
    assert out["outside_training"] and out["outside_descriptors"] == "c"
    assert out["outside_detail"] == f"c 3 (training 99.5th percentile {_cloud()['c'].quantile(0.995):.3g})"


def test_a_combination_training_never_had_is_outside_though_each_value_is_in_range():
    ref = cov.Reference(_cloud())
    r = cov.coverage({"a": 1.5, "b": -1.5, "c": 0.5}, ref)  # a and b move together in training
    assert r["outside_training"] and {"a", "b"} & set(r["outside_descriptors"].split(", "))
    assert "c" not in r["outside_descriptors"] and "not for data like these" in r["outside_detail"]


def test_the_training_cloud_is_drawn_once_and_cached_by_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("TABSCM_BENCH_CACHE", str(tmp_path))
    DRAWS.clear()
    m = TinyLearned()
    cloud = cov.training_cloud(m, draws=30)
    assert DRAWS == list(range(30)) and len(cloud) == 30 and "log_var_spread" not in cloud
    again = cov.training_cloud(m, draws=30)
    assert DRAWS == list(range(30)) and again.equals(cloud)  # read from disk, nothing drawn
    monkeypatch.setattr(TinyLearned, "fingerprint", lambda self: "retrained")
    cov.training_cloud(m, draws=30)
    assert len(DRAWS) == 60  # a new checkpoint: a new cloud
    assert cov.training_cloud(get_classical(), draws=30) is None


def get_classical():
    from methods import get_method
    return get_method("pc")


@pytest.mark.slow
def test_a_learned_job_is_placed_against_its_training_data_when_scored(tmp_path, monkeypatch):
    from bench.scoring import score_record, truth_facts

    monkeypatch.setenv("TABSCM_BENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(cov, "TRAINING_DRAWS", 60)
    cov.reference_for.cache_clear()
    ds = generate(SCMSpec(d=6, n=300, expected_degree=2.0, noise="uniform", mechanism="quadratic"), 5)
    truth_facts.cache_clear()
    rec = {"status": "ok", "learned": True, "method": "tests.test_training_coverage:TinyLearned", "params": {}, "cpdag": False}
    arrays = {"scores": np.zeros((6, 6)), "graph": np.zeros((6, 6), dtype=np.int8)}
    out = score_record(rec, arrays, ds, "digest-ood")
    assert out["coverage"]["outside_training"] and out["coverage"]["training_draws"] == 60
    assert "ds_nonlinearity_median" not in out and "nonlinearity_median" in out["dataset_properties"]
    plain = score_record({k: v for k, v in rec.items() if k != "coverage"} | {"learned": False}, arrays, ds,
                         "digest-ood")
    assert "coverage" not in plain
    cov.reference_for.cache_clear()


# ---------------------------------------------------------------- validation where the answer is known

#: the descriptors that can show each axis the shift suites move
AXES = {"n": {"n"},
        "noise": {"kurtosis_median", "kurtosis_max", "skewness_median", "skewness_max", "gauss_distance_median",
                  "gauss_distance_max", "outlier_share", "resid_abs_skew_median", "resid_kurtosis_median",
                  "resid_nongaussianity_median", "resid_kurtosis_linear"},
        "density": {"abs_corr_mean", "abs_corr_max", "dependent_pair_share", "partial_dependent_share",
                    "partial_degree_max_share", "partial_degree_ratio", "partial_degree_mean", "partial_corr_abs_mean",
                    "r2_linear_median", "r2_linear_max"},
        "graph": {"partial_degree_max_share", "partial_degree_ratio", "partial_degree_mean", "partial_degree_dispersion",
                  "partial_leaf_share", "partial_isolated_share", "partial_strength_ratio", "partial_corr_abs_mean",
                  "dependent_pair_share", "partial_dependent_share", "abs_corr_mean", "abs_corr_max"},
        "mechanism": {"nonlinearity_median", "nonlinearity_max", "nonlinear_share", "nonlinear_share_explained",
                      "nonlinearity_iqr", "nonlinear_even_sd", "heteroscedasticity_median"}}
SUITES = {"ood-n": "n", "ood-noise": "noise", "ood-dense": "density", "ood-sf": "graph", "ood-mech": "mechanism"}


@pytest.fixture(scope="module")
def base_reference():
    """tabscm-seed's declared training distribution is the shift suites' base distribution."""
    from datasets.suites import BASE_DISTRIBUTION
    from methods import get_method
    from methods.tabscm.train import load_config

    data = load_config("methods/tabscm/configs/tabscm-seed.yaml")["data"]
    assert (tuple(data["d"]), tuple(data["n"]), tuple(data["edge_prob"]), tuple(data["expected_degree"]),
            tuple(data["intervention_share"]), (data["noise"],), tuple(["linear", *data["nonlinear"]])) == (
        BASE_DISTRIBUTION["d"], BASE_DISTRIBUTION["n"], BASE_DISTRIBUTION["edge_prob"],
        BASE_DISTRIBUTION["expected_degree"], BASE_DISTRIBUTION["intervention_share"], BASE_DISTRIBUTION["noises"],
        BASE_DISTRIBUTION["mechanisms"])
    return cov.Reference(cov.training_cloud(get_method("tabscm-seed")))


def _placed(suite, ref):
    from datasets import load_suite
    from datasets.descriptors import describe

    return [cov.coverage(describe(ds.X, ds.interventions), ref) for ds in load_suite(suite)]


@pytest.mark.slow
def test_in_distribution_datasets_are_mostly_inside(base_reference):
    placed = _placed("in-dist", base_reference)
    assert sum(p["outside_training"] for p in placed) <= 0.1 * len(placed)


@pytest.mark.slow
@pytest.mark.parametrize("suite", ["ood-n", "ood-noise",
                                   pytest.param("ood-dense", marks=pytest.mark.xfail(
                                       strict=True, reason="0/10: the true edge count given d is outside the base "
                                       "for all 10, but data show the moral graph, near complete at d 10 from "
                                       "p 0.5 (inside the base) on; the partial-correlation degree given d is at "
                                       "percentile 95-99 for the linear half, 60-85 for the MLP half")),
                                   pytest.param("ood-sf", marks=pytest.mark.xfail(
                                       strict=True, reason="2/10: even the true skeleton's degree statistics (edges, "
                                       "dispersion, leaves, isolated, max degree) given d are outside the base's "
                                       "central 99% for only 3/10: at d 10-20 Barabasi-Albert and ER graphs are alike")),
                                   pytest.param("ood-mech", marks=pytest.mark.xfail(
                                       strict=True, reason="3/10: mixes with a quadratic (5/10) spread "
                                       "nonlinear_even_sd, near the base's 99th percentile; tanh + threshold (3/10) "
                                       "bend alike and stay inside"))])
def test_each_shift_suite_is_flagged_on_its_own_axis(suite, base_reference):
    placed = _placed(suite, base_reference)
    on_axis = [p["outside_training"] and bool(AXES[SUITES[suite]] & set(p["outside_descriptors"].split(", ")))
               for p in placed]
    assert sum(on_axis) >= 0.8 * len(placed), [p["outside_descriptors"] for p in placed]


def _skeleton_facts(A: np.ndarray) -> dict:
    S = (A + A.T) > 0
    deg = S.sum(axis=1)
    return {"edges": int(A.sum()), "dispersion": float(deg.var() / deg.mean()) if deg.mean() else 0.0,
            "leaves": float((deg == 1).mean()), "isolated": float((deg == 0).mean()), "max_degree": int(deg.max())}


def _truth_outside(suite: str, draws: int = 2000, central: float = cov.CENTRAL) -> int:
    """How many of ``suite``'s true graphs lie outside the base's central range, given d, on one of the skeleton's
    degree statistics: the most any descriptor of the data could hope to see of the graph."""
    from datasets import load_suite
    from datasets.generator import _streams, sample_dag
    from methods.tabscm.distribution import TRAIN_BASE, sample_spec
    from methods.tabscm.train import load_config

    data = load_config("methods/tabscm/configs/tabscm-seed.yaml")["data"]
    base = []
    for k in range(draws):
        spec = sample_spec(np.random.default_rng([TRAIN_BASE + k, 7]), data)
        base.append({"d": spec.d, **_skeleton_facts(sample_dag(_streams(TRAIN_BASE + k)[0], spec))})
    base = pd.DataFrame(base)
    lo_q, hi_q = (1 - central) / 2, (1 + central) / 2
    count = 0
    for ds in load_suite(suite):
        same = base[base["d"] == ds.graph.shape[0]]
        facts = _skeleton_facts(ds.graph)
        count += any(not same[k].quantile(lo_q) <= v <= same[k].quantile(hi_q) for k, v in facts.items())
    return count


@pytest.mark.slow
def test_the_truth_sets_dense_graphs_apart_but_not_most_scale_free_ones():
    """The ceiling behind the xfails above: ood-dense's true graphs are outside the base given d (so what hides
    them is the data), while most of ood-sf's true graphs are not (no data descriptor can reach 80 % there)."""
    assert _truth_outside("ood-dense") >= 8
    assert _truth_outside("ood-sf") < 8
    assert _truth_outside("in-dist") <= 1
