"""The one place where graph encodings are converted.

Ours: ``A[i, j] = 1`` means i -> j; an undirected edge is 1 both ways.
causal-learn: i -> j is ``G[j, i] == 1 and G[i, j] == -1``; undirected is -1 at both ends;
bidirected is 1 at both ends.
gadjid: int8, ``A[i, j] = 1`` is i -> j, an undirected edge is a 2 in ONE triangle (a pair
set in both directions makes it panic).
graphical-models: a PDAG holds arcs ``(i, j)`` (i -> j) and undirected edges ``frozenset({i, j})``.
"""
from __future__ import annotations

import numpy as np


def from_causallearn(G: np.ndarray) -> np.ndarray:
    """causal-learn ``GeneralGraph.graph`` [d, d] -> our adjacency [d, d] int8.

    Directed i -> j becomes A[i, j] = 1; undirected i - j becomes 1 both ways. Bidirected
    i <-> j (latent confounding, not a CPDAG mark) is also kept as 1 both ways and counted
    in ``causallearn_edge_counts`` so a caller can report it.
    """
    G = np.asarray(G)
    A = np.zeros(G.shape, dtype=np.int8)
    A[(G.T == 1) & (G == -1)] = 1          # tail at i, arrow at j: i -> j
    both = ((G == -1) & (G.T == -1)) | ((G == 1) & (G.T == 1))
    A[both] = 1
    np.fill_diagonal(A, 0)
    return A


def causallearn_edge_counts(G: np.ndarray) -> dict:
    G = np.asarray(G)
    iu = np.triu_indices(G.shape[0], 1)
    a, b = G[iu], G.T[iu]
    return {"directed": int((((a == -1) & (b == 1)) | ((a == 1) & (b == -1))).sum()),
            "undirected": int(((a == -1) & (b == -1)).sum()),
            "bidirected": int(((a == 1) & (b == 1)).sum())}


