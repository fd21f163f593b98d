import numpy as np
import pytest

import methods
from methods import Method, Prediction, register
from tests.fresh import run_python


def test_builtin_baselines_registered():
    names = methods.list_methods()
    for n in ["empty", "random", "abs-corr", "partial-corr", "varsort", "r2sort"]:
        assert n in names


def test_typo_suggests_nearest_name():
    with pytest.raises(KeyError, match="did you mean 'abs-corr'"):
        methods.get_method("abs-cor")


def test_duplicate_name_rejected():
    with pytest.raises(ValueError, match="already registered"):
        @register("empty")
        class Other(Method):
            def fit(self, obs):
                return None


def test_import_path_method():
    m = methods.get_method("tests.test_registry:Diagonalish", k=2)
    assert m.get_params() == {"k": 2}
    assert isinstance(m, Diagonalish)
    assert methods.method_class("tests.test_registry:Diagonalish").name


def test_bad_import_path_is_clear():
    with pytest.raises(KeyError, match="cannot import method"):
        methods.get_method("nosuchmodule.x:Y")


def test_bad_params_are_clear():
    with pytest.raises(ValueError, match="method 'random' has no parameter 'nonsense'"):
        methods.get_method("random", nonsense=1)


def test_entry_point_group_is_read(monkeypatch):
    from importlib.metadata import EntryPoint

    import methods.registry as reg

    ep = EntryPoint(name="ep-method", value="tests.test_registry:Diagonalish", group=reg.ENTRY_POINT_GROUP)
    monkeypatch.setattr(reg, "entry_points", lambda group: [ep] if group == reg.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(reg, "_discovered", False)
    monkeypatch.setattr(reg, "_REGISTRY", dict(reg._REGISTRY))
    assert "ep-method" in reg.list_methods()
    assert reg.method_class("ep-method") is Diagonalish


class Diagonalish(Method):
    """A method outside the registry, named by import path."""

    def __init__(self, k: int = 1):
        self.k = k

    def fit(self, obs):
        d = obs.d
        return Prediction.from_graph(np.eye(d, k=self.k, dtype=int), info=self.describe())


def test_the_source_index_names_the_module_of_every_registered_method():
    from methods.registry import _REGISTRY, _source_index
    methods.list_methods()  # every module imported
    ours = {n: c for n, c in _REGISTRY.items() if not isinstance(c, str) and c.__module__.startswith("methods.")}
    assert ours and set(_source_index()) == set(ours)
    for name, cls in ours.items():
        assert cls.__module__ == _source_index()[name] or cls.__module__.startswith(_source_index()[name] + ".")


def test_looking_a_method_up_imports_its_module_only_and_checks_given_parameters():
    """A run of abs-corr loads neither the classical wrappers nor tabscm, nor scikit-learn for parameters it was not
    given; a given value is checked (scikit-learn's constraints, built then)."""
    code = ("import sys, methods\n"
            "methods.get_method('abs-corr'); methods.method_class('empty')\n"
            "print(sorted({'methods.classical', 'methods.tabscm', 'sklearn'} & set(sys.modules)))\n"
            "try:\n    methods.get_method('abs-corr', edges_per_node=-1)\n"
            "except ValueError as e:\n    print('refused' if 'edges_per_node' in str(e) else e)\n")
    out = run_python(code)
    assert out.stdout.splitlines() == ["[]", "refused"]
