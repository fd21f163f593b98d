"""Named suites: sizes, tiers, mechanism mix, seeds, tags, shared graphs across scalings."""
import collections

import numpy as np
import pytest

import datasets
from datasets.registry import suite_refs
from datasets.suites import SEED_BLOCK, SUITE_SEED_BASE, TRAINING_SEED_BASE

SHORTCUT_SUITES = ["linear-raw", "linear-zscore", "linear-iscm", "nonlinear-raw", "nonlinear-zscore",
                   "nonlinear-iscm", "interventional", "in-dist", "ood-sf", "ood-dense", "ood-noise", "ood-n",
                   "ood-mech"]


def synthetic(refs):
    return [r for r in refs if "data_seed" in r.tags]


def test_all_suites_registered():
    names = set(datasets.list_suites())
    assert {"quick", "default", "tabscm", "tabscm-small", "tabscm-large", "sweep-d", "sweep-n", "tuebingen",
            *SHORTCUT_SUITES} <= names


def test_tuebingen_tags_are_real_data():
    refs = suite_refs("tuebingen")
    assert len(refs) == 99 and all(r.name.startswith("tuebingen-pair") for r in refs)
    assert {(r.tags["d"], r.tags["scaling"], r.tags["shift"], r.tags["ood"], r.tags["interventional"])
            for r in refs} == {(2, "none", "real data", True, False)}


def test_tabscm_composition():
    refs = suite_refs("tabscm")
    assert len(refs) == 100 and len({r.name for r in refs}) == 100
    tiers = collections.Counter(r.tags["tier"] for r in refs)
    assert tiers == {"small": 20, "large": 80}
    for r in refs:
        lo, hi = (10, 30) if r.tags["tier"] == "small" else (50, 100)
        assert lo <= r.tags["d"] <= hi, r.name
        assert r.tags["n"] <= 2000 and r.tags["interventional"] is True
        assert r.tags["suite"] == "tabscm" and r.tags["scaling"] == "zscore"
    mech = collections.Counter(r.tags["mechanism"] for r in refs)
    assert mech == {"linear": 50, "mlp": 10, "sine": 10, "tanh": 10, "quadratic": 10, "threshold": 10}
    for t in ("small", "large"):
        sub = collections.Counter(r.tags["mechanism"] for r in refs if r.tags["tier"] == t)
        assert sub["linear"] == sum(sub.values()) // 2


def test_tabscm_tiers_are_the_same_members():
    full = {r.name: r.tags["data_seed"] for r in suite_refs("tabscm")}
    small, large = suite_refs("tabscm-small"), suite_refs("tabscm-large")
    assert len(small) == 20 and len(large) == 80
    for r in small + large:
        assert full[r.name] == r.tags["data_seed"]
    a = datasets.dataset_ref(small[0].name).load()
    b = small[0].load()
    assert a.digest() == b.digest()


def test_tabscm_small_member_data():
    ref = suite_refs("tabscm-small")[0]
    ds = ref.load()
    assert ds.n == ref.tags["n"] <= 2000 and ds.d == ref.tags["d"]
    assert ds.interventions is not None and ds.interventions.any()
    assert ds.meta["suite"] == "tabscm-small" and ds.meta["tier"] == "small"


@pytest.mark.slow
def test_tabscm_empty_graph_shd_near_report():
    """The empty graph's SHD (= true edges) on tabscm: the report says 678 +- 561."""
    edges = np.array([ds.graph.sum() for ds in datasets.load_suite("tabscm")])
    assert 600 < edges.mean() < 800 and 430 < edges.std(ddof=1) < 660
    assert all(ds.n <= 2000 and np.isfinite(ds.X).all() for ds in datasets.load_suite("tabscm"))


def test_seeds_in_disjoint_blocks_below_training():
    blocks = sorted(SUITE_SEED_BASE.values())
    assert all(b - a >= SEED_BLOCK for a, b in zip(blocks, blocks[1:]))
    assert blocks[-1] + SEED_BLOCK <= TRAINING_SEED_BASE
    owner = {}
    for suite in datasets.list_suites():
        for r in synthetic(suite_refs(suite)):
            seed = r.tags["data_seed"]
            assert 0 <= seed < TRAINING_SEED_BASE
            block = max(b for b in blocks if b <= seed)
            assert seed < block + SEED_BLOCK
            family = suite.split("-")[0] if suite.startswith(("tabscm", "linear", "nonlinear")) else suite
            owner.setdefault(block, set()).add("distorted" if suite == "undistorted" else family)
    assert all(len(v) == 1 for v in owner.values()), owner


def test_member_names_unique_across_suites():
    seen = {}
    for suite in datasets.list_suites():
        for r in suite_refs(suite):
            if r.name in seen and not (suite.startswith("tabscm") and seen[r.name].startswith("tabscm")):
                assert r.name.startswith("sachs-"), (r.name, suite, seen[r.name])
            seen.setdefault(r.name, suite)


def test_quick_stays_tiny():
    refs = suite_refs("quick")
    assert len(refs) == 4 and all(r.tags["d"] <= 10 and r.tags["n"] <= 500 for r in refs)


