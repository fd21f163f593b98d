"""Graph metrics, computed by the harness from a truth graph and a Prediction.

Pure functions on arrays. Each key carries its convention in its name, and ``HIGHER_IS_BETTER``
says which way it ranks. Conventions (tested by hand-worked cases in tests/test_metrics.py):

- ``precision/recall/f1``: over ordered pairs (i, j), i != j. An undirected CPDAG edge is
  predicted in both directions, so on a true edge it is one hit and one false positive.
- ``skeleton_*``: over unordered pairs, direction ignored.
- Nothing predicted: precision 0 (1 if the truth is empty too). Empty truth: recall 1.
  F1 = 0 when precision + recall = 0. These never become NaN, so the empty graph cannot
  hide behind an undefined value.
- ``shd``: gadjid's SHD; each unordered pair that differs counts once (a reversal is 1).
  gadjid refuses cyclic graphs (Sachs ``cdt18`` is one); there the same count is taken with
  numpy (``pairwise_shd``, which the tests check against gadjid on DAGs).
- The truth's essential graph E (``essential_graph``): its CPDAG, or for interventional data
  its I-essential graph (Hauser & Bühlmann 2012), the class of DAGs the data could tell apart.
  Encoded like every graph here: directed i -> j is E[i, j] = 1 only, undirected is 1 both
  ways. ``evaluate`` uses the ``truth_cpdag`` it is given (the runner passes the I-essential
  graph for interventional data), else the truth's CPDAG.
- ``shd_cpdag``: gadjid's SHD between the truth's essential graph E and the CPDAG of the
  prediction (a DAG prediction is first mapped to its CPDAG; a CPDAG prediction is used as is).
- ``sid``: gadjid's SID for a DAG prediction, gadjid's parent-AID (its generalisation,
  equal to SID on DAGs) for a CPDAG prediction. NaN only when the truth is not a DAG or the
  prediction is not a graph gadjid accepts.
- ``auroc``, ``auprc`` (average precision, scikit-learn): over off-diagonal entries of
  ``scores`` against the directed truth. Constant scores give AUROC 0.5 and AUPRC the edge
  prevalence. NaN when the truth has no edge (undefined).
- ``skeleton_auroc``: scores symmetrised (max of both directions) against the skeleton.
- ``orientation_accuracy``: share of true edges i -> j with scores[i, j] > scores[j, i]; a
  tie (e.g. an undirected edge) counts one half. NaN when the truth has no edge.
- ``orientation_compelled`` / ``orientation_unidentifiable``: the same share over the true
  edges that E orients (compelled) / leaves undirected (no method can orient them from the
  data, so one half is all a method can be sure of). ``n_compelled_edges`` /
  ``n_unidentifiable_edges`` count them (floats, like ``n_true_edges``; not ranked). A share
  is NaN when its count is 0; shares and counts are NaN when the truth is not a DAG.
"""
from __future__ import annotations

from functools import lru_cache

import networkx as nx
import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from methods.convert import dag_to_cpdag, dag_to_interventional_cpdag, to_gadjid

HIGHER_IS_BETTER = {
    "auroc": True, "auprc": True, "precision": True, "recall": True, "f1": True,
    "skeleton_precision": True, "skeleton_recall": True, "skeleton_f1": True,
    "skeleton_auroc": True, "orientation_accuracy": True,
    "orientation_compelled": True, "orientation_unidentifiable": True,
    "shd": False, "shd_cpdag": False, "sid": False,
}


