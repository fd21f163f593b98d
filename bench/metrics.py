"""Graph metrics, computed by the harness from a truth graph and a Prediction.

Pure functions on arrays. Each key carries its convention in its name; ``HIGHER_IS_BETTER`` says which way it
ranks. Conventions (hand-worked cases in tests/test_metrics.py):

- ``precision/recall/f1``: over ordered pairs (i, j), i != j; an undirected CPDAG edge is predicted both ways,
  so on a true edge it is one hit and one false positive. ``skeleton_*``: over unordered pairs.
- Nothing predicted: precision 0 (1 if the truth is empty too). Empty truth: recall 1. F1 = 0 when
  precision + recall = 0. Never NaN, so the empty graph cannot hide behind an undefined value.
- ``shd``: gadjid's SHD, each unordered pair that differs counting once (a reversal is 1). gadjid refuses
  cyclic truths (Sachs ``cdt18``); there numpy's ``pairwise_shd`` takes the same count.
- The truth's essential graph E (``essential_graph``): its CPDAG, or for interventional data its I-essential
  graph (Hauser & Bühlmann 2012). Directed i -> j is E[i, j] = 1 only, undirected is 1 both ways. ``evaluate``
  uses the ``truth_cpdag`` it is given (the I-essential graph for interventional data), else the truth's CPDAG.
- ``shd_cpdag``: gadjid's SHD between E and the prediction's CPDAG (a DAG prediction mapped to its CPDAG).
- A prediction whose directed part has a cycle (e.g. PC's conflicting orientations) is scored as returned: gadjid
  refuses cycles, so ``shd`` (and ``shd_cpdag`` of a declared CPDAG) is the same pairwise count by numpy.
- ``sid``: gadjid's SID for a DAG prediction, its parent-AID (equal to SID on DAGs) for a CPDAG. NaN where it is
  undefined: a truth that is not a DAG, a prediction with a directed cycle, or one gadjid refuses.
- ``auroc``, ``auprc`` (scikit-learn's average precision): off-diagonal ``scores`` against the directed truth;
  constant scores give AUROC 0.5 and AUPRC the edge prevalence; NaN when the truth has no edge.
  ``skeleton_auroc``: scores symmetrised (max of both directions) against the skeleton.
- ``orientation_accuracy``: share of true edges i -> j with scores[i, j] > scores[j, i], a tie (e.g. an
  undirected edge) one half; NaN when the truth has no edge.
- ``orientation_compelled`` / ``orientation_unidentifiable``: the same share over the true edges E orients /
  leaves undirected (no method can orient those from the data). ``n_compelled_edges`` /
  ``n_unidentifiable_edges`` count them (floats, like ``n_true_edges``; not ranked). A share is NaN when its
  count is 0; shares and counts are NaN when the truth is not a DAG.
"""

from functools import lru_cache

import networkx as nx
import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from methods.base import has_directed_cycle
from methods.convert import dag_to_cpdag, dag_to_interventional_cpdag, to_gadjid

HIGHER_IS_BETTER = {key: key not in ("shd", "shd_cpdag", "sid") for key in [
    "auroc", "auprc", "precision", "recall", "f1", "skeleton_precision", "skeleton_recall", "skeleton_f1",
    "skeleton_auroc", "orientation_accuracy", "orientation_compelled", "orientation_unidentifiable",
    "shd", "shd_cpdag", "sid"]}


