"""Sachs variants: row counts, masks per condition, the three truths."""
import hashlib

import networkx as nx
import numpy as np
import pytest

import datasets
from datasets import sachs


def test_shipped_file_matches_provenance():
    digest = hashlib.sha256(sachs.CSV_PATH.read_bytes()).hexdigest()
    assert digest in (sachs.CSV_PATH.parent / "PROVENANCE.md").read_text()
    assert sum(c for _, c, _ in sachs.CONDITIONS) == 7466


def test_registered_names_and_no_bare_sachs():
    names = [n for n in datasets.list_datasets() if n.startswith("sachs")]
    assert "sachs" not in names
    for data in ("obs853", "int7466"):
        for prep in ("", "-log"):
            for truth in ("", "-sachs20", "-cdt18"):
                assert f"sachs-{data}{prep}{truth}" in names
    assert len(names) == 12


def test_obs853():
    ds = datasets.load_dataset("sachs-obs853")
    assert ds.n == 853 and ds.d == 11 and ds.interventions is None
    assert ds.variables == sachs.VARIABLES
    assert ds.meta["truth"] == "sachs17" and ds.meta["suite"] == "sachs"
    assert ds.meta["condition_counts"] == {"CD3/CD28": 853}
    assert ds.X[0].tolist() == [26.4, 13.2, 8.82, 18.3, 58.8, 6.61, 17.0, 414.0, 17.0, 44.9, 40.0]


def test_int7466_mask_per_condition():
    ds = datasets.load_dataset("sachs-int7466")
    assert ds.n == 7466 and ds.interventions.shape == (7466, 11)
    assert list(ds.meta["condition_counts"].values()) == [853, 902, 911, 723, 810, 799, 848, 913, 707]
    M, cond = ds.interventions, ds.condition
    assert (M.sum(axis=1) <= 1).all()
    for k, (label, count, target) in enumerate(sachs.CONDITIONS):
        rows = cond == k
        assert rows.sum() == count
        if target is None:
            assert not M[rows].any(), label
        else:
            j = sachs.VARIABLES.index(target)
            assert M[rows, j].all() and M[rows].sum() == count, label
    assert M[:, sachs.VARIABLES.index("PKC")].sum() == 723 + 913
    assert (~M.any(axis=1)).sum() == 853 + 902 + 848


def test_log_preprocessing():
    raw, log = datasets.load_dataset("sachs-int7466"), datasets.load_dataset("sachs-int7466-log")
    np.testing.assert_allclose(log.X, np.log(raw.X))
    assert log.meta["preprocessing"] == "log" and log.name == "sachs-int7466-log"


def _edges(ds):
    v = ds.variables
    return {(v[i], v[j]) for i, j in zip(*np.nonzero(ds.graph))}


def test_truths():
    s17 = datasets.load_dataset("sachs-obs853")
    s20 = datasets.load_dataset("sachs-obs853-sachs20")
    c18 = datasets.load_dataset("sachs-int7466-log-cdt18")
    assert s17.graph.sum() == 17 and s20.graph.sum() == 20 and c18.graph.sum() == 18
    e17, e20 = _edges(s17), _edges(s20)
    assert e20 - e17 == {("PIP3", "plcg"), ("plcg", "PKC"), ("PIP2", "PKC"), ("PIP3", "pakts473")}
    assert e17 - e20 == {("plcg", "PIP3")}
    assert {("PKC", "PKA"), ("PKA", "pakts473"), ("p44/42", "pakts473")} <= e17
    assert s17.meta["truth_is_dag"] and s20.meta["truth_is_dag"]
    assert c18.meta["truth_is_dag"] is False and c18.meta["truth"] == "cdt18"
    g = nx.DiGraph(list(_edges(c18)))
    assert {("PIP2", "PIP3"), ("PIP3", "plcg"), ("plcg", "PIP2")} <= _edges(c18)
    assert not nx.is_directed_acyclic_graph(g)


def test_aliases():
    assert sachs.canonical("raf") == "praf" and sachs.canonical("erk") == "p44/42"
    assert sachs.canonical("akt") == "pakts473" and sachs.canonical("PIP2") == "PIP2"
    with pytest.raises(KeyError):
        sachs.canonical("foo")
