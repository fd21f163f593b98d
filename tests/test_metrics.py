"""Hand-worked cases for every metric convention, then agreement with gadjid and scikit-learn."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score

from bench.metrics import HIGHER_IS_BETTER, evaluate, pairwise_shd
from methods import Prediction
from tests.fresh import run_python

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
    # parent-AID counts an ordered pair (t, y) wrong when the guess cannot give t's effect on y: in
    # the undirected chain every t has an undirected neighbour, so its parents are unknown: all 6 pairs
    und = evaluate(CHAIN, pred([[0, 1, 0], [1, 0, 1], [0, 1, 0]], cpdag=True))
    assert und["sid"] == 6
    # 0 - 1 undirected and 2 alone: t = 0, 1 unknown (4 pairs); t = 2 has no parents and no
    # descendants in the guess, so "no effect on 0 or 1", which is right in the chain: 4
    part = evaluate(CHAIN, pred([[0, 1, 0], [1, 0, 0], [0, 0, 0]], cpdag=True))
    assert part["sid"] == 4


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
    np.testing.assert_equal(a, b)  # NaN (the chain has no compelled edge) equals NaN here


def test_cyclic_truth_gives_nan_for_class_metrics_only():
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    m = evaluate(cyc, pred(CHAIN))
    assert np.isnan(m["shd_cpdag"]) and np.isnan(m["sid"])
    assert m["shd"] == 1 and m["recall"] == pytest.approx(2 / 3)


def test_a_pdag_with_a_directed_cycle_is_scored_as_returned():
    """PC's orientation conflicts: SHD, SHD_cpdag, AUROC and orientation defined; SID (needs acyclicity) NaN."""
    T = _adj(4, [(0, 1), (1, 2), (2, 3)])
    G = _adj(4, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 2)])  # 0 -> 1 -> 2 -> 0, 2 - 3
    m = evaluate(T, pred(G, cpdag=True))
    assert m["shd"] == 2  # the extra 2 -> 0, the undirected 2 - 3
    assert m["shd_cpdag"] == pairwise_shd(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]]), G) == 3
    assert m["orientation_accuracy"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert np.isfinite(m["auroc"]) and m["precision"] == pytest.approx(3 / 5)
    assert np.isnan(m["sid"])
    # with interventional data the truth's essential graph is given, and the conflicting PDAG meets that one
    I = _adj(4, [(0, 1), (1, 2), (2, 3)])  # every edge compelled (as if the targets oriented them all)
    assert evaluate(T, pred(G, cpdag=True), truth_cpdag=I)["shd_cpdag"] == pairwise_shd(I, G) == 2


def test_a_cpdag_methods_fully_oriented_output_is_scored_as_returned():
    """A CPDAG method that orients an edge no data orient is not forgiven: its graph is compared with the truth's
    CPDAG as it is, not after being turned into a CPDAG."""
    m = evaluate(CHAIN, pred(CHAIN, cpdag=True))  # 0 -> 1 -> 2; its CPDAG leaves both edges undirected
    assert m["shd_cpdag"] == 2 and m["shd"] == 0


def test_a_dag_methods_cyclic_graph_has_no_cpdag_shd_or_sid():
    """A cycle has no CPDAG and no adjustment sets: both NaN; the SHD counts pairs as returned."""
    m = evaluate(CHAIN, pred(np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])))
    assert np.isnan(m["shd_cpdag"]) and np.isnan(m["sid"]) and m["shd"] == 1


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


# --- orientation split by identifiability: the truth's essential graph decides ---------------

def _adj(d, edges):
    A = np.zeros((d, d), int)
    for i, j in edges:
        A[i, j] = 1
    return A


def test_chain_edges_are_all_unidentifiable():
    m = evaluate(CHAIN, pred(CHAIN))  # 0 - 1 - 2 in the CPDAG
    assert m["n_unidentifiable_edges"] == 2 and m["n_compelled_edges"] == 0
    assert m["orientation_unidentifiable"] == 1.0 and np.isnan(m["orientation_compelled"])


def test_v_structure_edges_are_compelled():
    vs = _adj(3, [(0, 2), (1, 2)])
    m = evaluate(vs, pred(vs))
    assert m["n_compelled_edges"] == 2 and m["n_unidentifiable_edges"] == 0
    assert m["orientation_compelled"] == 1.0 and np.isnan(m["orientation_unidentifiable"])
    # a reversed prediction gets both compelled edges wrong
    m = evaluate(vs, pred(vs.T))
    assert m["orientation_compelled"] == 0.0


