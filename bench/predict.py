"""What a job's process does: fit the method on observations only, validate, and probe a learned
method. A failure is a result, never raised. The job server's warm-up runs the same code."""

import json
import time
import traceback

import numpy as np

from .jobs import Job


def predict(job: Job) -> tuple[dict, dict | None]:
    """Fit, validate and, for a learned method, run the dependence probe (``bench.probe``): (result, arrays)."""
    from methods import InvalidPrediction, method_class
    result, arrays = {"status": "error"}, None
    try:
        method = method_class(job.method)(**job.params)  # its parameters were checked as the job was built
        if "seed" in method.param_names():
            method.set_params(seed=job.seed)
        obs = job.dataset.observations()
        t0, c0 = time.perf_counter(), time.process_time()
        pred = method.fit(obs)
        result["fit_s"], result["fit_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
        try:
            pred.validate(job.dataset.d)
        except InvalidPrediction as e:
            result.update(status="invalid", error=str(e), invalid_reason=str(e))
        else:
            result.update(status="ok", cpdag=bool(pred.cpdag), info=pred.info)
            arrays = {"scores": np.asarray(pred.scores, dtype=np.float64), "graph": np.asarray(pred.graph, np.int8)}
            if method.learned:
                from .probe import dependence_probe
                result["probe"] = dependence_probe(method, obs, seed=job.seed, scores=arrays["scores"])
    except Exception as e:  # failure is a result
        result.update(status="error", error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
    return result, arrays


def save_result(f, result: dict, arrays: dict | None) -> None:
    """The job's result as its process hands it to the worker: one .npz holding the record."""
    np.savez(f, record=json.dumps(result, default=str), **(arrays or {}))


def load_result(path: str) -> tuple[dict, dict | None]:
    with np.load(path) as z:
        return json.loads(str(z["record"])), {k: z[k] for k in z.files if k != "record"} or None
