"""The Method interface and its Prediction.

In the spirit of scikit-learn estimators: ``__init__`` only stores its keyword parameters
(so ``get_params`` can read them back from the signature and every result row can record
them), ``fit(observations)`` does the work and returns a ``Prediction``. Randomised methods
take a ``seed`` parameter; the runner sets it per job.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Callable

import networkx as nx
import numpy as np


class InvalidPrediction(ValueError):
    """A prediction that breaks the contract (shape, NaN, values outside {0, 1}, self-loops, a two-way edge in a
    graph not declared a CPDAG). A directed cycle is no breach: it is scored as returned and flagged."""


def has_directed_cycle(graph) -> bool:
    """Whether the directed part of ``graph`` [d, d] (edges set one way only) holds a cycle: e.g. causal-learn's PC
    when its orientation rules conflict. Every metric is defined on such a graph, so it is scored, not zeroed."""
    g = np.asarray(graph) != 0
    directed = g & ~g.T
    return not nx.is_directed_acyclic_graph(nx.from_numpy_array(directed.astype(int), create_using=nx.DiGraph))


@dataclass(eq=False)
class Prediction:
    """scores: [d, d] float, higher = more confident in i -> j (diagonal ignored).
    graph: [d, d] int in {0, 1}; an undirected CPDAG edge is 1 both ways (then cpdag=True).
    info: library, version, parameters and anything else worth keeping (JSON-serialisable)."""

    scores: np.ndarray
    graph: np.ndarray
    cpdag: bool = False
    info: dict = field(default_factory=dict)

    @classmethod
    def from_graph(cls, graph, cpdag: bool = False, info: dict | None = None) -> "Prediction":
        """For methods that only output a graph: directed edge = 1, undirected = 0.5 each way."""
        G = (np.asarray(graph) != 0).astype(np.int8)
        undirected = (G == 1) & (G.T == 1)
        scores = G.astype(float)
        scores[undirected] = 0.5
        np.fill_diagonal(scores, 0.0)
        return cls(scores, G, cpdag, dict(info or {}))

    def validate(self, d: int) -> None:
        """Raise InvalidPrediction unless this is a well-formed prediction for d variables (a directed cycle is
        well-formed: see ``has_directed_cycle``)."""
        s, g = np.asarray(self.scores), np.asarray(self.graph)
        if s.shape != (d, d) or g.shape != (d, d):
            raise InvalidPrediction(f"expected [{d}, {d}] scores and graph, got {s.shape} and {g.shape}")
        off = ~np.eye(d, dtype=bool)
        if not np.issubdtype(s.dtype, np.number) or not np.all(np.isfinite(s[off])):
            raise InvalidPrediction("scores contain NaN, inf or non-numbers off the diagonal")
        if not np.isin(g, (0, 1)).all():
            raise InvalidPrediction("graph has values outside {0, 1}")
        if np.any(np.diag(g)):
            raise InvalidPrediction("graph has self-loops")
        if not self.cpdag and (g.astype(bool) & g.T.astype(bool)).any():
            raise InvalidPrediction("graph has an edge in both directions but is not declared a CPDAG")


@dataclass(frozen=True)
class TrainingDistribution:
    """The data a learned method was trained on, as a sampler, so that the harness can say where a benchmark
    dataset lies outside it (``bench.training_coverage``).

    ``draw(k)`` returns the k-th training dataset (a ``datasets.Dataset``; seeded: the same k, the same data on
    any machine). ``key`` identifies the distribution (e.g. a digest of the generator config) for caching.
    ``invariant`` names descriptors (``datasets.descriptors``) the method cannot see, e.g. ``log_var_spread``
    for a model that z-scores its input: those are not compared."""

    key: str
    draw: Callable[[int], object]
    invariant: tuple[str, ...] = ()


def library_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


class Method:
    """Base class of every causal discovery method in the benchmark.

    Subclasses set the class attributes below, take only keyword parameters in
    ``__init__`` (stored under the same names), and implement ``fit``. Each parameter's valid
    values are declared in ``parameter_constraints``, as scikit-learn's
    ``_parameter_constraints`` (a list per parameter of ``Interval``, ``StrOptions``, a type or
    None, from ``sklearn.utils._param_validation``, or their deferred forms in ``methods.constraints``),
    so a bad setting is refused before any job runs (``validate_params``).
    """

    name: str = ""                  # registry name, set by @register
    library: str | None = None      # the distribution that does the work (for its version)
    time_budget_s: float = 300.0    # default budget the runner enforces, per job
    uses_interventions: bool = False  # False: the mask is accepted and knowingly ignored
    learned: bool = False           # amortized/learned: put through the dependence probe
    deterministic: bool = True      # same input, same output, whatever the seed
    output: str = "dag"             # "dag", "cpdag" or "scores" (graph derived from scores)
    preload: tuple[str, ...] = ()   # modules the runner imports once per worker, not once per job
    min_seeds: int = 1              # seeds a stochastic method runs with at least (deterministic: 1)
    n_variables: int | None = None  # the only number of variables it accepts (2: bivariate); None: any
    parameter_constraints: dict = {}  # parameter -> list of allowed kinds of value (see above)

    def fit(self, obs) -> Prediction:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in self.param_names()}

    def set_params(self, **params) -> "Method":
        unknown = set(params) - set(self.param_names())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter(s) {sorted(unknown)}; "
                             f"it takes {self.param_names()}")
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def validate_params(self) -> None:
        """Raise ValueError (one line) unless every parameter is of a declared valid value."""
        from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

        from .constraints import resolved
        constraints = {k: resolved(v) for k, v in self.parameter_constraints.items() if k in self.param_names()}
        try:
            validate_parameter_constraints(constraints, self.get_params(), self.name or type(self).__name__)
        except InvalidParameterError as e:
            raise ValueError(str(e)) from None

    def fingerprint(self) -> str:
        """Identity of the files this method's output depends on beyond the code (e.g. the sha256
        of a checkpoint); part of its jobs' keys, so a new checkpoint reruns its jobs only."""
        return ""

    def training_distribution(self) -> TrainingDistribution | None:
        """What a learned method was trained on (``TrainingDistribution``); None (the default): not declared,
        e.g. a classical method, which is fitted on the data it is given."""
        return None

    def describe(self, **extra) -> dict:
        """What every prediction's info starts from: method, library, version, parameters."""
        lib = self.library
        return {"method": self.name or type(self).__name__, "library": lib,
                "library_version": library_version(lib) if lib else None,
                "params": self.get_params(), **extra}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