def test_meek_rule_one_compels_the_edge_after_a_v_structure():
    T = _adj(4, [(0, 2), (1, 2), (2, 3)])
    m = evaluate(T, pred(T))
    assert m["n_compelled_edges"] == 3 and m["n_unidentifiable_edges"] == 0
    # predicting 3 -> 2 instead: 2 of 3 compelled edges right
    assert evaluate(T, pred(_adj(4, [(0, 2), (1, 2), (3, 2)])))["orientation_compelled"] == pytest.approx(2 / 3)


def test_symmetric_prediction_scores_one_half_on_both():
    T = _adj(4, [(0, 1), (1, 2), (3, 2)])  # 1 -> 2 <- 3 compelled (v-structure), 0 - 1 undirected
    sym = np.array((T | T.T), dtype=float)
    m = evaluate(T, pred(T | T.T, cpdag=True, scores=sym))
    assert (m["n_compelled_edges"], m["n_unidentifiable_edges"]) == (2, 1)
    assert m["orientation_compelled"] == m["orientation_unidentifiable"] == 0.5


def test_split_nan_for_cyclic_truth_and_empty_truth():
    cyc = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    m = evaluate(cyc, pred(CHAIN))
    assert all(np.isnan(m[k]) for k in ["orientation_compelled", "orientation_unidentifiable",
                                        "n_compelled_edges", "n_unidentifiable_edges"])
    m = evaluate(np.zeros((3, 3), int), pred(CHAIN))
    assert m["n_compelled_edges"] == m["n_unidentifiable_edges"] == 0
    assert np.isnan(m["orientation_compelled"]) and np.isnan(m["orientation_unidentifiable"])


def test_split_agrees_with_causallearn_cpdag_on_random_dags():
    from methods.convert import dag_to_cpdag_causallearn

    rng = np.random.default_rng(7)
    for _ in range(60):
        d = int(rng.integers(5, 31))
        order = rng.permutation(d)
        T = np.triu(rng.random((d, d)) < rng.uniform(0.05, 0.5), 1)[np.ix_(order, order)].astype(int)
        S = rng.random((d, d))
        S[rng.random((d, d)) < 0.2] = 0.5            # some ties
        C = dag_to_cpdag_causallearn(T)
        share = {"orientation_compelled": [], "orientation_unidentifiable": []}
        for i, j in zip(*np.nonzero(T)):
            key = "orientation_unidentifiable" if C[j, i] else "orientation_compelled"
            share[key].append(1.0 if S[i, j] > S[j, i] else 0.5 if S[i, j] == S[j, i] else 0.0)
        m = evaluate(T, Prediction(S, T.astype(np.int8)))
        for key, vals in share.items():
            n_key = "n_compelled_edges" if key == "orientation_compelled" else "n_unidentifiable_edges"
            assert m[n_key] == len(vals)
            if vals:
                assert m[key] == pytest.approx(np.mean(vals))
            else:
                assert np.isnan(m[key])


def test_interventional_essential_graph_orients_what_the_cpdag_cannot():
    from bench.metrics import essential_graph

    two = _adj(2, [(0, 1)])
    assert essential_graph(two).tolist() == [[0, 1], [1, 0]]
    for targets in ([[0]], [[1]]):
        assert essential_graph(two, targets).tolist() == [[0, 1], [0, 0]]
    assert (essential_graph(two, [[]]) == essential_graph(two)).all()      # empty set = observational
    m = evaluate(two, pred(two), truth_cpdag=essential_graph(two, [[0]]))
    assert (m["n_compelled_edges"], m["n_unidentifiable_edges"]) == (1, 0)
    assert m["orientation_compelled"] == 1.0 and m["shd_cpdag"] == 1       # a DAG's CPDAG vs the directed edge
    # chain 0 -> 1 -> 2, target {2}: 1 -> 2 compelled, 0 - 1 still undirected
    m = evaluate(CHAIN, pred(CHAIN.T), truth_cpdag=essential_graph(CHAIN, [[2]]))
    assert (m["n_compelled_edges"], m["n_unidentifiable_edges"]) == (1, 1)
    assert m["orientation_compelled"] == 0.0 and m["orientation_unidentifiable"] == 0.0
    assert essential_graph(np.array([[0, 1], [1, 0]]), [[0]]) is None     # not a DAG


def test_scoring_loads_neither_pgmpy_nor_torch():
    """The truth's CPDAG and I-essential graph and a DAG prediction's CPDAG come from numpy: scoring a job loads
    none of graphical-models, pgmpy or torch (seconds of import in every worker)."""
    code = ("import sys, numpy as np\n"
            "from bench.metrics import essential_graph, evaluate\n"
            "from methods import Prediction\n"
            "T = np.triu(np.ones((6, 6), dtype=int), 1); T[0, 2] = 0\n"
            "for E in (essential_graph(T), essential_graph(T, [[1]])):\n"
            "    m = evaluate(T, Prediction.from_graph(T.T), E)\n"
            "print(m['shd_cpdag'] >= 0, sorted({'graphical_models', 'pgmpy', 'torch'} & set(sys.modules)))\n")
    out = run_python(code)
    assert out.stdout.split() == ["True", "[]"]


