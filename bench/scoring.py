"""Score a finished job against its truth (metrics, flags, the dataset's properties and descriptors, and for a
learned method where the dataset lies against its training data) in the worker that ran it, so scoring grows with
the cluster; the dataset's facts are computed once per dataset in each worker."""

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
    """(essential graph of the truth, dataset properties and descriptors), once per dataset content in this worker."""
    from datasets.descriptors import describe
    from datasets.properties import dataset_properties
    ds = key.dataset
    E = essential_graph(ds.graph, intervention_targets(ds.interventions)) if ds.meta.get("has_truth", True) else None
    props = dataset_properties(ds)
    props.update({k: v for k, v in describe(ds.X, ds.interventions).items() if k not in props})
    return E, props


def training_coverage(record: dict, props: dict) -> dict | None:
    """For a learned method that declares its training distribution: where this dataset lies against it
    (``bench.training_coverage``); None otherwise. A failure to place it is recorded, not raised."""
    import json

    from .training_coverage import coverage, reference_for
    try:
        ref = reference_for(record["method"], json.dumps(record.get("params") or {}, sort_keys=True, default=str))
        return None if ref is None else coverage(props, ref)
    except Exception as e:  # noqa: BLE001 - the job's result stands without it
        return {"coverage_error": f"{type(e).__name__}: {e}"}


def score_record(record: dict, arrays: dict | None, dataset: Dataset, digest: str) -> dict:
    """Metrics and flags of a job; a failed job scores as the empty graph, a scoring failure makes it an error."""
    from methods import Prediction
    t0 = time.perf_counter()
    essential, props = truth_facts(_ByDigest(digest, dataset))
    record["dataset_properties"] = dict(props)
    if record.get("learned"):
        cov = training_coverage(record, props)
        if cov is not None:
            record["coverage"] = cov
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
