import numpy as np
import pytest

import datasets
from datasets import DataError, Dataset


def test_observations_hide_truth_and_are_read_only():
    ds = datasets.load_suite("quick")[0]
    obs = ds.observations()
    assert not hasattr(obs, "graph")
    assert obs.X.shape == ds.X.shape and obs.variables == ds.variables
    with pytest.raises(ValueError):
        obs.X[0, 0] = 1.0


def test_dataset_shape_errors_are_one_line():
    with pytest.raises(DataError, match="graph must be"):
        Dataset("bad", np.zeros((5, 3)), np.zeros((2, 2)))
    with pytest.raises(DataError, match="intervention mask"):
        Dataset("bad", np.zeros((5, 3)), np.zeros((3, 3)), np.zeros((4, 3), bool))


def test_quick_suite_metadata():
    for ds in datasets.load_suite("quick"):
        assert ds.meta["suite"] == "quick"
        assert "generator" in ds.meta and "seed" in ds.meta
        assert np.isfinite(ds.X).all()


def test_unknown_suite_suggests():
    with pytest.raises(KeyError, match="did you mean 'quick'"):
        datasets.load_suite("quik")
