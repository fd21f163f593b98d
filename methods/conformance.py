"""A conformance battery for methods, in the spirit of scikit-learn's ``check_estimator``.

Each ``check_*`` takes a method name, runs it on small generated data and raises
AssertionError with a readable message when the method breaks the contract. The test
suite runs every check over every registered method (tests/test_conformance.py), so a new
method is checked without anyone listing it.
"""
from __future__ import annotations

import inspect

import numpy as np

from datasets.base import Dataset
from datasets.generator import SCMSpec, generate

from .base import Method, Prediction
from .registry import get_method, method_class

def small_dataset(seed: int = 7, interventions: bool = False, d: int = 5) -> Dataset:
    """A small linear SCM (d = 5, or what a method accepts), observational or with interventions."""
    spec = SCMSpec(d=d, n=200, expected_degree=2.0, mechanism="linear", scaling="zscore",
                   intervention_share=0.3 if interventions else 0.0, n_targets=2 if interventions else None)
    return generate(spec, seed, name=f"conformance-{seed}")


def _data(name: str, interventions: bool = False) -> Dataset:
    return small_dataset(interventions=interventions, d=method_class(name).n_variables or 5)


def _fit(name: str, ds: Dataset, seed: int = 0, **params) -> Prediction:
    m = get_method(name, **params)
    if "seed" in m.param_names():
        m.set_params(seed=seed)
    pred = m.fit(ds.observations())
    assert isinstance(pred, Prediction), f"{name}.fit returned {type(pred).__name__}, not a Prediction"
    return pred


def check_init_only_stores_params(name: str) -> None:
    """__init__ takes keyword parameters with defaults and stores each under its own name."""
    cls = method_class(name)
    assert issubclass(cls, Method)
    sig = inspect.signature(cls.__init__)
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        assert p.default is not p.empty, f"{name}: parameter {p.name!r} has no default"
    m = cls()
    params = m.get_params()
    clone = cls(**params)
    assert clone.get_params() == params, f"{name}: parameters do not round-trip through __init__"


def check_prediction_contract(name: str) -> None:
    """Shapes [d, d], finite scores off the diagonal, a binary acyclic graph (or declared CPDAG)."""
    ds = _data(name)
    pred = _fit(name, ds)
    pred.validate(ds.d)
    assert not np.any(np.diag(pred.graph)), f"{name}: graph has self-loops"
    assert isinstance(pred.info, dict) and pred.info.get("params") is not None, \
        f"{name}: prediction.info must record its parameters (use Method.describe())"


def check_same_seed_same_output(name: str) -> None:
    """Two fits with the same seed give identical scores and graphs."""
    ds = _data(name)
    a, b = _fit(name, ds, seed=3), _fit(name, ds, seed=3)
    assert np.array_equal(a.graph, b.graph), f"{name}: graph differs between two runs with one seed"
    assert np.allclose(a.scores, b.scores, equal_nan=True), f"{name}: scores differ with one seed"


def check_interventions_accepted(name: str) -> None:
    """An intervention mask is accepted; a method that declares it ignores the mask gives the
    same output with and without it."""
    ds = _data(name, interventions=True)
    assert ds.interventions is not None and ds.interventions.any()
    with_mask = _fit(name, ds)
    with_mask.validate(ds.d)
    if not method_class(name).uses_interventions:
        bare = Dataset(ds.name, ds.X, ds.graph, None, ds.variables, ds.meta)
        without = _fit(name, bare)
        assert np.array_equal(with_mask.graph, without.graph) and np.allclose(
            with_mask.scores, without.scores), \
            f"{name}: declares uses_interventions=False but its output depends on the mask"


def check_parameters_declared(name: str) -> None:
    """Every parameter has declared valid values (``parameter_constraints``), and the defaults
    are among them: a bad setting is then refused before any job runs."""
    cls = method_class(name)
    missing = [p for p in cls.param_names() if p not in cls.parameter_constraints]
    assert not missing, f"{name}: no parameter_constraints for {missing}"
    cls().validate_params()


def check_training_distribution(name: str) -> None:
    """A declared training distribution (``Method.training_distribution``) draws seeded datasets: the same k gives
    the same data, so the harness's cached training cloud means the same thing on every machine."""
    from .base import TrainingDistribution

    dist = get_method(name).training_distribution()
    if dist is None:
        return
    assert isinstance(dist, TrainingDistribution), f"{name}: training_distribution() returned {type(dist).__name__}"
    a, b = dist.draw(0), dist.draw(0)
    assert isinstance(a, Dataset) and np.array_equal(a.X, b.X), f"{name}: draw(0) is not a seeded Dataset"
    assert dist.key and isinstance(dist.key, str), f"{name}: its training distribution has no key"


CHECKS = [check_init_only_stores_params, check_parameters_declared, check_prediction_contract, check_same_seed_same_output,
          check_interventions_accepted, check_training_distribution]


def check_method(name: str) -> None:
    """Run every check on one method."""
    for check in CHECKS:
        check(name)
