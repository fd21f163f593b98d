"""Declared parameter values of the methods: scikit-learn's ``Interval`` and ``StrOptions``
(``sklearn.utils._param_validation``), each built when first used. Importing scikit-learn loads scipy and pandas
(about a second), which a command that only looks methods up, such as a run with nothing left to do, need not pay."""
from __future__ import annotations

from functools import cached_property


class Deferred:
    """The scikit-learn constraint ``kind(*args, **kwargs)``, built on first use (``.built``)."""

    def __init__(self, kind: str, args: tuple, kwargs: dict):
        self.kind, self.args, self.kwargs = kind, args, kwargs

    @cached_property
    def built(self):
        from sklearn.utils import _param_validation
        return getattr(_param_validation, self.kind)(*self.args, **self.kwargs)

    def __str__(self) -> str:
        return str(self.built)

    def __repr__(self) -> str:
        return repr(self.built)


def Interval(*args, **kwargs) -> Deferred:  # noqa: N802 - scikit-learn's name
    """scikit-learn's ``Interval(type, left, right, closed=...)``, built on first use."""
    return Deferred("Interval", args, kwargs)


def StrOptions(*args, **kwargs) -> Deferred:  # noqa: N802 - scikit-learn's name
    """scikit-learn's ``StrOptions(options)``, built on first use."""
    return Deferred("StrOptions", args, kwargs)


def resolved(constraints) -> list:
    """A parameter's list of constraints as scikit-learn takes them (deferred ones built)."""
    return [c.built if isinstance(c, Deferred) else c for c in constraints]
