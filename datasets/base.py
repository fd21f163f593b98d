"""The Dataset and Observations types: what a benchmark job holds, and the part a method may see.

A method never receives a Dataset, only ``dataset.observations()``: the data, the
intervention mask and the variable names. The true graph stays with the harness.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np


class DataError(ValueError):
    """Bad input data; its message is one line that names the source and the problem."""


def _readonly(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Observations:
    """What a method sees. X: [n, d] float; interventions: [n, d] bool or None."""

    X: np.ndarray
    interventions: np.ndarray | None
    variables: tuple[str, ...]

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def observational_rows(self) -> np.ndarray:
        """Boolean [n]: rows in which no variable was set by intervention."""
        if self.interventions is None:
            return np.ones(self.n, dtype=bool)
        return ~self.interventions.any(axis=1)


@dataclass(eq=False)
class Dataset:
    """A data table with its true graph.

    X: [n, d] float64. graph: [d, d] int, graph[i, j] = 1 means i -> j.
    interventions: [n, d] bool (True where variable j was set in row i) or None.
    meta: suite, generator parameters, seed, provenance; JSON-serialisable.
    """

    name: str
    X: np.ndarray
    graph: np.ndarray
    interventions: np.ndarray | None = None
    variables: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.X = np.ascontiguousarray(self.X, dtype=np.float64)
        if self.X.ndim != 2:
            raise DataError(f"{self.name}: X must be 2-D [n, d], got shape {self.X.shape}")
        n, d = self.X.shape
        self.graph = np.asarray(self.graph).astype(np.int8)
        if self.graph.shape != (d, d):
            raise DataError(f"{self.name}: graph must be [{d}, {d}], got {self.graph.shape}")
        if self.interventions is not None:
            self.interventions = np.asarray(self.interventions, dtype=bool)
            if self.interventions.shape != (n, d):
                raise DataError(f"{self.name}: intervention mask must be [{n}, {d}], "
                                f"got {self.interventions.shape}")
        if not self.variables:
            self.variables = tuple(f"X{j}" for j in range(d))
        self.variables = tuple(str(v) for v in self.variables)
        if len(self.variables) != d:
            raise DataError(f"{self.name}: {len(self.variables)} variable names for {d} columns")

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def observations(self) -> Observations:
        """The method's view: read-only copies of the data, without the truth."""
        return Observations(_readonly(self.X), _readonly(self.interventions), self.variables)

    def digest(self) -> str:
        """sha256 over data, mask, truth and names: the identity of this dataset in job keys."""
        h = hashlib.sha256()
        h.update(self.X.tobytes())
        h.update(self.graph.tobytes())
        if self.interventions is not None:
            h.update(self.interventions.tobytes())
        h.update("\x00".join(self.variables).encode())
        return h.hexdigest()

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, n={self.n}, d={self.d}, edges={int(self.graph.sum())})"
