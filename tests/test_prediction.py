import numpy as np
import pytest

from methods import InvalidPrediction, Prediction
from methods.base import has_directed_cycle


def test_from_graph_scores_undirected_half():
    G = np.array([[0, 1, 1], [0, 0, 0], [1, 0, 0]])
    p = Prediction.from_graph(G, cpdag=True)
    assert p.scores[0, 1] == 1.0 and p.scores[1, 0] == 0.0
    assert p.scores[0, 2] == 0.5 and p.scores[2, 0] == 0.5


@pytest.mark.parametrize("bad, msg", [
    (lambda: Prediction(np.zeros((2, 2)), np.zeros((3, 3))), "expected"),
    (lambda: Prediction(np.full((3, 3), np.nan), np.zeros((3, 3))), "NaN"),
    (lambda: Prediction(np.zeros((3, 3)), np.full((3, 3), 2) * (1 - np.eye(3))), "outside"),
    (lambda: Prediction(np.zeros((3, 3)), np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])), "CPDAG"),
])
def test_validate_rejects(bad, msg):
    with pytest.raises(InvalidPrediction, match=msg):
        bad().validate(3)


def test_nan_on_diagonal_is_ignored():
    s = np.zeros((3, 3))
    np.fill_diagonal(s, np.nan)
    Prediction(s, np.zeros((3, 3), int)).validate(3)


def test_a_directed_cycle_is_no_breach_of_the_contract():
    """PC's conflicting orientations leave a cycle in a PDAG: scorable, so scored (and flagged), not invalid."""
    pdag = np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1], [0, 0, 1, 0]])  # 0 -> 1 -> 2 -> 0, and 2 - 3
    dag = np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])                          # claimed a DAG: 0 -> 1 -> 2 -> 0
    Prediction.from_graph(pdag, cpdag=True).validate(4)
    Prediction.from_graph(dag).validate(3)
    assert has_directed_cycle(pdag) and has_directed_cycle(dag)
    assert not has_directed_cycle(np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]]))  # undirected 0 - 1, then 0 -> 2
    assert not has_directed_cycle(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))  # all undirected: no directed cycle
