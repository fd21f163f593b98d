"""Named suites of synthetic datasets, each a list of (spec, seed) generated lazily and cached.

Suite seeds live in disjoint blocks (``SUITE_SEED_BASE``); the learned model trains on
seeds from ``TRAINING_SEED_BASE`` upward, so no training draw can repeat a benchmark dataset.
"""
from __future__ import annotations

from .cache import cached
from .generator import GENERATOR_VERSION, SCMSpec, generate
from .registry import DatasetRef, register_suite

TRAINING_SEED_BASE = 10**9  # the TabSCM trainer draws seeds >= this; every suite stays below
SUITE_SEED_BASE = {"quick": 1_000}


def synthetic_ref(name: str, spec: SCMSpec, seed: int, suite: str, **tags) -> DatasetRef:
    """A lazily generated, disk-cached suite member."""
    if seed >= TRAINING_SEED_BASE:
        raise ValueError(f"suite seed {seed} collides with the training seed range")
    meta = {"suite": suite, **tags}
    payload = {"spec": spec.to_dict(), "seed": seed, "name": name, "meta": meta,
               "version": GENERATOR_VERSION}
    all_tags = {"suite": suite, "d": spec.d, "n": min(spec.n, spec.max_rows),
                "mechanism": "+".join(spec.mechanisms), "scaling": spec.scaling, **tags}
    return DatasetRef(name, lambda: cached(payload, lambda: generate(spec, seed, name, meta)), all_tags)


@register_suite("quick", "a handful of small datasets every method finishes in seconds (tests, smoke runs)")
def quick() -> list[DatasetRef]:
    base = SUITE_SEED_BASE["quick"]
    specs = [
        ("quick-linear-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="linear")),
        ("quick-linear-z-d10", SCMSpec(d=10, n=500, expected_degree=2.0, mechanism="linear", scaling="zscore")),
        ("quick-mlp-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="mlp", scaling="zscore")),
        ("quick-int-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="linear",
                                 intervention_share=0.3, n_targets=3, scaling="zscore")),
    ]
    return [synthetic_ref(name, spec, base + i, "quick") for i, (name, spec) in enumerate(specs)]
