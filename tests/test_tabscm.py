"""TabSCM model code, checkpoints, training loop and methods (methods/tabscm/)."""
import csv

import numpy as np
import pytest

import torch  # a hard dependency: a broken install fails here, it is not skipped

from datasets.generator import SCMSpec, generate
from methods import get_method
from methods.tabscm.gate import train_gate
from methods.tabscm.infer import (CheckpointError, essential_scores, greedy_dag, load_checkpoint,
                                  shipped_checkpoint)
from methods.tabscm.model import (N_PAIR_FEATURES, build_model, n_params, pair_features,
                                  regression_features, zscore)
from methods.tabscm.distribution import draw, sample_spec, soft_target, training_distribution
from methods.tabscm.train import evaluate_val, load_config, save_checkpoint, train

CONFIGS = "methods/tabscm/configs"


def _cfg(name):
    return load_config(f"{CONFIGS}/{name}.yaml")


@pytest.mark.parametrize("d", [5, 12, 30])
@pytest.mark.parametrize("name", ["tabscm", "tabscm-seed"])
def test_forward_shapes(name, d):
    torch.manual_seed(0)
    model = build_model(_cfg(name)["model"]).eval()
    X = zscore(torch.randn(2, 100, d))
    M = (torch.rand(2, 100, d) < 0.05).float()
    with torch.no_grad():
        out = model(X, M)
    logits = out[0] if isinstance(out, tuple) else out
    assert logits.shape == (2, d, d) and torch.isfinite(logits).all()
    if isinstance(out, tuple):
        assert out[1].shape == (2, d)


def test_pair_features_shape_and_direction_features():
    X = zscore(torch.randn(1, 300, 6))
    F = pair_features(X, torch.zeros(1, 300, 6))
    assert F.shape == (1, 6, 6, N_PAIR_FEATURES) and torch.isfinite(F).all()
    assert not torch.allclose(F, F.transpose(1, 2))  # ordered pairs: (i, j) differs from (j, i)


def test_regression_features_match_the_residuals_and_point_along_an_additive_noise_model():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, 3000)
    y = np.tanh(2 * x) + 0.5 * x ** 2 + 0.3 * rng.uniform(-1, 1, 3000)
    X = zscore(torch.tensor(np.c_[x, y], dtype=torch.float64)[None])
    r2, dep = (t[0].numpy() for t in regression_features(X))
    Z = X[0].numpy()
    for i, j in [(0, 1), (1, 0)]:  # the same quantities from explicit residuals
        D = np.c_[Z[:, i], Z[:, i] ** 2, Z[:, i] ** 3]
        D = D - D.mean(0)
        e = Z[:, j] - D @ np.linalg.solve(D.T @ D + 1e-3 * len(D) * np.eye(3), D.T @ Z[:, j])
        q = D[:, :2] / D[:, :2].std(0)
        assert r2[i, j] == pytest.approx(1 - np.mean(e ** 2), abs=1e-9)
        assert dep[i, j] == pytest.approx(np.linalg.norm((q * e[:, None] ** 2).mean(0)) / np.mean(e ** 2), abs=1e-9)
    assert r2[0, 1] > r2[1, 0] + 0.1 and dep[0, 1] < dep[1, 0] / 3  # the residual of x -> y is independent of x


def test_a_numerically_singular_regression_gives_that_column_no_fit_instead_of_stopping_the_batch(monkeypatch):
    """A float32 3x3 system can hit an exact zero pivot (campaign run 13 stopped on one); simulated here for the
    system of column 1 of dataset 0, as LAPACK reports it: torch.linalg.solve raises, solve_ex sets info."""
    X = zscore(torch.randn(2, 200, 3))
    real_ex = torch.linalg.solve_ex
    r2_ok, dep_ok = regression_features(X)

    def singular_ex(A, B):
        c, info = real_ex(A, B)
        info = info.clone()
        info[0, 1] = 3
        c = c.clone()
        c[0, 1] = 1e30  # whatever the factorization left
        return c, info

    def singular(A, B):
        raise torch._C._LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.")

    monkeypatch.setattr(torch.linalg, "solve_ex", singular_ex)
    monkeypatch.setattr(torch.linalg, "solve", singular)
    r2, dep = regression_features(X)
    assert torch.isfinite(r2).all() and torch.isfinite(dep).all()
    assert (r2[0, 1] == 0).all()                                   # x_1 explains nothing of any column
    assert torch.equal(r2[1], r2_ok[1]) and torch.equal(r2[0, [0, 2]], r2_ok[0, [0, 2]])  # the rest untouched
    assert torch.equal(dep[1], dep_ok[1])


