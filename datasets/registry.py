"""Named suites and named datasets.

A suite is a list of ``DatasetRef``: a name and a zero-argument loader. Loaders run
lazily (generation is cached on disk), so listing suites and building jobs is cheap.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable

from .base import Dataset


@dataclass(frozen=True)
class DatasetRef:
    """A dataset by name, loaded on demand. ``tags`` are cheap facts (tier, mechanism, d)."""

    name: str
    load: Callable[[], Dataset] = field(compare=False, repr=False)
    tags: dict = field(default_factory=dict, compare=False)


_SUITES: dict[str, tuple[Callable[[], list[DatasetRef]], str]] = {}
_DATASETS: dict[str, tuple[Callable[[], Dataset], str]] = {}


def _unknown(kind: str, name: str, known) -> KeyError:
    near = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return KeyError(f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(known))})")


def register_suite(name: str, description: str = ""):
    """Decorator: register ``builder() -> list[DatasetRef]`` under ``name``."""

    def deco(builder):
        if name in _SUITES:
            raise ValueError(f"suite {name!r} is already registered")
        _SUITES[name] = (builder, description or (builder.__doc__ or "").strip().split("\n")[0])
        return builder

    return deco


def register_dataset(name: str, description: str = ""):
    """Decorator: register a single named dataset ``loader() -> Dataset``."""

    def deco(loader):
        if name in _DATASETS:
            raise ValueError(f"dataset {name!r} is already registered")
        _DATASETS[name] = (loader, description or (loader.__doc__ or "").strip().split("\n")[0])
        return loader

    return deco


def list_suites() -> list[str]:
    return sorted(_SUITES)


def describe_suites() -> dict[str, str]:
    return {k: _SUITES[k][1] for k in sorted(_SUITES)}


def list_datasets() -> list[str]:
    return sorted(_DATASETS)


def suite_refs(name: str) -> list[DatasetRef]:
    """The members of a suite, not yet loaded."""
    if name not in _SUITES:
        raise _unknown("suite", name, _SUITES)
    return _SUITES[name][0]()


def load_suite(name: str) -> list[Dataset]:
    """Every dataset of a suite (generated on first use, then read from the cache)."""
    return [ref.load() for ref in suite_refs(name)]


def dataset_ref(name: str) -> DatasetRef:
    if name in _DATASETS:
        return DatasetRef(name, _DATASETS[name][0])
    for suite in _SUITES:
        for ref in _SUITES[suite][0]():
            if ref.name == name:
                return ref
    raise _unknown("dataset", name, _DATASETS)


def load_dataset(name: str) -> Dataset:
    """A named dataset (e.g. ``sachs-obs853``) or any member of a registered suite."""
    return dataset_ref(name).load()
