"""The dependence-blindness probe: does a method's output depend on the joint distribution at all?

Shuffling each column's rows independently (its intervention-mask entries alike) keeps every marginal and destroys
all dependence, so a method that reads dependence must change its scores; the original TabSCM transformer summarised
each column alone and hid exactly this behind a low loss. ``dependence_probe`` compares the off-diagonal scores on
``obs`` with those on the shuffled copy:

- ``probe_score_change``: mean |s - s_shuffled| over the scale of the original scores (std + mean |s|; a constant
  output gives 0, not a division by zero). 0: did not move at all.
- ``probe_rank_change``: 1 - Spearman correlation of the two (0 unchanged, ~1 unrelated, 2 reversed, 1 if constant).
- ``probe_control_change``: the same for one joint row permutation (dependence kept): the noise floor of a
  row-order-sensitive model, 0 for methods that treat rows as a set.
- ``probe_excess_change``: score change minus control change, the movement due to lost dependence.
- ``probe_blind``: ``probe_excess_change < BLIND_THRESHOLD``.

Larger data are probed on a seeded sub-table of at most ``MAX_VARIABLES`` columns and ``MAX_ROWS`` rows: blindness
is the model's, not the dataset's, and three full fits of a learned model at d = 100 cost more than the job itself.
"""
import numpy as np

#: Why 0.1: a method reading dependence loses its strong edges under shuffling, so its scores move by a large fraction
#: of their scale (|corr|: ~0.5-1.5 on small graphs); one reading marginals moves by 0 or by sampling noise (a few
#: per cent). 0.1 sits an order of magnitude from either.
BLIND_THRESHOLD = 0.1
MAX_VARIABLES, MAX_ROWS = 20, 500


def sub_table(obs, seed: int = 0):
    """``obs`` itself if it is small enough, else a seeded sub-table of it (columns and rows in their order)."""
    from datasets.base import Observations

    n, d = obs.X.shape
    if n <= MAX_ROWS and d <= MAX_VARIABLES:
        return obs
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5AB]))
    rows = np.sort(rng.choice(n, min(n, MAX_ROWS), replace=False))
    cols = np.sort(rng.choice(d, min(d, MAX_VARIABLES), replace=False))
    mask = None if obs.interventions is None else np.asarray(obs.interventions)[np.ix_(rows, cols)]
    return Observations(np.asarray(obs.X)[np.ix_(rows, cols)], mask, tuple(obs.variables[j] for j in cols))


def shuffle_columns(obs, seed: int = 0, joint: bool = False):
    """Observations with each column's rows (and mask entries) permuted independently; with ``joint``, all rows by
    one permutation (dependence kept: the control)."""
    from datasets.base import Observations

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0DE if joint else 0xB11D]))
    n, d = obs.X.shape
    perms = [rng.permutation(n)] * d if joint else [rng.permutation(n) for _ in range(d)]

    def permuted(A):
        return None if A is None else np.stack([np.asarray(A)[p, j] for j, p in enumerate(perms)], axis=1)

    return Observations(permuted(obs.X), permuted(obs.interventions), tuple(obs.variables))


def dependence_probe(method, obs, seed: int = 0, scores=None) -> dict:
    """Fit ``method`` on ``obs`` (its sub-table; unless its ``scores`` there are given) and on its shuffled and
    row-permuted copies; the measures above, the threshold and the scores' std before and after shuffling."""
    from scipy.stats import rankdata

    small = sub_table(obs, seed)
    scores, obs = (scores, obs) if small is obs else (None, small)
    off = ~np.eye(obs.X.shape[1], dtype=bool)

    def fit(o):
        return np.nan_to_num(np.asarray(method.fit(o).scores, dtype=float)[off])

    s = fit(obs) if scores is None else np.nan_to_num(np.asarray(scores, dtype=float)[off])
    s_sh, s_pm = fit(shuffle_columns(obs, seed)), fit(shuffle_columns(obs, seed, joint=True))
    scale = float(s.std() + np.abs(s).mean())

    def rel(other):
        diff = float(np.abs(s - other).mean())
        return diff / (scale + 1e-12) if scale > 0 else (0.0 if diff == 0 else float("inf"))

    change, control = rel(s_sh), rel(s_pm)
    excess = change - control if np.isfinite(change) and np.isfinite(control) else change
    rho = 0.0 if np.ptp(s) == 0 or np.ptp(s_sh) == 0 else float(np.corrcoef(rankdata(s), rankdata(s_sh))[0, 1])
    return {"probe_score_change": float(change), "probe_control_change": float(control),
            "probe_excess_change": float(excess), "probe_rank_change": float(1.0 - rho),
            "probe_blind": bool(excess < BLIND_THRESHOLD), "probe_threshold": BLIND_THRESHOLD,
            "probe_score_std": float(s.std()), "probe_score_std_shuffled": float(s_sh.std()),
            "probe_rows": int(obs.X.shape[0]), "probe_variables": int(obs.X.shape[1])}