def _dataset(graph, mechanism="linear", noise="gaussian", mask=None):
    from datasets.base import Dataset
    d = len(graph)
    ds = Dataset("t", np.zeros((10, d)), np.array(graph, dtype=np.int8), mask,
                 meta={"node_mechanisms": [mechanism] * d, "noise": noise, "generator": {"heteroscedastic": False}})
    return ds


def test_soft_target_is_what_the_data_identify():
    chain = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    T = soft_target(_dataset(chain))
    assert T[0, 1] == T[1, 0] == T[1, 2] == T[2, 1] == 0.5 and T[0, 2] == T[2, 0] == 0  # one Markov class
    collider = [[0, 0, 1], [0, 0, 1], [0, 0, 0]]
    np.testing.assert_array_equal(soft_target(_dataset(collider)), collider)  # a v-structure is compelled
    for kw in ({"mechanism": "mlp"}, {"noise": "laplace"}):  # identifiable in principle: the DAG itself
        np.testing.assert_array_equal(soft_target(_dataset(chain, **kw)), chain)
    mask = np.zeros((10, 3), dtype=bool)
    mask[:4, 1] = True  # intervening on the middle node orients both of its edges
    np.testing.assert_array_equal(soft_target(_dataset(chain, mask=mask)), chain)


def test_training_distribution_reaches_every_axis():
    data = _cfg("tabscm")["data"]
    specs = [sample_spec(np.random.default_rng([k, 7]), data) for k in range(400)]
    assert min(s.d for s in specs) == 2 and max(s.d for s in specs) > 45
    assert min(s.n for s in specs) < 100 and max(s.n for s in specs) > 2000
    assert {s.graph for s in specs} == {"er", "sf"} and {s.scaling for s in specs} == {"zscore", "iscm"}
    assert {s.noise for s in specs} == {"gaussian", "laplace", "uniform", "student"}
    assert {s.intervention for s in specs if s.intervention_share > 0} == {"do", "shift", "soft"}
    assert any(s.heteroscedastic for s in specs) and any(len(s.mechanisms) > 1 for s in specs)
    assert len({s.weight_range for s in specs}) == len(specs)
    seed_cfg = [sample_spec(np.random.default_rng([k, 7]), _cfg("tabscm-seed")["data"]) for k in range(100)]
    assert {(s.graph, s.noise, s.intervention, s.heteroscedastic, s.weight_range, len(s.mechanisms))
            for s in seed_cfg} == {("er", "gaussian", "do", False, (0.5, 2.0), 1)}  # keys it lacks draw nothing


def test_the_declared_training_distribution_is_what_the_trainer_draws():
    data = load_checkpoint(shipped_checkpoint("tabscm"))[1]["data"]  # the config the shipped model was trained with
    dist = get_method("tabscm").training_distribution()
    assert dist.key == training_distribution(data).key != training_distribution(_cfg("tabscm-seed")["data"]).key
    assert "log_var_spread" in dist.invariant  # the model z-scores its input
    ds = dist.draw(3)
    X, M, _, A, _ = draw(10**9 + 3, data)  # the trainer's own draw for the same training seed
    assert np.array_equal(ds.X.astype(np.float32), X) and np.array_equal(ds.graph, A)


class _Collapsed(torch.nn.Module):
    """The original failure: the same low logit for every pair, whatever the data."""

    def forward(self, X, M, *rest):
        d = X.shape[-1]
        return torch.full((X.shape[0], d, d), -5.0)


