"""``check``: the harness's failure checks as one Python call, cheap enough for a training loop.

A model that trains to a low loss can still predict no edges (the original TabSCM did, for 21.5 GPU-hours). ``check``
fits a method on a small suite in this process, scores it with the harness's own metrics and flags
(``bench.metrics``, ``bench.diagnostics``, the dependence probe ``bench.probe``) and returns one row per dataset, so
a training loop can stop or warn the moment its model collapses.

    from bench import check
    report = check("pc(alpha=0.2)", suite="quick", budget_s=20)
    report = check(lambda X: np.abs(np.corrcoef(X, rowvar=False)))   # any X [n, d] -> scores [d, d]

Flags (bool columns; ``FLAGS``): ``failed`` (raised or broke the output contract), ``empty_output``,
``constant_scores``, ``chance_auroc``, ``no_better_than_empty``, ``no_better_than_trivial`` (AUROC not above the
best of the trivial baselines on that dataset) and ``dependence_blind`` (the probe: scores do not move when every
column is shuffled on its own). Datasets not fitted because ``budget_s`` ran out have status ``skipped`` and
``budget_exceeded`` True, every flag False.
"""
from __future__ import annotations

import inspect
import time
from functools import lru_cache

import numpy as np
import pandas as pd

from .diagnostics import TRIVIAL_METHODS, job_flags
from .metrics import essential_graph, evaluate
from .probe import dependence_probe

FLAGS = ["failed", "empty_output", "constant_scores", "chance_auroc", "no_better_than_empty",
         "no_better_than_trivial", "dependence_blind"]
METRICS = ["auroc", "auprc", "f1", "shd", "skeleton_auroc", "orientation_accuracy", "n_pred_edges", "n_true_edges"]


def _callable_method(fn, threshold: float):
    """A ``Method`` around ``fn(X) -> scores [d, d]`` (or ``fn(X, mask)``, or returning a ``Prediction``); its graph
    keeps the scores above ``threshold``, made acyclic greedily (highest first)."""
    from methods import Method, Prediction
    from methods.tabscm.infer import greedy_dag

    takes_mask = len([p for p in inspect.signature(fn).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) >= 2

    class Callable(Method):
        name = getattr(fn, "__name__", "callable")
        output = "scores"

        def fit(self, obs):
            out = fn(obs.X, obs.interventions) if takes_mask else fn(obs.X)
            if isinstance(out, Prediction):
                return out
            S = np.array(out, dtype=float)
            if S.shape != (obs.d, obs.d):
                raise ValueError(f"the callable returned shape {S.shape}, expected ({obs.d}, {obs.d})")
            np.fill_diagonal(S, 0.0)
            return Prediction(S, greedy_dag(np.nan_to_num(S), threshold), False, {"method": self.name})

    return Callable()


def resolve_method(method, **params):
    """A ``Method`` from an instance, a registered name (``"pc"``, ``"pc(alpha=0.2)"``, ``"pkg.mod:Class"``) with
    optional ``params``, or a callable; ValueError naming what is wrong otherwise."""
    from methods import Method, get_method

    from .jobs import parse_method_spec

    threshold = params.pop("threshold", 0.5) if not isinstance(method, (str, Method)) else None
    if isinstance(method, Method):
        return method.set_params(**params) if params else method
    if isinstance(method, str):
        name, spec_params = parse_method_spec(method)
        try:
            return get_method(name, **{**spec_params, **params})
        except KeyError as e:
            raise ValueError(e.args[0]) from None
    if callable(method):
        if params:
            raise ValueError(f"parameters {sorted(params)} given for a plain callable (only threshold=)")
        return _callable_method(method, threshold)
    raise ValueError(f"check() takes a Method, a method name or a callable, not {type(method).__name__}")


def _datasets(suite) -> list:
    from datasets import Dataset, load_suite

    if isinstance(suite, str):
        try:
            return load_suite(suite)
        except KeyError as e:
            raise ValueError(e.args[0]) from None
    if isinstance(suite, Dataset):
        return [suite]
    suite = list(suite)
    if not all(isinstance(ds, Dataset) for ds in suite):
        raise ValueError("suite must be a suite name, a Dataset or a list of Datasets")
    return suite


class _Key:
    """A dataset hashed by its content, as a cache key (a training loop checks the same data again and again)."""

    def __init__(self, ds):
        import hashlib

        self.ds = ds
        self.key = hashlib.sha1(np.ascontiguousarray(ds.X).tobytes() + np.asarray(ds.graph).tobytes()).hexdigest()

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _Key) and self.key == other.key


