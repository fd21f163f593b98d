"""The classical wrappers (methods/classical.py, methods/continuous.py) and methods/_quiet.py."""
import logging
import sys
import warnings

import numpy as np
import pytest

import methods
from bench.metrics import evaluate
from datasets.base import Dataset
from datasets.generator import SCMSpec, generate
from methods.classical import break_cycles, environments
from methods._quiet import quiet
from methods.convert import dag_to_cpdag
from tests.fresh import run_python

LINEAR = SCMSpec(d=6, n=1000, expected_degree=2, mechanism="linear")  # raw scale


def _dataset(X, graph=None, interventions=None):
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    return Dataset("handmade", X, np.zeros((d, d)) if graph is None else graph, interventions)


def _fit(name, ds, **params):
    pred = methods.get_method(name, **params).fit(ds.observations())
    pred.validate(ds.X.shape[1])
    return pred


@pytest.fixture(scope="module")
def linear_gaussian():
    return generate(LINEAR, 0, name="linear-gaussian")


def _floors(ds):
    """What a method must reach on ``ds``, from the data themselves rather than typed-in numbers: the
    best trivial baseline's AUROC (|corr|, partial correlation), and the scores of the truth's own
    equivalence class (the most that observational Gaussian data identify)."""
    trivial = max(evaluate(ds.graph, _fit(n, ds))["auroc"] for n in ("abs-corr", "partial-corr"))
    return trivial, evaluate(ds.graph, methods.Prediction.from_graph(dag_to_cpdag(ds.graph), cpdag=True))


@pytest.mark.parametrize("name", ["pc", "ges", "gies", "notears", "dagma"])
def test_recovers_a_linear_gaussian_graph(name, linear_gaussian):
    """At least the best trivial baseline's AUROC on a small raw-scale linear-Gaussian SCM; the
    CPDAG learners find the truth's equivalence class itself (n = 1000, 6 variables)."""
    ds = linear_gaussian
    m = evaluate(ds.graph, _fit(name, ds))
    trivial, oracle = _floors(ds)
    assert m["auroc"] >= trivial and m["auroc"] > 0.5, (m, trivial)
    if name in ("pc", "ges", "gies"):
        assert m["shd_cpdag"] == 0 and m["skeleton_f1"] == 1.0, m
        assert m["f1"] == oracle["f1"] and m["auroc"] == oracle["auroc"], (m, oracle)


def test_directlingam_recovers_non_gaussian_graph():
    """With uniform noise the DAG itself is identified: DirectLiNGAM orients beyond the equivalence class."""
    ds = generate(SCMSpec(d=6, n=1000, expected_degree=2, mechanism="linear", noise="uniform"), 0)
    m = evaluate(ds.graph, _fit("directlingam", ds))
    trivial, oracle = _floors(ds)
    assert m["auroc"] >= trivial and m["orientation_accuracy"] > oracle["orientation_accuracy"], (m, oracle)
    assert m["skeleton_f1"] == 1.0 and m["shd"] == 0, m


