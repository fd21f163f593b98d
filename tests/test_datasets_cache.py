"""The on-disk cache: a second load reads it; deleting it changes no byte."""
import numpy as np
import pytest

import datasets.suites as suites
from datasets.cache import cache_dir
from datasets.generator import SCMSpec
from datasets.suites import synthetic_ref


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TABSCM_BENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def ref():
    spec = SCMSpec(d=6, n=200, expected_degree=2, mechanism=("linear", "mlp"), intervention_share=0.2)
    return synthetic_ref("cache-test-d6", spec, 777, "cache-test", tier="small")


def test_cache_dir_follows_env(cache):
    assert cache_dir() == cache


def test_second_load_reads_the_cache(cache, monkeypatch):
    first = ref().load()
    files = list(cache.glob("*.npz"))
    assert len(files) == 1

    def boom(*a, **k):
        raise AssertionError("generated again instead of reading the cache")

    monkeypatch.setattr(suites, "generate", boom)
    second = ref().load()
    assert second.digest() == first.digest()
    assert second.meta == first.meta and second.name == first.name and second.variables == first.variables
    assert np.array_equal(second.interventions, first.interventions)


def test_deleting_the_cache_changes_no_byte(cache):
    first = ref().load()
    for f in cache.glob("*.npz"):
        f.unlink()
    again = ref().load()
    assert again.X.tobytes() == first.X.tobytes() and again.graph.tobytes() == first.graph.tobytes()
    assert again.interventions.tobytes() == first.interventions.tobytes() and again.meta == first.meta


def test_torn_file_is_regenerated(cache):
    first = ref().load()
    (f,) = cache.glob("*.npz")
    f.write_bytes(b"not an npz")
    assert ref().load().digest() == first.digest()


def test_unwritable_cache_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("TABSCM_BENCH_CACHE", str(blocker / "sub"))  # cannot be created
    assert ref().load().n == 200


def test_different_spec_or_seed_different_entry(cache):
    ref().load()
    spec = SCMSpec(d=6, n=200, expected_degree=2, mechanism=("linear", "mlp"), intervention_share=0.2)
    synthetic_ref("cache-test-d6", spec, 778, "cache-test", tier="small").load()
    synthetic_ref("cache-test-d6", spec.replace(scaling="iscm"), 777, "cache-test", tier="small").load()
    assert len(list(cache.glob("*.npz"))) == 3
