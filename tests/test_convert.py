"""The single causal-learn conversion, checked by hand and on a causal-learn run."""
import numpy as np

from methods.convert import causallearn_edge_counts, dag_to_cpdag, from_causallearn, to_gadjid


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


def test_dag_to_cpdag_keeps_v_structures_only():
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert (dag_to_cpdag(chain) == np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])).all()
    collider = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    assert (dag_to_cpdag(collider) == collider).all()


def test_gadjid_encoding_marks_undirected_once():
    A = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]])
    out = to_gadjid(A)
    assert out.tolist() == [[0, 2, 1], [0, 0, 0], [0, 0, 0]]
    assert out.dtype == np.int8
