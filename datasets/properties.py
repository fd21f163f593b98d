"""Dataset diagnostics: the facts that decide whether a score on a dataset means anything.

``dataset_properties(ds)`` returns a flat dict that the harness writes beside every metric:

- ``var_sortability``, ``r2_sortability`` (CausalDisco.analytics, over causal paths of the
  truth): near 1, sorting variables by marginal variance / by R^2 from all others already
  gives the causal order, so a method may be winning by sorting. 0.5 is chance. NaN when the
  truth is empty, cyclic or unknown, or there are fewer than 3 observational rows. Computed on
  observational rows only (intervened rows are set from outside, not by the mechanism).
- ``edge_density`` (edges / (d(d-1)/2)), ``n_edges``, ``mean_in_degree``, ``max_in_degree``
  (NaN when the dataset has no truth, ``meta["has_truth"] = False``)
- ``intervened_row_share`` (rows with any variable set), ``noise`` (family from meta, else
  "unknown"), ``n``, ``d``, ``truth_is_dag``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .base import Dataset


def _is_dag(A: np.ndarray) -> bool:
    import networkx as nx
    return nx.is_directed_acyclic_graph(nx.from_numpy_array(A, create_using=nx.DiGraph))


def sortability(X: np.ndarray, A: np.ndarray) -> tuple[float, float]:
    """(var-sortability, R^2-sortability) of data X [n, d] for DAG A [d, d], via CausalDisco."""
    from CausalDisco.analytics import r2_sortability, var_sortability
    from threadpoolctl import threadpool_limits

    if A.sum() == 0 or X.shape[0] < 3:
        return float("nan"), float("nan")
    W = (A != 0).astype(np.int64)
    out = []
    with threadpool_limits(1), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for f in (var_sortability, r2_sortability):
            try:
                v = float(f(X, W))
            except Exception:  # e.g. a column constant on the observational rows
                v = float("nan")
            out.append(v if np.isfinite(v) else float("nan"))
    return out[0], out[1]


def dataset_properties(ds: Dataset) -> dict:
    """Flat dict of diagnostics for one dataset (see the module docstring)."""
    n, d = ds.n, ds.d
    A = (np.asarray(ds.graph) != 0).astype(np.int64)
    np.fill_diagonal(A, 0)
    has_truth = bool(ds.meta.get("has_truth", True))
    is_dag = bool(ds.meta.get("truth_is_dag", True)) and _is_dag(A)
    in_deg = A.sum(axis=0)
    if ds.interventions is not None:
        obs = ~np.asarray(ds.interventions).any(axis=1)
    else:
        obs = np.ones(n, dtype=bool)
    if has_truth and is_dag and A.any():
        vs, r2 = sortability(ds.X[obs], A)
    else:
        vs, r2 = float("nan"), float("nan")
    out = {
        "n": int(n), "d": int(d),
        "n_edges": int(A.sum()),
        "edge_density": float(A.sum() / (d * (d - 1) / 2)) if d > 1 else float("nan"),
        "mean_in_degree": float(in_deg.mean()) if d else float("nan"),
        "max_in_degree": int(in_deg.max()) if d else 0,
        "intervened_row_share": float(1.0 - obs.mean()) if n else 0.0,
        "noise": str(ds.meta.get("noise") or "unknown"),
        "truth_is_dag": is_dag,
        "has_truth": has_truth,
        "var_sortability": vs,
        "r2_sortability": r2,
    }
    if not has_truth:  # an all-zero placeholder graph says nothing about structure
        for key in ("n_edges", "edge_density", "mean_in_degree", "max_in_degree"):
            out[key] = float("nan")
    return out


def summarize(props: list[dict]) -> dict:
    """Suite-level record: mean (NaN-skipping) of every numeric property over its datasets."""
    out = {"datasets": len(props)}
    keys = [k for k in (props[0] if props else {}) if not isinstance(props[0][k], (str, bool))]
    for k in keys:
        vals = np.array([p[k] for p in props], dtype=float)
        out[f"mean_{k}"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    out["noise"] = "+".join(sorted({p["noise"] for p in props}))
    return out


def suite_properties(name: str) -> dict:
    """``summarize`` over the datasets of a registered suite (generated or read from the cache)."""
    from .registry import load_suite
    return summarize([dataset_properties(ds) for ds in load_suite(name)])
