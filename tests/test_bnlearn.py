"""Suite bnlearn-gaussian: the four networks as pgmpy ships them, sampled with their own parameters, with provenance."""
import networkx as nx
import numpy as np
import pytest

import datasets
from datasets import bnlearn
from tests.fresh import run_python

SIZES = {"ecoli70": (46, 70), "magic-niab": (44, 66), "magic-irri": (64, 102), "arth150": (107, 150)}


def _by_network():
    refs = datasets.suite_refs("bnlearn-gaussian")
    return {name: [r for r in refs if r.tags["network"] == name] for name in SIZES}


def test_the_suite_holds_each_network_raw_and_zscored_over_seeds_with_its_size():
    groups = _by_network()
    assert "bnlearn-gaussian" in datasets.list_suites()
    for name, (d, arcs) in SIZES.items():
        refs = groups[name]
        assert len(refs) == 2 * bnlearn.SEEDS and {r.tags["scaling"] for r in refs} == {"none", "zscore"}
        ds = refs[0].load()
        assert (ds.d, int(ds.graph.sum()), ds.n) == (d, arcs, bnlearn.N_ROWS)
        assert nx.is_directed_acyclic_graph(nx.from_numpy_array(ds.graph, create_using=nx.DiGraph))
        assert ds.variables[0] != "X0"  # the network's own variable names
    assert all(r.tags["tier"] == "real" and r.tags["shift"] == "real network" for g in groups.values() for r in g)


def test_provenance_names_pgmpy_the_file_digest_and_the_source():
    import hashlib
    from importlib.metadata import version
    ds = _by_network()["magic-niab"][0].load()
    path = bnlearn.network_file("magic-niab")
    assert ds.meta["pgmpy_version"] == version("pgmpy")
    assert ds.meta["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "bnlearn" in ds.meta["source"] and ds.meta["file"].endswith("magic-niab.json")


def test_samples_have_the_covariance_the_network_implies():
    """Empirical covariance of a raw sample against (I - B)^-T diag(variance) (I - B)^-1 of the file's parameters."""
    net = bnlearn.read_network(bnlearn.network_file("ecoli70"))
    X = bnlearn.sample(net, 200_000, np.random.default_rng(0))
    inv = np.linalg.inv(np.eye(len(net["nodes"])) - net["B"])
    implied = inv.T @ np.diag(net["variance"]) @ inv
    assert np.allclose(np.cov(X, rowvar=False), implied, atol=0.03 * np.abs(implied).max())
    ds = _by_network()["ecoli70"][1].load()  # z-scored
    assert np.allclose(ds.X.mean(0), 0, atol=1e-9) and np.allclose(ds.X.std(0), 1)


@pytest.mark.slow
def test_the_networks_read_as_pgmpy_reads_them():
    """Our reading of each JSON file (without importing pgmpy) against pgmpy's own loader: the same joint Gaussian."""
    from pgmpy.models import LinearGaussianBayesianNetwork
    for name in SIZES:
        path = bnlearn.network_file(name)
        ours = bnlearn.read_network(path)
        model = LinearGaussianBayesianNetwork.load(str(path))
        order = list(nx.topological_sort(model))
        idx = [ours["nodes"].index(v) for v in order]
        inv = np.linalg.inv(np.eye(len(idx)) - ours["B"])
        mean = np.linalg.solve((np.eye(len(idx)) - ours["B"]).T, ours["intercept"])
        cov = (inv.T @ np.diag(ours["variance"]) @ inv)[np.ix_(idx, idx)]
        pg_mean, pg_cov = model.to_joint_gaussian()
        assert np.allclose(mean[idx], pg_mean, atol=1e-6) and np.allclose(cov, pg_cov, atol=1e-6), name


def test_loading_the_suite_does_not_import_pgmpy():
    code = ("import sys, datasets; datasets.suite_refs('bnlearn-gaussian')[0].load(); "
            "print('pgmpy' in sys.modules)")
    out = run_python(code).stdout
    assert out.strip() == "False"
