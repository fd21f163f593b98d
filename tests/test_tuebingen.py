"""The Tübingen suite: shipped file as provenance says, 99 pairs, seeded and mixed column order."""
import gzip
import hashlib
import os

import numpy as np

import datasets
from datasets import tuebingen
from tests.fresh import run_python


def test_shipped_files_match_provenance():
    text = (tuebingen.DIR / "PROVENANCE.md").read_text()
    assert tuebingen.file_sha256() in text
    original = hashlib.sha256(gzip.decompress(tuebingen.PAIRS_PATH.read_bytes())).hexdigest()
    assert original == "e3726459486cf50642de62ce4ceb35669100f6867bd564863b4663546c1393cf" and original in text
    assert hashlib.sha256(tuebingen.TARGETS_PATH.read_bytes()).hexdigest() in text


def test_suite_loads_offline_with_all_pairs():
    assert "tuebingen" in datasets.list_suites()
    refs = datasets.suite_refs("tuebingen")
    assert len(refs) == tuebingen.N_PAIRS == 99
    assert len({r.name for r in refs}) == 99
    ds = datasets.load_suite("tuebingen")
    for ref, d in zip(refs, ds):
        assert d.name == ref.name and d.d == 2 and d.n == ref.tags["n"] >= 94
        assert d.variables == ("x", "y") and d.interventions is None
        assert d.graph.sum() == 1 and np.isfinite(d.X).all()
        assert ref.tags["mechanism"] == "real (Tübingen)" and ref.tags["shift"] == "real data"
        assert ref.tags["ood"] is True and ref.tags["interventional"] is False and "weight" not in d.meta
    assert sum(d.n for d in ds) == 201_415


def test_column_order_is_seeded_and_mixed(monkeypatch):
    flips = [tuebingen.swapped(i) for i in range(99)]
    truths = [d.graph for d in datasets.load_suite("tuebingen")]
    assert [bool(g[1, 0]) for g in truths] == flips  # the shipped truth follows the declared swap
    assert 0.35 <= np.mean(flips) <= 0.65
    # seeded: a fresh interpreter (another hash seed) draws the same order; another seed, another order
    code = "from datasets import tuebingen; print([tuebingen.swapped(i) for i in range(99)])"
    out = run_python(code, env={**os.environ, "PYTHONHASHSEED": "123"}).stdout
    assert out.strip() == str(flips)
    monkeypatch.setattr(tuebingen, "SWAP_SEED", tuebingen.SWAP_SEED + 1)
    assert [tuebingen.swapped(i) for i in range(99)] != flips


def test_truth_follows_the_swap():
    pairs = tuebingen.read_pairs()
    for i in (0, 1, 2, 3, 64):
        sid, cause, effect = pairs[i]
        ds = tuebingen.load_pair(i)
        c = 1 if tuebingen.swapped(i) else 0
        assert ds.meta["pair"] == sid and ds.meta["cause_column"] == c
        assert ds.graph[c, 1 - c] == 1 and ds.graph[1 - c, c] == 0
        np.testing.assert_array_equal(ds.X[:, c], cause)
        np.testing.assert_array_equal(ds.X[:, 1 - c], effect)
    assert {tuebingen.swapped(i) for i in range(99)} == {True, False}
