"""The single causal-learn conversion, checked by hand and on a causal-learn run; the CPDAG and
I-essential graph (our numpy implementation), checked against causal-learn, graphical-models and a
brute-force definition."""
import itertools

import numpy as np
import pytest

from methods.convert import (causallearn_edge_counts, dag_to_cpdag, dag_to_cpdag_causallearn,
                             dag_to_essential_graph, dag_to_interventional_cpdag, essential_graph_graphical_models,
                             from_causallearn, intervention_targets, to_gadjid)


def random_dag(rng, d, p):
    """A random DAG [d, d] with edge probability p, nodes permuted so that the topological
    order is not the index order."""
    order = rng.permutation(d)
    return np.triu(rng.random((d, d)) < p, 1).astype(np.int8)[np.ix_(order, order)]


def test_causallearn_endpoint_encoding_by_hand():
    G = np.zeros((4, 4), int)
    G[1, 0], G[0, 1] = 1, -1      # 0 -> 1
    G[1, 2], G[2, 1] = -1, -1     # 1 - 2 undirected
    G[2, 3], G[3, 2] = 1, 1       # 2 <-> 3 bidirected
    A = from_causallearn(G)
    assert A[0, 1] == 1 and A[1, 0] == 0
    assert A[1, 2] == A[2, 1] == 1
    assert A[2, 3] == A[3, 2] == 1
    assert causallearn_edge_counts(G) == {"directed": 1, "undirected": 1, "bidirected": 1}
    # a directed edge needs both marks, a tail at i and an arrow at j: a circle (causal-learn's 2, a PAG mark no
    # method here returns) beside an arrow is not read as a tail, and a tail beside a circle not as an arrow
    P = np.zeros((3, 3), int)
    P[0, 1], P[1, 0] = 2, 1       # 0 o-> 1
    P[1, 2], P[2, 1] = -1, 2      # 1 -o 2
    assert not from_causallearn(P).any()


def test_pc_on_collider_is_oriented():
    from causallearn.search.ConstraintBased.PC import pc

    rng = np.random.default_rng(0)
    n = 3000
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    c = a + b + 0.5 * rng.standard_normal(n)
    X = np.column_stack([a, c, b])  # collider: 0 -> 1 <- 2
    cg = pc(X, 0.01, show_progress=False)
    A = from_causallearn(cg.G.graph)
    assert A.tolist() == [[0, 1, 0], [0, 0, 0], [0, 1, 0]]


@pytest.mark.parametrize("to_cpdag", [dag_to_cpdag, dag_to_cpdag_causallearn])
def test_dag_to_cpdag_keeps_v_structures_only(to_cpdag):
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert (to_cpdag(chain) == np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])).all()
    collider = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    assert (to_cpdag(collider) == collider).all()
    # v-structure 0 -> 2 <- 1 plus 2 -> 3: Meek rule 1 compels 2 -> 3
    vplus = np.zeros((4, 4), int)
    vplus[0, 2] = vplus[1, 2] = vplus[2, 3] = 1
    out = to_cpdag(vplus)
    assert (out == vplus).all() and out.dtype == np.int8 and out.shape == (4, 4)
    assert (to_cpdag(np.zeros((3, 3))) == 0).all()


def _random_dags(seed, n, d_range):
    """n random DAGs, sparse to dense: edge probability log-uniform in [0.02, 0.5]."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        d = int(rng.integers(*d_range))
        yield random_dag(rng, d, float(np.exp(rng.uniform(np.log(0.02), np.log(0.5)))))


def test_cpdag_equals_causallearn_on_random_dags():
    for A in _random_dags(0, 200, (2, 31)):
        assert (dag_to_cpdag(A) == dag_to_cpdag_causallearn(A)).all()


def test_the_fourth_configuration_needs_both_lines_to_end_in_the_arrow():
    """Configuration (d) protects a -> b through c's with a - c and c -> b both; a DAG (found by search over random
    7-node DAGs) where a c with only one of the two would wrongly protect an arrow: the CPDAG is causal-learn's."""
    A = np.array([[0, 1, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1], [1, 1, 0, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0, 1],
                  [0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1, 0]])
    assert (dag_to_cpdag(A) == dag_to_cpdag_causallearn(A)).all()


@pytest.mark.slow
def test_cpdag_equals_causallearn_on_large_random_dags():
    for A in _random_dags(1, 40, (30, 101)):
        assert (dag_to_cpdag(A) == dag_to_cpdag_causallearn(A)).all()


@pytest.mark.slow
def test_essential_graph_equals_graphical_models_on_random_dags():
    """Observational and with 1-3 random target sets: the same graph as graphical-models, the library it replaces."""
    rng = np.random.default_rng(3)
    for k, A in enumerate(_random_dags(4, 400, (2, 41))):
        d = len(A)
        targets = [] if k % 2 else [rng.choice(d, size=int(rng.integers(1, min(3, d) + 1)), replace=False).tolist()
                                    for _ in range(int(rng.integers(1, 4)))]
        assert (dag_to_interventional_cpdag(A, targets) == essential_graph_graphical_models(A, targets)).all(), \
            (A, targets)


def _vstructures(A):
    return {(a, c, b) for c in range(len(A)) for a, b in itertools.combinations(np.flatnonzero(A[:, c]), 2)
            if not (A[a, b] or A[b, a])}


