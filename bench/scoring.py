"""Score a finished job against its truth (metrics, flags, the dataset's properties) in the worker that ran it,
so scoring grows with the cluster; the truth's facts are computed once per dataset in each worker."""

import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from datasets.base import Dataset
from methods.convert import intervention_targets

from .diagnostics import failure_flags, job_flags
from .metrics import essential_graph, evaluate


@dataclass(frozen=True)
class _ByDigest:
    """A dataset that hashes and compares by its content digest, as a cache key."""
    digest: str
    dataset: Dataset = field(compare=False)


@lru_cache(maxsize=64)
def truth_facts(key: _ByDigest) -> tuple[np.ndarray | None, dict]:
    """(essential graph of the truth, dataset properties), once per dataset content in this worker."""
    from datasets.properties import dataset_properties
    ds = key.dataset
    E = essential_graph(ds.graph, intervention_targets(ds.interventions)) if ds.meta.get("has_truth", True) else None
    return E, dataset_properties(ds)


def score_record(record: dict, arrays: dict | None, dataset: Dataset, digest: str) -> dict:
    """Metrics and flags of a job; a failed job scores as the empty graph, a scoring failure makes it an error."""
    from methods import Prediction
    t0 = time.perf_counter()
    essential, props = truth_facts(_ByDigest(digest, dataset))
    record["dataset_properties"] = dict(props)
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
