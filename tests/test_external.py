"""Suites from gcastle's simulator: deterministic, z-scored, observational DAGs, numpy's global state untouched."""
import numpy as np

from datasets.external import _simulate
from datasets.generator import topological_order
from datasets.registry import suite_refs


def test_gcastle_linear_members():
    refs = suite_refs("gcastle-linear")
    assert len(refs) == 10 and len({r.name for r in refs}) == 10
    for ref in refs[:3]:
        ds = ref.load()
        assert ds.interventions is None and ds.d == ref.tags["d"] and 10 <= ds.d <= 20
        np.testing.assert_allclose(ds.X.std(axis=0), 1.0, atol=1e-9)
        assert len(topological_order(ds.graph)) == ds.d and ds.graph.sum() > 0
        assert ref.tags["mechanism"] == "linear" and ref.tags["noise"] == "gaussian" and not ref.tags["interventional"]


def test_same_seed_same_bytes_and_the_global_generator_is_restored():
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    X1, A1 = _simulate(12, 15, 300, 35_003)
    assert np.random.rand() == expected
    X2, A2 = _simulate(12, 15, 300, 35_003)
    assert np.array_equal(X1, X2) and np.array_equal(A1, A2)
    assert not np.array_equal(_simulate(12, 15, 300, 35_004)[0], X1)