@pytest.mark.parametrize("flip", [False, True])
def test_directlingam_orientation_two_variables(flip):
    """x -> y with uniform noise: lingam's B[y, x] != 0 must become our A[x, y] = 1."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 2000)
    y = 0.8 * x + rng.uniform(-1, 1, 2000)
    X = np.c_[y, x] if flip else np.c_[x, y]
    cause, effect = (1, 0) if flip else (0, 1)
    pred = _fit("directlingam", _dataset(X))
    assert pred.graph[cause, effect] == 1 and pred.graph[effect, cause] == 0
    assert pred.scores[cause, effect] > 0.5 > pred.scores[effect, cause]


# ---------------------------------------------------------------- causal-learn endpoints

def _collider(n=2000, seed=0):
    """X0 -> X2 <- X1, plus an isolated X3."""
    rng = np.random.default_rng(seed)
    x0, x1, x3 = rng.standard_normal((3, n))
    x2 = x0 + x1 + 0.5 * rng.standard_normal(n)
    return np.c_[x0, x1, x2, x3]


def _chain(n=2000, seed=0):
    """X0 -> X1 -> X2 (its equivalence class leaves both edges undirected)."""
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(n)
    x1 = x0 + 0.5 * rng.standard_normal(n)
    x2 = x1 + 0.5 * rng.standard_normal(n)
    return np.c_[x0, x1, x2]


@pytest.mark.parametrize("name", ["pc", "ges"])
def test_collider_is_oriented(name):
    pred = _fit(name, _dataset(_collider()))
    expected = np.zeros((4, 4), dtype=int)
    expected[0, 2] = expected[1, 2] = 1
    assert pred.cpdag is True
    np.testing.assert_array_equal(pred.graph, expected)
    assert pred.scores[0, 2] == 1.0 and pred.scores[2, 0] == 0.0
    assert pred.info["edge_counts"] == {"directed": 2, "undirected": 0, "bidirected": 0}


@pytest.mark.parametrize("name", ["pc", "ges", "gies"])
def test_chain_stays_undirected(name):
    pred = _fit(name, _dataset(_chain()))
    expected = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    assert pred.cpdag is True
    np.testing.assert_array_equal(pred.graph, expected)
    assert pred.scores[0, 1] == pred.scores[1, 0] == 0.5


def test_pc_info_records_library_and_params():
    pred = _fit("pc", _dataset(_chain()), alpha=0.01, depth=1)
    info = pred.info
    assert info["library"] == "causal-learn" and info["library_version"] not in (None, "unknown")
    assert info["params"]["alpha"] == 0.01 and info["params"]["depth"] == 1
    assert info["fit_s"] >= 0 and info["rows"] == "pooled"


def test_pc_rejects_unknown_test():
    with pytest.raises(ValueError, match="indep_test"):
        methods.get_method("pc", indep_test="nope").fit(_dataset(_chain()).observations())


# ---------------------------------------------------------------- interventions

def _chain_with_intervention(seed=0):
    """The chain, plus 1000 rows with do(X1 = N(0, 4)): orients both edges for GIES."""
    obs = _chain(2000, seed)
    rng = np.random.default_rng(seed + 1)
    x0 = rng.standard_normal(1000)
    x1 = 2 * rng.standard_normal(1000)
    x2 = x1 + 0.5 * rng.standard_normal(1000)
    X = np.r_[obs, np.c_[x0, x1, x2]]
    mask = np.zeros(X.shape, dtype=bool)
    mask[2000:, 1] = True
    return _dataset(X, interventions=mask)


def test_environments_group_rows_by_targets():
    ds = _chain_with_intervention()
    data, targets, sizes = environments(ds.observations())
    assert targets == [[], [1]] and sizes == [2000, 1000]
    np.testing.assert_array_equal(data[1], ds.X[2000:])


def test_gies_orients_with_an_intervention():
    pred = _fit("gies", _chain_with_intervention())
    np.testing.assert_array_equal(pred.graph, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert pred.info["n_environments"] == 2 and pred.info["environment_targets"] == [[], [1]]


def test_observational_rows_option():
    ds = _chain_with_intervention()
    pooled = _fit("ges", ds)
    only_obs = _fit("ges", ds, rows="observational")
    assert pooled.info["n_rows_used"] == 3000 and only_obs.info["n_rows_used"] == 2000
    with pytest.raises(ValueError, match="'rows' parameter of ges must be"):
        methods.get_method("ges", rows="some").fit(ds.observations())


# ---------------------------------------------------------------- weighted methods

def test_break_cycles_drops_weakest_edge():
    G = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    W = np.array([[0, 0.9, 0], [0, 0, 0.8], [0.4, 0, 0]])
    dag, removed = break_cycles(G, W)
    assert removed == 1 and dag[2, 0] == 0 and dag[0, 1] == dag[1, 2] == 1


@pytest.mark.parametrize("name", ["notears", "dagma"])
def test_scores_are_weights_before_thresholding(name, linear_gaussian):
    pred = _fit(name, linear_gaussian)
    thr = pred.info["params"]["w_threshold"]
    below = (pred.scores > 0) & (pred.scores <= thr)
    assert below.any(), "expected some small nonzero weights under the threshold"
    if pred.info["cycle_edges_removed"] == 0:
        np.testing.assert_array_equal(pred.graph, (pred.scores > thr).astype(int))


def test_dagma_does_not_modify_input(linear_gaussian):
    X = np.array(linear_gaussian.X, copy=True)
    ds = _dataset(X)
    _fit("dagma", ds, T=2, warm_iter=2000, max_iter=4000)
    np.testing.assert_array_equal(ds.X, linear_gaussian.X)


# ---------------------------------------------------------------- quiet

@pytest.mark.parametrize("name", ["pc", "ges", "gies", "notears", "dagma", "directlingam"])
def test_fit_prints_nothing_and_leaves_logging_alone(name, capfd):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    ds = generate(SCMSpec(d=4, n=300, expected_degree=2, mechanism="linear"), 1)
    params = {"T": 2, "warm_iter": 2000, "max_iter": 4000} if name == "dagma" else {}
    capfd.readouterr()
    pred = _fit(name, ds, **params)
    out, err = capfd.readouterr()
    assert out == "" and err == "", f"{name} printed: {out[:200]!r} {err[:200]!r}"
    assert root.level == level and root.handlers == handlers
    assert set(pred.info["suppressed"]) >= {"stdout_chars", "stderr_chars", "log_records", "n_warnings"}


@pytest.mark.slow
def test_importing_gcastle_leaves_root_logger_alone():
    """In a fresh interpreter: gcastle's import-time basicConfig(level=INFO) is undone."""
    code = ("import logging; from methods._quiet import import_quietly; "
            "import_quietly('castle.algorithms', env={'CASTLE_BACKEND': 'pytorch'}); "
            "r = logging.getLogger(); assert r.level == logging.WARNING and not r.handlers, (r.level, r.handlers); "
            "logging.info('must not print')")
    res = run_python(code)
    assert res.stdout == "" and res.stderr == "", (res.stdout, res.stderr[-2000:])