def test_a_trainer_only_change_keeps_the_methods_job_key(tmp_path):
    """The job key covers the modules a method imports: the training distribution, not the trainer's CLI or plots."""
    import shutil
    from pathlib import Path

    from bench.jobs import code_digest

    root = Path(__file__).resolve().parent.parent
    for src in [*root.glob("methods/**/*.py"), *root.glob("datasets/**/*.py")]:  # the sources, not the data
        (tmp_path / src.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, tmp_path / src.relative_to(root))
    digest = code_digest.__wrapped__  # uncached: the files change under the same arguments
    before = digest("methods.tabscm.method", roots=(tmp_path,))
    with open(tmp_path / "methods/tabscm/train.py", "a") as f:
        f.write("\n# a trainer-only change\n")
    assert digest("methods.tabscm.method", roots=(tmp_path,)) == before
    with open(tmp_path / "methods/tabscm/distribution.py", "a") as f:
        f.write("\n# the training distribution changed\n")
    assert digest("methods.tabscm.method", roots=(tmp_path,)) != before


def test_validation_flags_a_collapsed_model_by_the_benchmarks_rule():
    cfg = _cfg("tabscm")
    val = [draw(10**9 + 500_000_000 + k, cfg["data"], d=8, n=200) for k in range(3)]
    out, _ = evaluate_val(_Collapsed(), val, cfg, "cpu")
    assert out["val_empty_output"] == 1.0 and out["val_constant_scores"] == 1.0 and out["val_chance_auroc"] == 1.0
    assert out["val_auroc"] == 0.5


def test_param_counts():
    assert 150_000 < n_params(build_model(_cfg("tabscm")["model"])) < 500_000
    assert n_params(build_model(_cfg("tabscm-seed")["model"])) > 1_000_000


@pytest.mark.parametrize("name", ["tabscm", "tabscm-seed"])
def test_shipped_checkpoint_loads_and_predicts(name):
    path = shipped_checkpoint(name)
    assert path.is_file(), f"shipped checkpoint {path} missing"
    assert path.stat().st_size < 8e6
    model, cfg, meta = load_checkpoint(path)
    trained_as = {"tabscm": "tabscm3"}.get(name, name)  # the shipped tabscm is a run of the tabscm3 campaign
    assert cfg["name"] == trained_as and meta["step"] > 0 and "code_version" in meta
    ds = generate(SCMSpec(d=8, n=300, expected_degree=2.0, scaling="zscore"), 5)
    pred = get_method(name).fit(ds.observations())
    pred.validate(ds.d)
    assert pred.info["checkpoint_step"] == meta["step"]


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    p = tmp_path / "nope.pt"
    with pytest.raises(CheckpointError, match="nope.pt.*not found"):
        get_method("tabscm", checkpoint=str(p)).fit(generate(SCMSpec(d=5, n=50), 1).observations())


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.pt"
    p.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(CheckpointError, match="bad.pt.*cannot be read") as e:
        load_checkpoint(p)
    assert "\n" not in str(e.value)


def test_mismatched_checkpoint_is_a_clear_error(tmp_path):
    cfg = _cfg("tabscm")
    model = build_model(cfg["model"])
    wrong = dict(cfg, model=dict(cfg["model"], width=32))
    p = tmp_path / "mismatch.pt"
    save_checkpoint(p, model, wrong, 1, {})
    with pytest.raises(CheckpointError, match="mismatch.pt.*do not match"):
        load_checkpoint(p)
    ok = tmp_path / "seedarch.pt"
    save_checkpoint(ok, build_model(_cfg("tabscm-seed")["model"]), _cfg("tabscm-seed"), 1, {})
    with pytest.raises(CheckpointError, match="seedarch.pt.*expected 'pairgrid'"):
        get_method("tabscm", checkpoint=str(ok)).fit(generate(SCMSpec(d=5, n=50), 1).observations())


def test_greedy_dag_is_acyclic_and_keeps_strongest():
    P = np.array([[0, .9, .2], [.6, 0, .8], [.7, .1, 0]])
    G = greedy_dag(P, 0.5)
    assert G[0, 1] == 1 and G[1, 2] == 1 and G[1, 0] == 0 and G[2, 0] == 0