# --- edges of the conventions (survivors of `make mutation`) ---------------------------------------------

def test_the_memoised_essential_graph_is_read_only():
    """Every method of a dataset is scored against one cached essential graph: a caller must not be able to edit it."""
    from bench.metrics import essential_graph
    E = essential_graph(CHAIN)
    assert E is essential_graph(CHAIN.copy()) and E.dtype == np.int8
    with pytest.raises(ValueError, match="read-only"):
        E[0, 2] = 1


def test_a_gadjid_panic_is_nan_and_an_interrupt_still_stops(monkeypatch):
    import gadjid

    class PanicException(BaseException):  # what pyo3 raises on a Rust panic
        pass

    def panic(*args, **kw):
        raise PanicException("boom")

    monkeypatch.setattr(gadjid, "sid", panic)
    m = evaluate(CHAIN, pred(CHAIN))
    assert np.isnan(m["sid"]) and m["shd"] == 0 and m["shd_cpdag"] == 0

    def interrupt(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(gadjid, "shd", interrupt)
    with pytest.raises(KeyboardInterrupt):
        evaluate(CHAIN, pred(CHAIN))


def test_shd_counts_pairs_not_the_diagonal():
    assert pairwise_shd(np.eye(3, dtype=int), np.zeros((3, 3), int)) == 0
    assert pairwise_shd(CHAIN, CHAIN.T) == 2 and pairwise_shd(CHAIN, np.zeros((3, 3), int)) == 2


def test_a_complete_truth_has_no_auroc_and_a_complete_skeleton_no_skeleton_auroc():
    full = 1 - np.eye(3, dtype=int)  # every ordered pair an edge: no negative to rank against
    m = evaluate(full, pred(CHAIN))
    assert np.isnan(m["auroc"]) and np.isnan(m["skeleton_auroc"]) and m["auprc"] == 1.0
    tri = np.triu(np.ones((3, 3), int), 1)  # a complete DAG: every unordered pair adjacent
    m = evaluate(tri, pred(tri))
    assert m["auroc"] == 1.0 and np.isnan(m["skeleton_auroc"])


def test_skeleton_scores_count_the_adjacencies_both_share():
    # truth 0 - 1 - 2, guess 0 - 1 and 0 - 2: one shared adjacency of two on each side
    m = evaluate(CHAIN, pred([[0, 1, 1], [0, 0, 0], [0, 0, 0]]))
    assert (m["skeleton_precision"], m["skeleton_recall"], m["skeleton_f1"]) == (0.5, 0.5, 0.5)
    m = evaluate(CHAIN, pred([[0, 1, 1], [0, 0, 1], [0, 0, 0]]))  # every pair adjacent
    assert (m["skeleton_precision"], m["skeleton_recall"]) == (pytest.approx(2 / 3), 1.0)


RANKING_KEYS = {"auroc", "auprc", "skeleton_auroc", "orientation_accuracy", "orientation_compelled",
                "orientation_unidentifiable", "n_compelled_edges", "n_unidentifiable_edges"}


def test_a_truth_without_edges_has_every_ranking_metric_undefined():
    from bench.metrics import ranking_metrics
    out = ranking_metrics(np.zeros((3, 3), int), np.random.default_rng(0).random((3, 3)))
    assert set(out) == RANKING_KEYS
    assert all(np.isnan(out[k]) for k in RANKING_KEYS - {"n_compelled_edges", "n_unidentifiable_edges"})


def test_one_true_edge_has_a_skeleton_auroc():
    from bench.metrics import ranking_metrics
    T = np.zeros((3, 3), int)
    T[0, 1] = 1
    S = np.array([[0, 0.9, 0.1], [0.2, 0, 0.3], [0.4, 0.5, 0]])  # the edge's pair scores highest, undirected
    assert ranking_metrics(T, S)["skeleton_auroc"] == 1.0


def test_a_pair_is_scored_without_warnings():
    """Two variables, one edge (a Tuebingen pair): a complete skeleton has no skeleton AUROC and an observational
    pair no compelled edge; both are NaN, said by the metric, not by a warning from the library or numpy."""
    import warnings

    from bench.metrics import ranking_metrics
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ranking_metrics(np.array([[0, 1], [0, 0]]), np.array([[0, 0.8], [0.3, 0]]))
    assert np.isnan(out["skeleton_auroc"]) and np.isnan(out["orientation_compelled"])
    assert out["auroc"] == 1.0 and out["orientation_unidentifiable"] == 1.0 and out["n_unidentifiable_edges"] == 1
