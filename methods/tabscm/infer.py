"""Loading checkpoints and batched inference (imports torch when called, not at import time).

Checkpoints are dicts written by ``train.save_checkpoint``: ``format``, ``state_dict``,
``config`` (the training config), ``step``, ``meta`` (code version, data seeds, final
validation metrics). They load with ``torch.load(weights_only=True)``; anything missing,
unreadable or not matching its own config raises CheckpointError with a one-line message
that names the file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"
_CACHE: dict = {}


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, or does not match the model it claims to be."""


def shipped_checkpoint(name: str) -> Path:
    return CHECKPOINT_DIR / f"{name}.pt"


def load_checkpoint(path, arch: str | None = None):
    """(model in eval mode, float32; config dict; checkpoint meta). Cached per (path, mtime, size)."""
    import torch

    from .model import build_model

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path}: file not found (train one with "
                              f"`make train MODEL=<name>` or pass checkpoint=PATH)")
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key in _CACHE:
        model, cfg, meta = _CACHE[key]
    else:
        try:
            ck = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(f"checkpoint {path}: cannot be read as a torch checkpoint ({msg})") from None
        if not isinstance(ck, dict) or "state_dict" not in ck or "config" not in ck:
            raise CheckpointError(f"checkpoint {path}: not a TabSCM checkpoint (no state_dict/config)")
        cfg = ck["config"]
        try:
            model = build_model(cfg["model"])
        except Exception as e:
            raise CheckpointError(f"checkpoint {path}: bad model config ({e})") from None
        sd = {k: (v.float() if torch.is_tensor(v) and v.is_floating_point() else v)
              for k, v in ck["state_dict"].items()}
        own = model.state_dict()
        missing = sorted(set(own) - set(sd))
        unexpected = sorted(set(sd) - set(own))
        wrong = sorted(k for k in set(own) & set(sd) if tuple(own[k].shape) != tuple(sd[k].shape))
        if missing or unexpected or wrong:
            parts = [f"{label} {keys[:3]}{'...' if len(keys) > 3 else ''}"
                     for label, keys in (("missing", missing), ("unexpected", unexpected),
                                         ("shape mismatch", wrong)) if keys]
            raise CheckpointError(f"checkpoint {path}: weights do not match its config "
                                  f"({cfg['model'].get('arch')}): {'; '.join(parts)}")
        model.load_state_dict(sd)
        model.eval()
        meta = dict(ck.get("meta", {}), step=ck.get("step"))
        _CACHE.clear()
        _CACHE[key] = (model, cfg, meta)
    if arch is not None and cfg["model"].get("arch") != arch:
        raise CheckpointError(f"checkpoint {path}: holds a {cfg['model'].get('arch')!r} model, "
                              f"expected {arch!r}")
    return model, cfg, meta


def predict_proba(model, cfg: dict, X: np.ndarray, mask: np.ndarray | None, seed: int = 0,
                  max_rows: int | None = None) -> tuple[np.ndarray, float | None]:
    """Edge probabilities [d, d] (diagonal 0) in one batched forward pass, and the gate's probability
    that the data are linear-Gaussian (None for a model without a gate).

    X [n, d] raw data (z-scored here, per column); mask [n, d] bool or None. Rows beyond
    ``max_rows`` are dropped by a subsample drawn from ``seed``; the pair-grid model's sample
    axis sees ``sample_rows`` rows drawn from the same seed.
    """
    import torch

    from .model import zscore

    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    M = np.zeros((n, d), dtype=np.float32) if mask is None else np.asarray(mask, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if max_rows is not None and n > max_rows:
        idx = np.sort(rng.choice(n, size=max_rows, replace=False))
        X, M = X[idx], M[idx]
        n = max_rows
    # z-score in float64 before the float32 model sees it (input of any scale)
    sd = X.std(axis=0)
    Xz = (X - X.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0)
    Xt = torch.from_numpy(np.ascontiguousarray(Xz, dtype=np.float32))[None]
    Mt = torch.from_numpy(np.ascontiguousarray(M))[None]
    gated = getattr(model, "gate", None) is not None
    with torch.no_grad():
        Xt = zscore(Xt)
        if cfg["model"]["arch"] == "seed":
            logits, _ = model(Xt, Mt)
        else:
            m = min(int(cfg["model"].get("sample_rows", 64)), n)
            sidx = torch.from_numpy(np.sort(rng.choice(n, size=m, replace=False)))
            logits = model(Xt, Mt, Xt[:, sidx], Mt[:, sidx], with_gate=gated)
            if gated:
                logits, g = logits
    P = torch.sigmoid(logits[0].double()).numpy()
    P = np.nan_to_num(P, nan=0.0)
    np.fill_diagonal(P, 0.0)
    return P, (float(torch.sigmoid(g[0])) if gated else None)


def essential_scores(P: np.ndarray, G: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """For data the gate calls linear-Gaussian, where only the essential graph is identifiable: the
    (I-)essential graph E of the predicted DAG ``G`` (target sets from ``mask``), and ``P`` with every
    pair E leaves undirected given the mean of its two scores both ways (no direction claimed)."""
    from methods.convert import dag_to_essential_graph

    E = dag_to_essential_graph(G, mask)
    undirected = (E > 0) & (E.T > 0)
    return np.where(undirected, 0.5 * (P + P.T), P), E


def greedy_dag(P: np.ndarray, threshold: float = 0.5, pairs: bool = False) -> np.ndarray:
    """[d, d] int8 DAG: edges added in descending probability (ties by index), skipping any that
    would close a directed cycle. Deterministic.

    ``pairs=False``: candidate i -> j when P[i, j] > threshold. ``pairs=True``, for a model trained
    on soft targets (0.5 both ways where the data cannot orient an edge): an adjacency is
    P[i, j] + P[j, i] > threshold, the probability of an edge either way, oriented to the larger
    of the two; so an edge the model calls unorientable is kept, not lost below 0.5 twice."""
    d = P.shape[0]
    G = np.zeros((d, d), dtype=np.int8)
    reach = np.eye(d, dtype=bool)  # reach[a, b]: a path a -> b exists (reflexive)
    off = ~np.eye(d, dtype=bool)
    if pairs:
        S = np.where(P >= P.T, P + P.T, 0.0)  # one direction per pair (the upper one on a tie)
        S[np.tril((P == P.T), -1)] = 0.0
        cand = np.flatnonzero((S > threshold) & off)
        order = cand[np.argsort(-S.flat[cand], kind="stable")]
    else:
        cand = np.flatnonzero((P > threshold) & off)
        order = cand[np.argsort(-P.flat[cand], kind="stable")]
    for flat in order:
        i, j = divmod(int(flat), d)
        if reach[j, i]:
            continue
        G[i, j] = 1
        reach |= reach[:, [i]] & reach[[j], :]
    return G


def decide(P: np.ndarray, lingauss: float | None, mask: np.ndarray | None, cfg: dict,
           threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, bool]:
    """The model's answer from its edge probabilities: (scores, graph, cpdag). A greedy DAG (on pairs for a
    model trained on soft targets); where the gate calls the data linear-Gaussian (``lingauss`` > 0.5), that
    DAG's essential graph, a CPDAG, with ``essential_scores``."""
    G = greedy_dag(P, threshold, pairs=bool(cfg.get("loss", {}).get("soft_targets", False)))
    if lingauss is None or lingauss <= 0.5:
        return P, G, False
    return (*essential_scores(P, G, mask), True)