def test_greedy_dag_on_pairs_keeps_an_edge_split_between_its_directions():
    P = np.array([[0, .45, .3], [.4, 0, .1], [.35, .05, 0]])
    assert not greedy_dag(P, 0.5).any()  # no single direction above 0.5
    G = greedy_dag(P, 0.5, pairs=True)   # 0-1: 0.85 either way, 0-2: 0.65; 1-2: 0.15
    np.testing.assert_array_equal(G, [[0, 1, 0], [0, 0, 0], [1, 0, 0]])
    cyc = np.array([[0, .6, 0], [0, 0, .6], [.6, 0, 0]])
    assert greedy_dag(cyc, 0.5, pairs=True).sum() == 2  # the weakest (last) closing edge is skipped


def test_essential_scores_claim_no_direction_the_essential_graph_lacks():
    P = np.array([[0, .9, .1], [.2, 0, .7], [.05, .3, 0]])
    chain = greedy_dag(P, 0.5, pairs=True)
    np.testing.assert_array_equal(chain, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    S, E = essential_scores(P, chain, None)  # observational: the chain's Markov class is all undirected
    np.testing.assert_allclose(S, [[0, .55, .1], [.55, 0, .5], [.05, .5, 0]])  # non-edges untouched
    np.testing.assert_array_equal(E, [[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    mask = np.zeros((6, 3), dtype=bool)
    mask[:2, 1] = True  # intervening on the middle node orients both edges: the scores stay
    S, E = essential_scores(P, chain, mask)
    np.testing.assert_array_equal(S, P)
    np.testing.assert_array_equal(E, chain)


@pytest.mark.slow
def test_tiny_training_run_logs_and_resumes(tmp_path):
    cfg = _cfg("tabscm")
    cfg["model"].update(width=16, layers=1, sample_width=8, sample_rows=16)
    cfg["data"].update(d=[5, 8], n=[200, 250])
    cfg["optim"].update(batch=2, warmup=0)
    cfg["train"].update(val_size=3, val_every=2, ckpt_every=2)
    train(cfg, tmp_path, steps=2)
    rows = list(csv.DictReader(open(tmp_path / "tabscm_log.csv")))
    assert rows[-1]["step"] == "2" and rows[-1]["val_auroc"] not in ("", None)
    assert {"loss", "val_auprc", "val_f1", "prob_std", "prob_min", "prob_max", "grad_norm", "val_empty_output",
            "val_constant_scores", "val_chance_auroc"} <= set(rows[0])
    assert 0 <= float(rows[-1]["val_empty_output"]) <= 1
    assert (tmp_path / "tabscm.resume.pt").is_file() and (tmp_path / "tabscm_curves.png").is_file()
    out = train(cfg, tmp_path, steps=3, resume=True)
    assert out["step"] == 3
    rows = list(csv.DictReader(open(tmp_path / "tabscm_log.csv")))
    assert [r["step"] for r in rows] == ["0", "2", "3"]
    _, _, meta = load_checkpoint(tmp_path / "tabscm.pt")
    assert meta["step"] == 3 and meta["data_seeds"]["train_first"] >= 10**9
    assert meta["datasets_seen"] == 6 and [r["datasets_seen"] for r in rows] == ["0", "4", "6"]  # batch 2, resumed
    # the second stage: a linear-Gaussian gate on the frozen model
    last = train_gate(cfg, tmp_path / "tabscm.pt", tmp_path / "gated", time_limit_min=5, val_every=2, steps=2)
    assert 0 <= last["val_gate_accuracy"] <= 1
    rows = list(csv.DictReader(open(tmp_path / "gated" / "tabscm_gate_log.csv")))
    assert [r["step"] for r in rows] == ["0", "2", "2"]
    model, gcfg, gmeta = load_checkpoint(tmp_path / "gated" / "tabscm.pt")
    assert gcfg["model"]["gate"] and gmeta["gate"]["steps"] == 2 and gmeta["step"] == 3
    frozen = load_checkpoint(tmp_path / "tabscm.pt")[0].state_dict()
    assert all(torch.equal(v, frozen[k]) for k, v in model.state_dict().items() if not k.startswith("gate."))
    ds = generate(SCMSpec(d=6, n=200, expected_degree=2.0, scaling="zscore"), 4)
    pred = get_method("tabscm", checkpoint=str(tmp_path / "gated" / "tabscm.pt")).fit(ds.observations())
    pred.validate(6)
    assert 0 <= pred.info["lingauss_prob"] <= 1 and pred.cpdag == (pred.info["lingauss_prob"] > 0.5)


def test_inference_at_d100_n2000_is_valid_and_beats_its_own_input_feature():
    """At the largest size users run, the shipped model returns a valid prediction whose ranking beats
    |partial correlation|, a feature it receives as input (a model that learned nothing scores at or
    below it). Its speed against PC is measured by `make perf`, not here."""
    from bench.metrics import evaluate

    ds = generate(SCMSpec(d=100, n=2000, expected_degree=2.0, scaling="zscore"), 3)
    pred = get_method("tabscm").fit(ds.observations())
    pred.validate(100)
    assert 0 < pred.info["forward_s"]
    m = evaluate(ds.graph, pred)
    base = evaluate(ds.graph, get_method("partial-corr").fit(ds.observations()))
    assert m["auroc"] > base["auroc"] and m["skeleton_auroc"] > 0.9, (m["auroc"], base["auroc"])

def test_a_warm_start_on_a_grown_feature_set_computes_what_the_old_model_did():
    """tabscm3 starts from the second generation: the 14 new input features start at zero weight, so before any
    step the grown model's logits are the old model's, and the new features do reach the embedding."""
    from methods.tabscm.model import N_FEATURES
    from methods.tabscm.train import init_from

    cfg = _cfg("tabscm3")
    old, old_cfg, _ = load_checkpoint(cfg["train"]["init_from"])
    assert old_cfg["model"].get("features", 2) == 2
    assert cfg["model"]["features"] == 3 and N_FEATURES[3] > N_FEATURES[2] == N_PAIR_FEATURES
    new = build_model(cfg["model"]).eval()
    init_from(new, cfg["train"]["init_from"])
    ds = generate(SCMSpec(d=9, n=300, expected_degree=2.0, mechanism="mlp", scaling="zscore"), 8)
    X, M = torch.from_numpy(ds.X).float()[None], torch.zeros(1, 300, 9)
    with torch.no_grad():
        assert torch.allclose(old(X, M), new(X, M), atol=1e-5)
    F = pair_features(X, M, version=3)
    assert F.shape[-1] == N_FEATURES[3] and torch.isfinite(F).all()
    assert torch.equal(F[..., :N_PAIR_FEATURES], pair_features(X, M))  # the old features unchanged


def test_large_graphs_come_in_smaller_batches_and_measurement_only_where_configured():
    from methods.tabscm.train import batch_size

    opt = _cfg("tabscm3")["optim"]
    assert batch_size(opt, 10) == 8 and batch_size(opt, 40) == 8 and batch_size(opt, 100) == 2
    assert batch_size(_cfg("tabscm")["optim"], 100) == 8  # configs without batch_pairs keep their batches
    data = _cfg("tabscm3")["data"]
    specs = [sample_spec(np.random.default_rng([k, 7]), data) for k in range(400)]
    assert max(s.d for s in specs) > 80
    measured = [s for s in specs if s.measured]
    assert 0.15 < len(measured) / len(specs) < 0.45
    for field in ("distortion", "measurement_noise", "outliers", "hidden", "regimes"):
        assert any(getattr(s, field) not in ((), 0, 0.0, 1) for s in measured), field
    assert not any(sample_spec(np.random.default_rng([k, 7]), _cfg("tabscm")["data"]).measured for k in range(200))


def test_threads_flag_overrides_the_configs_for_both_stages(monkeypatch):
    """`make train THREADS=2` reaches the trainer and the gate; without it each keeps the config's."""
    from methods.tabscm import gate as G
    from methods.tabscm import train as T

    seen = []
    monkeypatch.setattr(T, "train", lambda cfg, *a: seen.append(cfg["train"]["threads"]))
    monkeypatch.setattr(G, "train_gate", lambda cfg, *a: seen.append(cfg["train"]["threads"]))
    config = "methods/tabscm/configs/tabscm3.yaml"
    T.main(["--config", config, "--threads", "2"])
    G.main(["--config", config, "--checkpoint", "x.pt", "--threads", "2"])
    T.main(["--config", config])
    assert seen == [2, 2, _cfg("tabscm3")["train"]["threads"]]