@lru_cache(maxsize=256)
def _essential_graph(shape: tuple[int, int], data: bytes, targets: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Essential graph of a truth DAG, memoised: many methods are scored against the same truth.
    Returned read-only, since every caller shares the cached array."""
    A = np.frombuffer(data, dtype=np.int8).reshape(shape)
    E = dag_to_interventional_cpdag(A, targets) if targets else dag_to_cpdag(A)
    E.flags.writeable = False
    return E


def essential_graph(truth: np.ndarray, targets=None) -> np.ndarray | None:
    """The truth's essential graph [d, d] int8: its CPDAG when ``targets`` is None or empty,
    else its I-essential graph for the intervention target sets ``targets`` (each a list of node
    indices; the observational setting is always included). None when the truth is not a DAG."""
    T = (np.asarray(truth) != 0).astype(np.int8)
    if not is_dag(T):
        return None
    key = tuple(sorted({tuple(sorted({int(v) for v in t})) for t in (targets or ())} - {()}))
    return _essential_graph(T.shape, T.tobytes(), key)


def is_dag(A: np.ndarray) -> bool:
    return nx.is_directed_acyclic_graph(nx.from_numpy_array((np.asarray(A) != 0).astype(int),
                                                            create_using=nx.DiGraph))


def _prf(tp: float, n_pred: float, n_true: float) -> tuple[float, float, float]:
    precision = tp / n_pred if n_pred else (1.0 if n_true == 0 else 0.0)
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def _gadjid(fn, *args, **kw) -> float:
    """Call gadjid; its Rust panics derive from BaseException, so catch them here, at its door."""
    import gadjid

    try:
        return float(getattr(gadjid, fn)(*args, **kw)[1])
    except BaseException as e:  # noqa: BLE001 - pyo3 PanicException is a BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return float("nan")


def pairwise_shd(T: np.ndarray, G: np.ndarray) -> float:
    """Unordered pairs whose edge marks differ (gadjid's SHD), for graphs gadjid refuses."""
    iu = np.triu_indices(T.shape[0], 1)
    return float(np.sum((T[iu] != G[iu]) | (T.T[iu] != G.T[iu])))


def _orientation_share(fwd: np.ndarray, bwd: np.ndarray) -> float:
    """Share of edges whose forward score beats the backward one, ties one half; NaN if none."""
    return float(np.mean((fwd > bwd) + 0.5 * (fwd == bwd))) if len(fwd) else float("nan")


def ranking_metrics(truth: np.ndarray, scores: np.ndarray,
                    essential: np.ndarray | None = None) -> dict[str, float]:
    """AUROC, AUPRC, skeleton AUROC and orientation accuracy of a score matrix, the last also
    split by whether the truth's essential graph (``essential``, default its CPDAG) orients
    the edge: a method should not be blamed for a coin flip on an edge the data cannot orient."""
    T = np.asarray(truth) != 0
    S = np.asarray(scores, dtype=float)
    d = T.shape[0]
    off = ~np.eye(d, dtype=bool)
    y, s = T[off], S[off]
    out = dict.fromkeys(["auroc", "auprc", "skeleton_auroc", "orientation_accuracy",
                         "orientation_compelled", "orientation_unidentifiable",
                         "n_compelled_edges", "n_unidentifiable_edges"], float("nan"))
    E = essential if essential is not None else essential_graph(T)
    if E is not None:
        E = np.asarray(E) != 0
        out["n_compelled_edges"] = float((T & E & ~E.T).sum())
        out["n_unidentifiable_edges"] = float((T & E & E.T).sum())
    if not y.any():
        return out
    out["auroc"] = float(roc_auc_score(y, s)) if not y.all() else float("nan")
    out["auprc"] = float(average_precision_score(y, s))
    iu = np.triu_indices(d, 1)
    skel = (T | T.T)[iu]
    if 0 < skel.sum() < len(skel):
        out["skeleton_auroc"] = float(roc_auc_score(skel, np.maximum(S, S.T)[iu]))
    i, j = np.nonzero(T & ~T.T)
    out["orientation_accuracy"] = _orientation_share(S[i, j], S[j, i])
    if E is not None:
        for key, mask in [("orientation_compelled", ~E.T), ("orientation_unidentifiable", E.T)]:
            i, j = np.nonzero(T & E & mask)
            out[key] = _orientation_share(S[i, j], S[j, i])
    return out


def graph_metrics(truth: np.ndarray, graph: np.ndarray, cpdag: bool,
                  truth_cpdag: np.ndarray | None = None) -> dict[str, float]:
    """Precision/recall/F1 (directed and skeleton), SHD, SHD between CPDAGs, SID, edge counts.

    ``truth_cpdag``: the truth's essential graph when the caller has it already (the runner
    computes it once per dataset), else the truth's CPDAG."""
    T = (np.asarray(truth) != 0).astype(np.int8)
    G = (np.asarray(graph) != 0).astype(np.int8)
    np.fill_diagonal(G, 0)
    out: dict[str, float] = {}
    out["precision"], out["recall"], out["f1"] = _prf(float((T & G).sum()), float(G.sum()), float(T.sum()))
    Ts, Gs = np.triu(T | T.T, 1), np.triu(G | G.T, 1)
    out["skeleton_precision"], out["skeleton_recall"], out["skeleton_f1"] = _prf(
        float((Ts & Gs).sum()), float(Gs.sum()), float(Ts.sum()))
    out["n_pred_edges"] = float(Gs.sum())
    out["n_true_edges"] = float(T.sum())

    truth_dag = is_dag(T)
    out["shd"] = _gadjid("shd", to_gadjid(T), to_gadjid(G)) if truth_dag else pairwise_shd(T, G)
    pred_is_dag = not (G & G.T).any() and is_dag(G)
    if truth_dag and (cpdag or pred_is_dag):
        pred_cpdag = G if cpdag else dag_to_cpdag(G)
        t_cpdag = truth_cpdag if truth_cpdag is not None else essential_graph(T)
        out["shd_cpdag"] = _gadjid("shd", to_gadjid(t_cpdag), to_gadjid(pred_cpdag))
    else:
        out["shd_cpdag"] = float("nan")
    if truth_dag and pred_is_dag:
        out["sid"] = _gadjid("sid", to_gadjid(T), to_gadjid(G), edge_direction="from row to column")
    elif truth_dag and cpdag:
        out["sid"] = _gadjid("parent_aid", to_gadjid(T), to_gadjid(G), edge_direction="from row to column")
    else:
        out["sid"] = float("nan")
    return out


def truth_cpdag(truth: np.ndarray) -> np.ndarray | None:
    """The CPDAG of a truth graph, or None when the truth is not a DAG."""
    return essential_graph(truth)


def evaluate(truth_graph: np.ndarray, prediction, truth_cpdag: np.ndarray | None = None) -> dict[str, float]:
    """Every metric of a Prediction (``.scores``, ``.graph``, ``.cpdag``) against the truth.

    ``truth_cpdag``: the truth's essential graph (its CPDAG, or its I-essential graph for
    interventional data, see ``essential_graph``); computed from the truth when not given."""
    out = graph_metrics(truth_graph, prediction.graph, bool(prediction.cpdag), truth_cpdag)
    out.update(ranking_metrics(truth_graph, prediction.scores, truth_cpdag))
    return out
