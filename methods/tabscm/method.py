"""The TabSCM methods: ``tabscm`` (pair-grid model, the one that works) and ``tabscm-seed``
(the reported architecture, reproduced). Lightweight: torch loads inside ``fit``."""
from __future__ import annotations

import time

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import Method, Prediction
from ..registry import register


class _TabSCM(Method):
    library = "torch"
    learned = True
    uses_interventions = True   # the mask is an input channel (and the pair grid's features)
    deterministic = False       # row subsamples (sample axis, row cap) are drawn from ``seed``
    output = "scores"
    time_budget_s = 120.0
    arch = ""
    parameter_constraints = {"checkpoint": [str, None], "threshold": [Interval(Real, 0, 1, closed="both")],
                             "device": [StrOptions({"cpu", "cuda"})],
                             "max_rows": [Interval(Integral, 3, None, closed="left"), None],
                             "seed": [Interval(Integral, 0, None, closed="left")]}

    def __init__(self, checkpoint: str | None = None, threshold: float = 0.5, device: str = "cpu",
                 max_rows: int = 2000, seed: int = 0):
        self.checkpoint = checkpoint
        self.threshold = threshold
        self.device = device
        self.max_rows = max_rows
        self.seed = seed

    def checkpoint_path(self):
        from .infer import shipped_checkpoint

        return self.checkpoint or str(shipped_checkpoint(self.name))

    def fingerprint(self) -> str:
        """sha256 of the checkpoint: a retrained model reruns its own jobs, nobody else's."""
        import hashlib
        from pathlib import Path

        path = Path(self.checkpoint_path())
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"

    def training_distribution(self):
        """The generator specs its trainer drew from: the ``data`` section of the checkpoint's own config."""
        from .infer import load_checkpoint
        from .distribution import training_distribution

        return training_distribution(load_checkpoint(self.checkpoint_path(), arch=self.arch)[1]["data"])

    def fit(self, obs) -> Prediction:
        import torch

        from .infer import decide, load_checkpoint, predict_proba

        path = self.checkpoint_path()
        model, cfg, meta = load_checkpoint(path, arch=self.arch)
        model.to(self.device)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            t0 = time.perf_counter()
            P, lingauss = predict_proba(model, cfg, obs.X, obs.interventions, self.seed, self.max_rows)
            forward_s = time.perf_counter() - t0
        finally:
            torch.set_num_threads(threads)
        P, G, cpdag = decide(P, lingauss, obs.interventions, cfg, self.threshold)
        info = self.describe(checkpoint=str(path), checkpoint_step=meta.get("step"),
                             checkpoint_code_version=meta.get("code_version"),
                             rows_used=int(min(obs.n, self.max_rows or obs.n)),
                             forward_s=round(forward_s, 4), lingauss_prob=lingauss,
                             prob_mean=float(P[~np.eye(obs.d, dtype=bool)].mean()) if obs.d > 1 else 0.0,
                             prob_std=float(P[~np.eye(obs.d, dtype=bool)].std()) if obs.d > 1 else 0.0)
        return Prediction(P, G, cpdag, info)


@register("tabscm")
class TabSCM(_TabSCM):
    """Pair-grid axial attention over sufficient statistics plus a sample-axis component
    (methods/tabscm/model.py); loads methods/tabscm/checkpoints/tabscm.pt by default. Where its gate
    judges the data linear-Gaussian, it returns the essential graph of its prediction (a CPDAG) and
    equal scores both ways on the edges that graph leaves undirected."""

    arch = "pairgrid"


@register("tabscm-seed")
class TabSCMSeed(_TabSCM):
    """The reported TabSCM transformer (columns summarised alone, then a column transformer);
    loads methods/tabscm/checkpoints/tabscm-seed.pt. Rows capped at 500 by default (its
    per-column attention is quadratic in rows)."""

    arch = "seed"

    def __init__(self, checkpoint: str | None = None, threshold: float = 0.5, device: str = "cpu",
                 max_rows: int = 500, seed: int = 0):
        super().__init__(checkpoint, threshold, device, max_rows, seed)
