"""The one place where graph encodings are converted.

Ours: ``A[i, j] = 1`` means i -> j; an undirected edge is 1 both ways.
causal-learn: i -> j is ``G[j, i] == 1 and G[i, j] == -1``; undirected is -1 at both ends;
bidirected is 1 at both ends.
gadjid: int8, ``A[i, j] = 1`` is i -> j, an undirected edge is a 2 in ONE triangle (a pair
set in both directions makes it panic).
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


def dag_to_cpdag(A: np.ndarray) -> np.ndarray:
    """The CPDAG (Markov equivalence class) of a DAG, via causal-learn's dag2cpdag."""
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