def to_causallearn_dag(A: np.ndarray):
    """Our DAG adjacency -> causal-learn ``Dag`` object."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(f"X{i + 1}") for i in range(A.shape[0])]
    dag = Dag(nodes)
    for i, j in zip(*np.nonzero(A)):
        dag.add_directed_edge(nodes[i], nodes[j])
    return dag


def essential_graph_of_dag(A: np.ndarray, targets=()) -> np.ndarray:
    """The I-essential graph [d, d] int8 of a DAG [d, d] for intervention target sets ``targets`` (none: its
    CPDAG), undirected = 1 both ways.

    Andersson, Madigan & Perlman (1997), Hauser & Bühlmann (2012): start from the DAG and turn every
    arrow that is not strongly protected into a line until none is left. An arrow a -> b is strongly protected
    when some target set holds exactly one of a, b (the observational setting, no target, is always part of the
    family), or when it sits in one of four induced configurations: c -> a -> b with c, b apart; a -> b <- c with
    a, c apart; a -> c -> b; a - c1 -> b and a - c2 -> b with c1, c2 apart. Written with numpy because the
    libraries that compute it (graphical-models, causal-learn) cost seconds to import or, at d = 100, to run;
    the tests check it against both and against the definition by enumeration."""
    D = np.asarray(A) != 0
    d = D.shape[0]
    if not D.any():
        return np.zeros((d, d), dtype=np.int8)
    cut = np.zeros((d, d), dtype=bool)  # pairs with exactly one end in some target set
    for t in targets:
        inside = np.zeros(d, dtype=bool)
        inside[[int(v) for v in t]] = True
        cut |= inside[:, None] ^ inside[None, :]
    U, eye = np.zeros((d, d), dtype=bool), np.eye(d, dtype=bool)
    while True:
        apart = ~(D | D.T | U | eye)  # distinct, non-adjacent pairs
        Df, Af, Uf = D.astype(np.float32), apart.astype(np.float32), U.astype(np.float32)
        protected = cut | (Df.T @ Af > 0) | (Af @ Df > 0) | (Df @ Df > 0)  # configurations (a), (b), (c)
        loose = D & ~protected
        for a, b in zip(*np.nonzero(loose & (Uf @ Df > 1))):  # (d): two lines a - c -> b, the c's apart
            c = np.flatnonzero(U[a] & D[:, b])
            if apart[np.ix_(c, c)].any():
                loose[a, b] = False
        if not loose.any():
            return (D | U).astype(np.int8)
        D, U = D & ~loose, U | loose | loose.T


def dag_to_cpdag(A: np.ndarray) -> np.ndarray:
    """The CPDAG (Markov equivalence class) of a DAG [d, d] -> int8 [d, d], undirected = 1 both ways
    (``essential_graph_of_dag`` with no targets; ``dag_to_cpdag_causallearn`` is the tests' reference)."""
    return essential_graph_of_dag(A)


def dag_to_interventional_cpdag(A: np.ndarray, targets) -> np.ndarray:
    """The I-essential graph [d, d] int8 of a DAG for intervention target sets ``targets`` (Hauser & Bühlmann
    2012): the observational setting is always part of the family; an edge with exactly one end in some target
    set is oriented, every other orientation only where a rule protects it (``essential_graph_of_dag``)."""
    return essential_graph_of_dag(A, targets)


def _pdag_to_adjacency(pdag, d: int) -> np.ndarray:
    """graphical-models PDAG (arcs (i, j), edges frozenset) -> our adjacency [d, d] int8.

    Read from the arc and edge sets rather than ``to_amat``, whose return value and node order
    have changed between versions of the library."""
    A = np.zeros((d, d), dtype=np.int8)
    for i, j in pdag.arcs:
        A[i, j] = 1
    for edge in pdag.edges:
        i, j = tuple(edge)
        A[i, j] = A[j, i] = 1
    return A


def essential_graph_graphical_models(A: np.ndarray, targets=()) -> np.ndarray:
    """The same graph as ``essential_graph_of_dag`` by graphical-models (its CPDAG, or its interventional_cpdag):
    the tests' reference. Its import loads pgmpy and torch (seconds), so no run uses it."""
    import warnings

    A = (np.asarray(A) != 0).astype(np.int8)
    if not A.any():
        return A
    with warnings.catch_warnings():  # pgmpy's FutureWarnings; the library flags interventional_cpdag "untested"
        warnings.simplefilter("ignore")
        from graphical_models import DAG
        dag = DAG.from_amat(A)
        pdag = dag.cpdag() if not targets else dag.interventional_cpdag(
            [set(int(v) for v in t) for t in targets], cpdag=dag.cpdag())
    return _pdag_to_adjacency(pdag, A.shape[0])


def intervention_targets(mask) -> list[list[int]]:
    """The sets of variables intervened on together in some row of a mask [n, d] (none: observational data)."""
    if mask is None:
        return []
    return [np.flatnonzero(r).tolist() for r in np.unique(np.asarray(mask, dtype=bool), axis=0) if r.any()]


def dag_to_essential_graph(A: np.ndarray, mask=None) -> np.ndarray:
    """What data with intervention ``mask`` identify of a DAG: its CPDAG, or with interventions its
    I-essential graph for the mask's target sets."""
    targets = intervention_targets(mask)
    return dag_to_interventional_cpdag(A, targets) if targets else dag_to_cpdag(A)


def dag_to_cpdag_causallearn(A: np.ndarray) -> np.ndarray:
    """The CPDAG of a DAG via causal-learn's dag2cpdag: a reference the tests and the
    performance comparison use (seconds on a dense d = 100 DAG)."""
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    A = (np.asarray(A) != 0).astype(np.int8)
    if not A.any():
        return A
    return from_causallearn(dag2cpdag(to_causallearn_dag(A)).graph)


def to_gadjid(A: np.ndarray) -> np.ndarray:
    """Our adjacency (undirected = both ways) -> gadjid int8 (undirected = 2 in the upper triangle)."""
    A = (np.asarray(A) != 0)
    und = A & A.T
    out = (A & ~und).astype(np.int8)
    out[np.triu(und, 1)] = 2
    return out