@lru_cache(maxsize=256)
def _essential_graph(shape: tuple[int, int], data: bytes, targets: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Memoised (many methods are scored against one truth); read-only, since every caller shares it."""
    A = np.frombuffer(data, dtype=np.int8).reshape(shape)
    E = dag_to_interventional_cpdag(A, targets) if targets else dag_to_cpdag(A)
    E.flags.writeable = False
    return E


def essential_graph(truth: np.ndarray, targets=None) -> np.ndarray | None:
    """The truth's essential graph [d, d] int8: its CPDAG, or its I-essential graph for the intervention target
    sets ``targets`` (lists of node indices; the observational setting always included). None if not a DAG."""
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


def ranking_metrics(truth: np.ndarray, scores: np.ndarray,
                    essential: np.ndarray | None = None) -> dict[str, float]:
    """AUROC, AUPRC, skeleton AUROC and orientation accuracy, the last also split by whether ``essential`` orients."""
    T, S = np.asarray(truth) != 0, np.asarray(scores, dtype=float)
    d = T.shape[0]
    y, s = T[~np.eye(d, dtype=bool)], S[~np.eye(d, dtype=bool)]  # off-diagonal entries
    out = dict.fromkeys(["auroc", "auprc", "skeleton_auroc", "orientation_accuracy", "orientation_compelled",
                         "orientation_unidentifiable", "n_compelled_edges", "n_unidentifiable_edges"], float("nan"))
    E = essential if essential is not None else essential_graph(T)
    masks = {"orientation_accuracy": ~T.T}  # the true edges each orientation share is over
    if E is not None:
        E = np.asarray(E) != 0
        masks.update(orientation_compelled=E & ~E.T, orientation_unidentifiable=E & E.T)
        out["n_compelled_edges"] = float((T & masks["orientation_compelled"]).sum())
        out["n_unidentifiable_edges"] = float((T & masks["orientation_unidentifiable"]).sum())
    if not y.any():
        return out
    out["auroc"] = float(roc_auc_score(y, s)) if not y.all() else float("nan")
    out["auprc"] = float(average_precision_score(y, s))
    iu = np.triu_indices(d, 1)
    skel = (T | T.T)[iu]
    if 0 < skel.sum() < len(skel):
        out["skeleton_auroc"] = float(roc_auc_score(skel, np.maximum(S, S.T)[iu]))
    for key, mask in masks.items():
        i, j = np.nonzero(T & mask)
        fwd, bwd = S[i, j], S[j, i]  # forward beats backward; a tie is one half
        out[key] = float(np.mean((fwd > bwd) + 0.5 * (fwd == bwd))) if len(fwd) else float("nan")
    return out


def graph_metrics(truth: np.ndarray, graph: np.ndarray, cpdag: bool,
                  truth_cpdag: np.ndarray | None = None) -> dict[str, float]:
    """Precision/recall/F1 (directed, skeleton), SHD, SHD between CPDAGs against ``truth_cpdag``, SID, edge counts."""
    T, G = ((np.asarray(a) != 0).astype(np.int8) for a in (truth, graph))
    np.fill_diagonal(G, 0)
    Ts, Gs = np.triu(T | T.T, 1), np.triu(G | G.T, 1)
    out = dict(zip(["precision", "recall", "f1"], _prf(float((T & G).sum()), float(G.sum()), float(T.sum()))))
    out.update(zip(["skeleton_precision", "skeleton_recall", "skeleton_f1"],
                   _prf(float((Ts & Gs).sum()), float(Gs.sum()), float(Ts.sum()))))
    truth_dag, pred_is_dag = is_dag(T), not (G & G.T).any() and is_dag(G)
    pred_acyclic = not has_directed_cycle(G)  # gadjid refuses a cycle; the pairwise count needs none
    out.update(n_pred_edges=float(Gs.sum()), n_true_edges=float(T.sum()),
               shd=_gadjid("shd", to_gadjid(T), to_gadjid(G)) if truth_dag and pred_acyclic else pairwise_shd(T, G),
               shd_cpdag=float("nan"), sid=float("nan"))
    if truth_dag and cpdag and not pred_acyclic:  # a PDAG with conflicting orientations, compared as returned
        t_cpdag = truth_cpdag if truth_cpdag is not None else essential_graph(T)
        out["shd_cpdag"] = pairwise_shd(np.asarray(t_cpdag, dtype=np.int8), G)
    elif truth_dag and (cpdag or pred_is_dag):
        t_cpdag = truth_cpdag if truth_cpdag is not None else essential_graph(T)
        out["shd_cpdag"] = _gadjid("shd", to_gadjid(t_cpdag), to_gadjid(G if cpdag else dag_to_cpdag(G)))
        out["sid"] = _gadjid("sid" if pred_is_dag else "parent_aid", to_gadjid(T), to_gadjid(G),
                             edge_direction="from row to column")
    return out


def evaluate(truth_graph: np.ndarray, prediction, truth_cpdag: np.ndarray | None = None) -> dict[str, float]:
    """Every metric of a Prediction (``.scores``, ``.graph``, ``.cpdag``) against the truth and its ``truth_cpdag``."""
    out = graph_metrics(truth_graph, prediction.graph, bool(prediction.cpdag), truth_cpdag)
    out.update(ranking_metrics(truth_graph, prediction.scores, truth_cpdag))
    return out