def test_default_suite():
    refs = suite_refs("default")
    names = [r.name for r in refs]
    assert len(refs) == 10 and "sachs-obs853" in names and "sachs-int7466" in names
    for r in refs:
        assert {"scaling", "mechanism", "interventional", "ood", "tier"} <= set(r.tags)
    loaded = {r.name: r.load() for r in refs if not r.name.startswith("sachs")}
    for mech in ("linear", "mlp"):
        raw, z, i = (loaded[f"default-{mech}-d10-{s}"] for s in ("raw", "zscore", "iscm"))
        assert np.array_equal(raw.graph, z.graph) and np.array_equal(raw.graph, i.graph)
        assert raw.d == 10 and raw.n == 1000
        assert raw.meta["scaling"] == "none" and z.meta["scaling"] == "zscore" and i.meta["scaling"] == "iscm"
    assert loaded["default-linear-d20-raw"].d == 20
    inter = loaded["default-int-linear-d10-zscore"]
    assert inter.interventions is not None and 0.2 < inter.interventions.any(axis=1).mean() < 0.4
    sachs = {r.name: r for r in refs if r.name.startswith("sachs")}
    assert sachs["sachs-int7466"].tags["interventional"] and sachs["sachs-int7466"].load().n == 7466


def test_sweeps():
    d = suite_refs("sweep-d")
    assert [r.tags["d"] for r in d] == [10, 20, 50, 100] and all(r.tags["n"] == 1000 for r in d)
    n = suite_refs("sweep-n")
    assert [r.tags["n"] for r in n] == [200, 500, 1000, 2000] and all(r.tags["d"] == 20 for r in n)
    small, big = n[0].load(), n[-1].load()
    assert np.array_equal(small.graph, big.graph)  # one SCM at every n


@pytest.mark.parametrize("suite", SHORTCUT_SUITES)
def test_shortcut_suites_are_small(suite):
    refs = suite_refs(suite)
    assert 1 <= len(refs) <= 10
    assert all(r.tags["d"] <= 30 and r.tags["n"] <= 2000 for r in refs)
    assert all(isinstance(r.tags["ood"], bool) and r.tags["shift"] for r in refs)


@pytest.mark.parametrize("kind", ["linear", "nonlinear"])
def test_scaling_suites_share_graphs(kind):
    raw, z, i = (suite_refs(f"{kind}-{s}") for s in ("raw", "zscore", "iscm"))
    assert [r.tags["data_seed"] for r in raw] == [r.tags["data_seed"] for r in z] == [r.tags["data_seed"] for r in i]
    assert [r.tags["scaling"] for r in raw + z + i] == ["none"] * 10 + ["zscore"] * 10 + ["iscm"] * 10
    a, b, c = raw[0].load(), z[0].load(), i[0].load()
    assert np.array_equal(a.graph, b.graph) and np.array_equal(a.graph, c.graph)
    assert not np.allclose(b.X, c.X)  # nonlinear too: its raw data keep their scale growth (scale_growth)
    assert a.meta["generator"].get("scale_growth", False) == (kind == "nonlinear")


def test_ood_tags():
    expected = {"in-dist": "none", "ood-sf": "graph", "ood-dense": "density", "ood-noise": "noise",
                "ood-n": "n", "ood-mech": "mechanism"}
    for suite, shift in expected.items():
        refs = suite_refs(suite)
        assert {r.tags["shift"] for r in refs} == {shift}, suite
    assert {r.tags["noise"] for r in suite_refs("ood-noise")} == {"laplace", "uniform"}
    assert {r.tags["n"] for r in suite_refs("ood-n")} == {50, 2000}
    assert {r.tags["graph_model"] for r in suite_refs("ood-sf")} == {"sf"}
    assert all("+" in r.tags["mechanism"] for r in suite_refs("ood-mech"))  # mixed per node
    assert all(r.tags["ood"] is False for r in suite_refs("linear-zscore") + suite_refs("interventional"))
    interventional = [r.load() for r in suite_refs("interventional")[:2]]
    assert all(ds.interventions is not None and ds.interventions.any() for ds in interventional)


def test_suite_descriptions():
    desc = datasets.describe_suites()
    assert all(desc[s] for s in desc)


def test_distorted_is_undistorted_measured_through_monotone_responses():
    from scipy.stats import spearmanr

    bent, plain = suite_refs("distorted"), suite_refs("undistorted")
    assert len(bent) == len(plain) == 20
    assert all("measurement" in r.tags["shift"] for r in bent)
    assert not any("measurement" in r.tags["shift"] for r in plain)
    for b, p in zip(bent[:4], plain[:4]):
        B, P = b.load(), p.load()
        assert np.array_equal(B.graph, P.graph)
        assert np.allclose(spearmanr(B.X).statistic, spearmanr(P.X).statistic)
        assert not np.allclose(B.X, P.X)


def test_pairs_hold_one_edge_each_way_and_each_kind_is_what_it_says():
    from datasets.suites import PAIR_KINDS

    refs = suite_refs("pairs")
    assert len(refs) == 20 * len(PAIR_KINDS) and len({r.name for r in refs}) == len(refs)
    causes_first = collections.Counter()
    for r in refs:
        ds, kind = r.load(), r.tags["kind"]
        assert ds.X.shape == (1000, 2) and ds.graph.sum() == 1, r.name
        causes_first[kind] += int(ds.graph[0, 1])
        meta = ds.meta
        assert (meta.get("hidden_confounders") == 1) == (kind == "confounded"), r.name
        assert ("distortions" in meta) == (kind == "measured"), r.name
        assert (set(meta["node_mechanisms"]) == {"linear"}) == (kind == "linear-gaussian"), r.name
        assert meta["generator"]["heteroscedastic"] == (kind == "heteroscedastic"), r.name
    assert all(4 <= causes_first[k] <= 16 for k in PAIR_KINDS), causes_first  # the cause is first or second
