"""Invariants every metric must keep on any graph, checked by hypothesis on random DAGs and
scores: a metric that breaks one is wrong whatever the hand-worked cases in test_metrics say."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.metrics import evaluate
from methods import Prediction
from methods.convert import dag_to_cpdag, dag_to_cpdag_causallearn

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def dags(draw, min_d=2, max_d=8):
    """A DAG [d, d] int8 whose topological order is a random permutation of the indices."""
    d = draw(st.integers(min_d, max_d))
    upper = np.array(draw(st.lists(st.booleans(), min_size=d * d, max_size=d * d))).reshape(d, d)
    order = np.array(draw(st.permutations(range(d))))
    return np.triu(upper, 1).astype(np.int8)[np.ix_(order, order)]


@st.composite
def dag_and_scores(draw):
    A = draw(dags())
    d = A.shape[0]
    # few distinct values so that ties (the hard case for AUROC and orientation) are common
    vals = draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=d * d, max_size=d * d))
    S = np.array(vals, dtype=float).reshape(d, d)
    np.fill_diagonal(S, 0.0)
    return A, S


def scored(S, graph=None, cpdag=False):
    G = (S > 0.5).astype(np.int8) if graph is None else graph
    return Prediction(S, G, cpdag)


@SETTINGS
@given(dag_and_scores())
def test_skeleton_metrics_ignore_direction_of_scores_and_graph(case):
    A, S = case
    a, b = evaluate(A, scored(S)), evaluate(A, scored(S.T))
    for k in ["skeleton_auroc", "skeleton_precision", "skeleton_recall", "skeleton_f1"]:
        np.testing.assert_equal(a[k], b[k], err_msg=k)


@SETTINGS
@given(dags())
def test_truth_as_scores_has_auroc_one_and_its_reverse_at_most_one_half(A):
    if not A.any():
        return
    m = evaluate(A, scored(A.astype(float), A))
    assert m["auroc"] == 1.0 and m["auprc"] == 1.0 and m["orientation_accuracy"] == 1.0
    r = evaluate(A, scored(A.T.astype(float), A.T.copy()))
    assert r["auroc"] <= 0.5 and r["orientation_accuracy"] == 0.0
    assert r["skeleton_auroc"] == m["skeleton_auroc"] or np.isnan(m["skeleton_auroc"])


@SETTINGS
@given(st.data())
def test_shd_is_symmetric_and_zero_only_on_equal_graphs(data):
    A = data.draw(dags())
    d = A.shape[0]
    B = data.draw(dags(min_d=d, max_d=d))
    ab = evaluate(A, Prediction.from_graph(B))["shd"]
    ba = evaluate(B, Prediction.from_graph(A))["shd"]
    assert ab == ba
    assert (ab == 0) == np.array_equal(A, B)
    # a DAG's SHD is at most the number of pairs where either graph has an edge
    assert ab <= np.triu((A | A.T) | (B | B.T), 1).sum()


@SETTINGS
@given(dag_and_scores())
def test_orientation_split_adds_up_to_the_whole(case):
    A, S = case
    m = evaluate(A, scored(S))
    nc, nu = m["n_compelled_edges"], m["n_unidentifiable_edges"]
    assert nc + nu == m["n_true_edges"] == A.sum()
    if nc + nu:
        parts = [(m["orientation_compelled"], nc), (m["orientation_unidentifiable"], nu)]
        whole = sum(v * n for v, n in parts if n) / (nc + nu)
        np.testing.assert_allclose(m["orientation_accuracy"], whole, rtol=1e-12)


def covered_edges(A):
    """Edges x -> y with pa(y) = pa(x) + {x}: reversing one gives a Markov-equivalent DAG (Chickering 1995)."""
    return [(x, y) for x, y in zip(*np.nonzero(A))
            if set(np.flatnonzero(A[:, y])) == set(np.flatnonzero(A[:, x])) | {x}]


@SETTINGS
@given(dags(max_d=10), st.integers(0, 10 ** 6))
def test_cpdag_is_causallearns_and_the_same_for_every_dag_of_the_class(A, pick):
    C = dag_to_cpdag(A)
    np.testing.assert_array_equal(C, dag_to_cpdag_causallearn(A))
    np.testing.assert_array_equal((C | C.T) != 0, (A | A.T) != 0)  # the class keeps the skeleton
    np.testing.assert_array_equal(C & ~C.T, A & ~C.T)  # compelled edges are A's own
    covered = covered_edges(A)
    if covered:  # idempotent on the class: an equivalent DAG has the same CPDAG
        x, y = covered[pick % len(covered)]
        B = A.copy()
        B[x, y], B[y, x] = 0, 1
        np.testing.assert_array_equal(dag_to_cpdag(B), C)
        assert C[x, y] == C[y, x] == 1  # a reversible edge is undirected in the class
