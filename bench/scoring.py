"""Score a finished job against its truth: metrics, flags and the dataset's properties.

Runs in the worker that ran the job (the truth travels with it), so scoring grows with the
cluster and the driver only writes. The truth's essential graph and the dataset's properties
are computed once per dataset in each worker.
"""
from __future__ import annotations

import time
import traceback
from functools import lru_cache

import numpy as np

from datasets.base import Dataset

from .diagnostics import failure_flags, job_flags
from .metrics import essential_graph, evaluate


def intervention_targets(mask: np.ndarray | None) -> list[list[int]] | None:
    """The sets of variables intervened on together in some row (None: observational data)."""
    if mask is None or not np.asarray(mask).any():
        return None
    rows = np.unique(np.asarray(mask, dtype=bool), axis=0)
    return [[int(j) for j in np.flatnonzero(r)] for r in rows if r.any()]


@lru_cache(maxsize=64)
def _truth_facts(digest: str, dataset: Dataset) -> tuple[np.ndarray | None, dict]:
    """(essential graph of the truth, dataset properties), once per dataset content."""
    from datasets.properties import dataset_properties

    has_truth = dataset.meta.get("has_truth", True)
    E = essential_graph(dataset.graph, intervention_targets(dataset.interventions)) if has_truth else None
    return E, dataset_properties(dataset)


def truth_facts(dataset: Dataset, digest: str) -> tuple[np.ndarray | None, dict]:
    return _truth_facts(digest, _Keyed(dataset, digest))


class _Keyed:
    """A dataset hashed by its digest, so lru_cache can hold it without hashing its arrays."""

    def __init__(self, dataset: Dataset, digest: str):
        self.dataset, self.digest = dataset, digest

    def __getattr__(self, name):
        return getattr(self.dataset, name)

    def __hash__(self):
        return hash(self.digest)

    def __eq__(self, other):
        return isinstance(other, _Keyed) and other.digest == self.digest


def score_record(record: dict, arrays: dict | None, dataset: Dataset, digest: str) -> dict:
    """Score a job's prediction: metrics and flags. A failed job scores as the empty graph, with
    its failure flags; a scoring failure makes the job an error (the run goes on)."""
    from methods import Prediction

    t0 = time.perf_counter()
    essential, props = truth_facts(dataset, digest)
    record["dataset_properties"] = props
    flags = record.setdefault("flags", {})
    has_truth = dataset.meta.get("has_truth", True)
    G = dataset.graph
    if record["status"] == "ok" and has_truth:
        try:
            pred = Prediction(arrays["scores"], arrays["graph"], bool(record["cpdag"]))
            record["metrics"] = evaluate(G, pred, essential)
            flags.update(job_flags(G, pred, record["metrics"]))
        except Exception as e:  # noqa: BLE001 - recorded, and scored as below
            record.update(status="error", error=f"scoring failed: {type(e).__name__}: {e}",
                          traceback=traceback.format_exc())
            flags.clear()
    if not has_truth:  # a user's CSV without a truth: predictions only, nothing to score against
        record["metrics"] = {}
    elif record["status"] != "ok":
        d = dataset.d
        record["metrics"] = evaluate(G, Prediction.from_graph(np.zeros((d, d))), essential)
        record["scored_as"] = "empty graph"
    flags.update(failure_flags(record["status"], record.get("error")))
    record["score_s"] = time.perf_counter() - t0
    return record
