"""The dependence-blindness probe: does a method's output depend on the joint distribution at all?

Edges are a property of the *joint* distribution. Shuffling each column's rows independently
(the same permutation applied to that column's intervention-mask entries) keeps every marginal
exactly and destroys all dependence between columns. A method that reads dependence must change
its scores; a method whose scores barely move is reading marginals only (or nothing) and is
blind to the thing it is meant to find. This is the failure the original TabSCM transformer hid
behind a low loss: it summarised each column alone, so its output was (nearly) a function of
marginals.

``dependence_probe(method, obs, seed=0)`` fits the method on ``obs`` and on the shuffled copy
and compares the two score matrices, truth-free:

- ``probe_score_change``: mean |s - s_shuffled| over off-diagonal entries, divided by the scale
  of the original scores (their std plus mean |s|, so a constant output gives 0 instead of a
  division by zero). 0 means "did not move at all".
- ``probe_rank_change``: 1 - Spearman correlation of the two score vectors (0 when the
  ranking is unchanged, about 1 when unrelated, up to 2 when reversed; 1 when either is constant).
- ``probe_control_change``: the same measure for a *joint* row permutation (one permutation for
  all columns: dependence kept, only row order changes). A row-order-sensitive model (e.g. one
  with row positional encodings) moves under any permutation; this is its noise floor. 0 for
  methods that treat rows as a set.
- ``probe_excess_change``: ``probe_score_change - probe_control_change``, the part of the movement
  due to destroying dependence.
- ``probe_blind``: ``probe_excess_change < BLIND_THRESHOLD``.
"""
from __future__ import annotations

import numpy as np

#: Below this relative change the method is called blind to dependence. Why 0.1: a method that
#: reads dependence sees its strong edges vanish under shuffling, so its scores move by a large
#: fraction of their own scale (|corr| moves by ~0.5-1.5 on small graphs); a method reading
#: marginals moves by 0 exactly (deterministic) or by sampling noise in the marginals' estimate
#: (a few per cent). 0.1 sits between the two with an order of magnitude either side.
BLIND_THRESHOLD = 0.1


def shuffle_columns(obs, seed: int = 0):
    """Observations with each column's rows (and mask entries) permuted independently."""
    from datasets.base import Observations

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB11D]))
    X = np.asarray(obs.X)
    n, d = X.shape
    Xs = np.empty_like(X)
    M = None if obs.interventions is None else np.asarray(obs.interventions)
    Ms = None if M is None else np.empty_like(M)
    for j in range(d):
        perm = rng.permutation(n)
        Xs[:, j] = X[perm, j]
        if Ms is not None:
            Ms[:, j] = M[perm, j]
    return Observations(Xs, Ms, tuple(obs.variables))


def permute_rows(obs, seed: int = 0):
    """Observations with all rows permuted by one permutation (dependence kept)."""
    from datasets.base import Observations

    perm = np.random.default_rng(np.random.SeedSequence([seed, 0xC0DE])).permutation(obs.X.shape[0])
    M = None if obs.interventions is None else np.asarray(obs.interventions)[perm]
    return Observations(np.asarray(obs.X)[perm], M, tuple(obs.variables))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import rankdata

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    ra, rb = rankdata(a), rankdata(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def dependence_probe(method, obs, seed: int = 0) -> dict:
    """Fit ``method`` on ``obs``, its column-shuffled copy and a jointly row-permuted copy
    (control); how much did the scores move when dependence was destroyed?

    method: a methods.Method instance. obs: datasets.base.Observations. Returns a JSON-ready
    dict: probe_score_change, probe_control_change, probe_excess_change, probe_rank_change, probe_blind, probe_threshold, and the scores'
    spread before and after (probe_score_std, probe_score_std_shuffled).
    """
    d = obs.X.shape[1]
    off = ~np.eye(d, dtype=bool)
    s = np.nan_to_num(np.asarray(method.fit(obs).scores, dtype=float)[off])
    s_sh = np.nan_to_num(np.asarray(method.fit(shuffle_columns(obs, seed)).scores, dtype=float)[off])
    s_pm = np.nan_to_num(np.asarray(method.fit(permute_rows(obs, seed)).scores, dtype=float)[off])
    scale = float(s.std() + np.abs(s).mean())

    def rel(other):
        diff = float(np.abs(s - other).mean())
        return diff / (scale + 1e-12) if scale > 0 else (0.0 if diff == 0 else float("inf"))

    change, control = rel(s_sh), rel(s_pm)
    excess = change - control if np.isfinite(change) and np.isfinite(control) else change
    return {"probe_score_change": float(change),
            "probe_control_change": float(control),
            "probe_excess_change": float(excess),
            "probe_rank_change": float(1.0 - _spearman(s, s_sh)),
            "probe_blind": bool(excess < BLIND_THRESHOLD),
            "probe_threshold": BLIND_THRESHOLD,
            "probe_score_std": float(s.std()),
            "probe_score_std_shuffled": float(s_sh.std())}
