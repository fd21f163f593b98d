"""Score a finished job against its truth (metrics, flags, the dataset's properties) in the worker that ran it,
so scoring grows with the cluster; the truth's facts are computed once per dataset in each worker."""

import time
import traceback

import numpy as np

from datasets.base import Dataset

from .diagnostics import failure_flags, job_flags
from .metrics import essential_graph, evaluate


def intervention_targets(mask: np.ndarray | None) -> list[list[int]] | None:
    """The sets of variables intervened on together in some row (None: observational data)."""
    if mask is None or not np.asarray(mask).any():
        return None
    return [[int(j) for j in np.flatnonzero(r)] for r in np.unique(np.asarray(mask, dtype=bool), axis=0) if r.any()]


_FACTS: dict[str, tuple[np.ndarray | None, dict]] = {}  # by dataset digest; the 64 newest kept


def truth_facts(dataset: Dataset, digest: str) -> tuple[np.ndarray | None, dict]:
    """(essential graph of the truth, dataset properties), once per dataset content."""
    from datasets.properties import dataset_properties
    if digest not in _FACTS:
        has_truth = dataset.meta.get("has_truth", True)
        E = essential_graph(dataset.graph, intervention_targets(dataset.interventions)) if has_truth else None
        _FACTS[digest] = (E, dataset_properties(dataset))
        if len(_FACTS) > 64:
            del _FACTS[next(iter(_FACTS))]
    return _FACTS[digest]


def score_record(record: dict, arrays: dict | None, dataset: Dataset, digest: str) -> dict:
    """Metrics and flags of a job; a failed job scores as the empty graph, a scoring failure makes it an error."""
    from methods import Prediction
    t0 = time.perf_counter()
    essential, record["dataset_properties"] = truth_facts(dataset, digest)
    flags = record.setdefault("flags", {})
    has_truth, G = dataset.meta.get("has_truth", True), dataset.graph
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
        empty = Prediction.from_graph(np.zeros((dataset.d, dataset.d)))
        record.update(metrics=evaluate(G, empty, essential), scored_as="empty graph")
    flags.update(failure_flags(record["status"], record.get("error")))
    record["score_s"] = time.perf_counter() - t0
    return record