def _is_acyclic(A):
    A = A.copy()
    while A.any():
        sinks = ~A.any(axis=1) & A.any(axis=0)   # nodes with parents but no children
        if not sinks.any():
            return False
        A[:, sinks] = 0
    return True


def brute_force_essential_graph(A, targets):
    """The I-essential graph by its definition (Hauser & Bühlmann 2012, Thm. 10): the union of the
    DAGs with A's skeleton that, for the empty target set and each target set I, have the same
    skeleton and v-structures as A once the arrows into I are cut."""
    family = [[]] + [list(t) for t in targets]

    def signature(D):
        out = []
        for I in family:
            DI = D.copy()
            DI[:, I] = 0
            out.append((frozenset(zip(*np.nonzero(DI | DI.T))), _vstructures(DI)))
        return out

    pairs = list(zip(*np.nonzero(np.triu(A | A.T, 1))))
    target, E = signature(A), np.zeros_like(A)
    for flips in itertools.product([0, 1], repeat=len(pairs)):
        D = np.zeros_like(A)
        for (i, j), f in zip(pairs, flips):
            D[(j, i) if f else (i, j)] = 1
        if _is_acyclic(D) and signature(D) == target:
            E |= D
    return E


def test_interventional_cpdag_by_hand():
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 -> 1 -> 2
    both = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    assert (dag_to_interventional_cpdag(chain, []) == both).all()
    assert (dag_to_interventional_cpdag(chain, [[0]]) == chain).all()   # 0 -> 1, then Meek 1: 1 -> 2
    assert (dag_to_interventional_cpdag(chain, [[1]]) == chain).all()   # both edges cut
    # target {2} orients 1 -> 2 only; 0 - 1 stays undirected
    assert dag_to_interventional_cpdag(chain, [[2]]).tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 0]]
    assert (dag_to_interventional_cpdag(chain, [[0, 1, 2]]) == both).all()  # same target for both ends


def test_interventional_cpdag_matches_brute_force_definition():
    rng = np.random.default_rng(2)
    checked = 0
    while checked < 60:
        d = int(rng.integers(3, 7))
        A = random_dag(rng, d, float(rng.uniform(0.2, 0.7)))
        if A.sum() > 10:
            continue
        targets = [list(rng.choice(d, size=int(rng.integers(1, 3)), replace=False))
                   for _ in range(int(rng.integers(0, 3)))]
        assert (dag_to_interventional_cpdag(A, targets) == brute_force_essential_graph(A, targets)).all(), (A, targets)
        checked += 1


def test_essential_graph_from_a_mask():
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=np.int8)  # 0 -> 1 -> 2
    mask = np.zeros((6, 3), dtype=bool)
    assert intervention_targets(None) == intervention_targets(mask) == []
    np.testing.assert_array_equal(dag_to_essential_graph(chain, mask), chain | chain.T)  # observational: undirected
    mask[:2, 1], mask[2, [0, 2]] = True, True  # rows setting {1} and rows setting {0, 2} together
    assert sorted(intervention_targets(mask)) == [[0, 2], [1]]
    np.testing.assert_array_equal(dag_to_essential_graph(chain, mask), chain)  # each edge has one end in {1}
    np.testing.assert_array_equal(dag_to_essential_graph(chain, mask),
                                  dag_to_interventional_cpdag(chain, [[1], [0, 2]]))


def test_gadjid_encoding_marks_undirected_once():
    A = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    out = to_gadjid(A)
    assert out.tolist() == [[0, 2, 1], [0, 0, 0], [0, 0, 0]]
    assert out.dtype == np.int8


def test_causallearn_edge_counts_read_both_orientations():
    """An edge j -> i with j > i (endpoints stored the other way round in the upper triangle) counts too."""
    G = np.zeros((4, 4), int)
    G[0, 3], G[3, 0] = 1, -1      # 3 -> 0
    G[2, 1], G[1, 2] = 1, -1      # 1 -> 2
    G[0, 2], G[2, 0] = -1, -1     # 0 - 2
    assert causallearn_edge_counts(G) == {"directed": 2, "undirected": 1, "bidirected": 0}
    A = from_causallearn(G)
    assert A[3, 0] == 1 and A[0, 3] == 0 and A[1, 2] == 1 and A[2, 1] == 0


def test_causallearn_edge_counts_match_a_count_by_pair_on_random_graphs():
    """Each unordered pair read once, by its two endpoint marks: {-1, 1} directed (either way), -1 -1 undirected,
    1 1 bidirected; counts that differ by kind, so that no kind can pass for another."""
    rng = np.random.default_rng(3)
    marks = [(0, 0), (-1, 1), (1, -1), (-1, -1), (1, 1)]
    for _ in range(20):
        d = int(rng.integers(3, 9))
        G = np.zeros((d, d), int)
        want = {"directed": 0, "undirected": 0, "bidirected": 0}
        for i in range(d):
            for j in range(i + 1, d):
                a, b = marks[rng.choice(len(marks), p=[0.3, 0.3, 0.1, 0.2, 0.1])]
                G[i, j], G[j, i] = a, b
                kind = {(-1, 1): "directed", (1, -1): "directed", (-1, -1): "undirected", (1, 1): "bidirected"}
                if (a, b) in kind:
                    want[kind[(a, b)]] += 1
        assert causallearn_edge_counts(G) == want