@lru_cache(maxsize=256)
def _trivial_auroc(name: str, key: _Key) -> float:
    """AUROC of one trivial baseline on a dataset."""
    from methods import get_method

    ds = key.ds
    return evaluate(ds.graph, get_method(name).fit(ds.observations()), essential_graph(ds.graph))["auroc"]


def _trivial_best(ds) -> tuple[float, str | None]:
    best, who = float("nan"), None
    for name in TRIVIAL_METHODS:
        try:
            a = _trivial_auroc(name, _Key(ds))
        except Exception:  # noqa: BLE001 - a baseline that cannot run on this dataset is left out
            continue
        if np.isfinite(a) and not best >= a:
            best, who = a, name
    return best, who


def check(method, suite="quick", budget_s: float | None = 60.0, *, seed: int = 0, probe: bool = True,
          trivial: bool = True, **params) -> pd.DataFrame:
    """Fit ``method`` on each dataset of ``suite`` in this process and return one row per dataset: ``dataset``,
    ``suite``, ``d``, ``n``, ``status`` (ok, error, invalid, skipped), ``error``, ``fit_s``, the metrics of
    ``METRICS``, ``trivial_auroc`` / ``trivial_best``, ``probe_excess_change``, ``budget_exceeded`` and a bool
    column per flag in ``FLAGS`` (see the module docstring).

    ``method``: a ``methods.Method``, a registered name with parameters (``"pc(alpha=0.2)"`` or ``"pc", alpha=0.2``)
    or a callable ``X [n, d] -> scores [d, d]`` (``threshold=`` sets where its graph cuts, default 0.5).
    ``suite``: a suite name or a list of ``Dataset``. ``budget_s``: no new dataset is started past this many seconds
    (None: no limit). ``probe``: run the dependence probe (two more fits per dataset). ``trivial``: compare with the
    trivial baselines."""
    from methods import InvalidPrediction
    from methods.convert import intervention_targets

    m = resolve_method(method, **params)
    data = _datasets(suite)
    t0 = time.perf_counter()
    rows = []
    for ds in data:
        row = {"dataset": ds.name, "suite": ds.meta.get("suite", suite if isinstance(suite, str) else None),
               "d": ds.d, "n": ds.n, "status": "ok", "error": None, "fit_s": float("nan"),
               **dict.fromkeys(METRICS, float("nan")), "trivial_auroc": float("nan"), "trivial_best": None,
               "probe_excess_change": float("nan"), "budget_exceeded": False, **dict.fromkeys(FLAGS, False)}
        rows.append(row)
        if budget_s is not None and time.perf_counter() - t0 > budget_s:
            row.update(status="skipped", error=f"not fitted: the budget of {budget_s:g} s was spent",
                       budget_exceeded=True)
            continue
        obs = ds.observations()
        try:
            t = time.perf_counter()
            pred = m.fit(obs)
            row["fit_s"] = time.perf_counter() - t
            pred.validate(ds.d)
        except InvalidPrediction as e:
            row.update(status="invalid", error=str(e), failed=True)
            continue
        except Exception as e:  # noqa: BLE001 - a failure is a result
            row.update(status="error", error=f"{type(e).__name__}: {e}", failed=True)
            continue
        metrics = evaluate(ds.graph, pred, essential_graph(ds.graph, intervention_targets(ds.interventions)))
        row.update({k: metrics.get(k, float("nan")) for k in METRICS})
        flags = job_flags(ds.graph, pred, metrics)
        row.update({k: bool(flags[k]) for k in ("empty_output", "constant_scores", "chance_auroc",
                                                  "no_better_than_empty")})
        if trivial:
            best, who = _trivial_best(ds)
            row.update(trivial_auroc=best, trivial_best=who,
                       no_better_than_trivial=bool(np.isfinite(best) and not metrics["auroc"] > best))
        if probe:
            try:
                p = dependence_probe(m, obs, seed=seed, scores=pred.scores)
                row.update(probe_excess_change=p["probe_excess_change"], dependence_blind=bool(p["probe_blind"]))
            except Exception as e:  # noqa: BLE001
                row["error"] = f"probe failed: {type(e).__name__}: {e}"
    out = pd.DataFrame(rows)
    out.attrs.update(method=getattr(m, "name", None) or type(m).__name__, seconds=time.perf_counter() - t0,
                     budget_s=budget_s)
    return out
