"""Hand-worked cases for every metric convention, then agreement with gadjid and scikit-learn."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score

from bench.metrics import HIGHER_IS_BETTER, evaluate, pairwise_shd
from methods import Prediction

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # 0 -> 1 -> 2


def pred(G, cpdag=False, scores=None):
    p = Prediction.from_graph(np.array(G), cpdag=cpdag)
    if scores is not None:
        p.scores = np.array(scores, dtype=float)
    return p


def test_perfect_prediction():
    m = evaluate(CHAIN, pred(CHAIN))
    for k in ["precision", "recall", "f1", "skeleton_f1", "auroc", "auprc", "skeleton_auroc",
              "orientation_accuracy"]:
        assert m[k] == 1.0, k
    assert m["shd"] == m["shd_cpdag"] == m["sid"] == 0
    assert m["n_pred_edges"] == m["n_true_edges"] == 2


def test_reversal_counts_once_in_shd_and_not_in_cpdag_shd():
    # 1 -> 0, 1 -> 2: one reversal of the chain; same equivalence class (0 - 1 - 2).
    m = evaluate(CHAIN, pred([[0, 0, 0], [1, 0, 1], [0, 0, 0]]))
    assert m["shd"] == 1
    assert m["shd_cpdag"] == 0
    assert (m["precision"], m["recall"], m["f1"]) == (0.5, 0.5, 0.5)
    assert m["skeleton_f1"] == 1.0
    # SID by hand: parents of 0 in the guess ({1}) block 0's effect on 1 and on 2, and the
    # empty parent set of 1 leaves the back-door 1 <- 0 open for the pair (1, 0): 3.
    assert m["sid"] == 3
    assert m["orientation_accuracy"] == 0.5  # 1 -> 2 right, 0 -> 1 reversed


def test_collider_vs_chain_cpdag_distance():
    # The v-structure 0 -> 1 <- 2 is its own class; the chain's class is 0 - 1 - 2.
    m = evaluate(CHAIN, pred([[0, 1, 0], [0, 0, 0], [0, 1, 0]]))
    assert m["shd"] == 1
    assert m["shd_cpdag"] == 2  # both adjacencies differ in mark


def test_undirected_cpdag_edges():
    truth = np.array([[0, 1], [0, 0]])
    m = evaluate(truth, pred([[0, 1], [1, 0]], cpdag=True))
    assert m["precision"] == 0.5 and m["recall"] == 1.0
    assert m["f1"] == pytest.approx(2 / 3)
    assert m["skeleton_precision"] == m["skeleton_recall"] == 1.0
    assert m["shd"] == 1          # a directed edge against an undirected one differs in mark
    assert m["shd_cpdag"] == 0    # the truth's class is the undirected edge
    assert m["orientation_accuracy"] == 0.5  # undirected = tie = one half
    assert m["n_pred_edges"] == 1


def test_cpdag_sid_uses_parent_aid_and_equals_sid_when_fully_directed():
    m_dag = evaluate(CHAIN, pred(CHAIN))
    m_cpdag = evaluate(CHAIN, pred(CHAIN, cpdag=True))
    assert m_dag["sid"] == m_cpdag["sid"] == 0
    # the chain's CPDAG: the whole class, parent-AID of the undirected chain against the DAG
    und = evaluate(CHAIN, pred([[0, 1, 0], [1, 0, 1], [0, 1, 0]], cpdag=True))
    assert und["sid"] > 0 and np.isfinite(und["sid"])


def test_empty_prediction_is_not_hidden():
    m = evaluate(CHAIN, pred(np.zeros((3, 3))))
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)
    assert m["shd"] == m["n_true_edges"] == 2
    assert m["auroc"] == 0.5  # constant scores
    assert m["auprc"] == pytest.approx(2 / 6)  # the prevalence over off-diagonal pairs
    assert m["n_pred_edges"] == 0


def test_empty_truth():
    empty = np.zeros((3, 3), int)
    m = evaluate(empty, pred(np.zeros((3, 3))))
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0)
    assert m["shd"] == 0
    assert np.isnan(m["auroc"]) and np.isnan(m["orientation_accuracy"])
    m = evaluate(empty, pred(CHAIN))
    assert m["precision"] == 0.0 and m["recall"] == 1.0 and m["shd"] == 2


def test_constant_scores_are_chance():
    p = pred(CHAIN, scores=np.full((3, 3), 0.7))
    m = evaluate(CHAIN, p)
    assert m["auroc"] == 0.5 and m["skeleton_auroc"] == 0.5 and m["orientation_accuracy"] == 0.5


def test_diagonal_of_scores_is_ignored():
    s = np.array(CHAIN, dtype=float)
    a = evaluate(CHAIN, pred(CHAIN, scores=s))
    np.fill_diagonal(s, 100.0)
    b = evaluate(CHAIN, pred(CHAIN, scores=s))
    assert a == b


def test_cyclic_truth_gives_nan_for_class_metrics_only():
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    m = evaluate(cyc, pred(CHAIN))
    assert np.isnan(m["shd_cpdag"]) and np.isnan(m["sid"])
    assert m["shd"] == 1 and m["recall"] == pytest.approx(2 / 3)


def test_every_ranked_metric_is_returned():
    m = evaluate(CHAIN, pred(CHAIN))
    assert set(HIGHER_IS_BETTER) <= set(m)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_sklearn_and_gadjid_on_random_graphs(seed):
    import gadjid

    rng = np.random.default_rng(seed)
    d = 12
    order = rng.permutation(d)
    T = np.triu(rng.random((d, d)) < 0.3, 1)[np.ix_(order, order)].astype(int)
    G = np.triu(rng.random((d, d)) < 0.3, 1)[np.ix_(order[::-1], order[::-1])].astype(int)
    S = rng.random((d, d))
    p = Prediction(S, G.astype(np.int8))
    m = evaluate(T, p)
    off = ~np.eye(d, dtype=bool)
    assert m["auroc"] == pytest.approx(roc_auc_score(T[off], S[off]))
    assert m["auprc"] == pytest.approx(average_precision_score(T[off], S[off]))
    assert m["precision"] == pytest.approx(precision_score(T[off], G[off], zero_division=0))
    assert m["recall"] == pytest.approx(recall_score(T[off], G[off]))
    assert m["f1"] == pytest.approx(f1_score(T[off], G[off], zero_division=0))
    # SHD for DAGs by hand: unordered pairs whose (adjacency, direction) differ
    iu = np.triu_indices(d, 1)
    hand = int(np.sum((T[iu] != G[iu]) | (T.T[iu] != G.T[iu])))
    assert m["shd"] == hand == gadjid.shd(T.astype(np.int8), G.astype(np.int8))[1] == pairwise_shd(T, G)
    assert m["sid"] == gadjid.sid(T.astype(np.int8), G.astype(np.int8), edge_direction="from row to column")[1]