def test_quiet_counts_what_it_swallowed():
    root = logging.getLogger()
    level = root.level
    with quiet() as said:
        print("progress 1/10")
        print("bar", file=sys.stderr)
        warnings.warn("careful")
        root.setLevel(logging.INFO)
        logging.info("an info line")  # would call basicConfig on a bare root logger
    s = said.summary()
    assert s["stdout_chars"] == len("progress 1/10\n") and s["stderr_chars"] == 4
    assert s["n_warnings"] == 1 and "careful" in s["warnings"][0] and s["log_records"] == 1
    assert root.level == level


@pytest.mark.slow
def test_pc_kci_orients_a_nonlinear_collider():
    rng = np.random.default_rng(0)
    x0, x1, e = rng.standard_normal((3, 300))
    x2 = np.tanh(x0) + x1 ** 2 / 2 + 0.3 * e
    pred = _fit("pc", _dataset(np.c_[x0, x1, x2]), indep_test="kci")
    np.testing.assert_array_equal(pred.graph, [[0, 0, 1], [0, 0, 1], [0, 0, 0]])


@pytest.mark.slow
def test_importing_gcastle_keeps_torch_default_dtype():
    """gcastle's NOTEARS module sets torch's default dtype to float64 at import; a job process
    that preloads gcastle must not hand that to the next method (the TabSCM model)."""
    code = ("import torch; from methods._gcastle import algorithms; "
            "assert torch.get_default_dtype() == torch.float32, torch.get_default_dtype()")
    run_python(code)


@pytest.mark.slow
def test_pcs_orientation_conflicts_are_scored_and_flagged_not_invalid(tmp_path):
    """On tabscm-small PC returns a PDAG with a directed cycle on 6 of 20 datasets (000 and 005 among them): those
    jobs finish ok, flagged cyclic_output, with SHD and AUROC as returned and SID undefined (NaN)."""
    import datasets
    from bench.jobs import build_jobs
    from bench.runner import run_jobs
    from bench.report import build_outputs
    import pandas as pd

    refs = [r for r in datasets.suite_refs("tabscm-small") if r.name.startswith(("tabscm-000", "tabscm-005",
                                                                                   "tabscm-001"))]
    assert len(refs) == 3
    jobs = build_jobs(["pc"], [(r.load(), "tabscm-small", dict(r.tags)) for r in refs], 1)
    assert run_jobs(jobs, tmp_path, n_jobs=2, progress=False)["ok"] == 3
    build_outputs(tmp_path)
    df = pd.read_csv(tmp_path / "jobs.csv").set_index("dataset")
    cyclic = df[df.index.str.startswith(("tabscm-000", "tabscm-005"))]
    assert (df["status"] == "ok").all() and cyclic["cyclic_output"].all()
    assert not df.loc[df.index.str.startswith("tabscm-001"), "cyclic_output"].any()
    assert cyclic["shd"].notna().all() and cyclic["auroc"].gt(0.55).all() and cyclic["sid"].isna().all()
    assert pd.read_csv(tmp_path / "leaderboard.csv").query("tier == 'all'")["sid_missing"].iloc[0] == 2
