"""Failure diagnostics: flags per job, with their thresholds stated here and in the report. A collapsed
model (the original TabSCM: no edges, AUROC 0.50) trips empty_output, constant_scores and chance_auroc."""
from methods.base import has_directed_cycle
from methods.health import BOOTSTRAP, CI, auroc_interval, collapse_flags  # noqa: F401 (auroc_interval: re-exported)

SORTABILITY_HIGH = 0.9     # var- or R2-sortability above this: a sorting shortcut exists
TRIVIAL_METHODS = ("abs-corr", "partial-corr", "varsort", "r2sort")

THRESHOLDS = {
    "empty_output": "no edge predicted while the truth has at least one",
    "full_output": "every pair of variables predicted adjacent (d > 2: a pair's one edge is no failure)",
    "constant_scores": "all off-diagonal scores tied (AUROC exactly 0.5)",
    "chance_auroc": f"the {int(CI * 100)}% bootstrap interval of AUROC ({BOOTSTRAP} resamples of pairs) "
                    "contains 0.5",
    "no_better_than_empty": "SHD at or above the empty graph's (= number of true edges)",
    "no_better_than_trivial": f"AUROC not above the best trivial baseline ({', '.join(TRIVIAL_METHODS)}) "
                              "on the same dataset",
    "cyclic_output": "the directed part of the graph has a cycle (e.g. PC's conflicting orientations); scored as "
                     "returned, SID undefined",
    "timeout": "killed past its time budget",
    "error": "raised, crashed or ran out of memory",
    "invalid": "output broke the contract (shape, NaN, values)",
    "high_sortability": f"dataset var- or R2-sortability above {SORTABILITY_HIGH}",
}
JOB_FLAGS = ["empty_output", "full_output", "constant_scores", "chance_auroc", "no_better_than_empty", "cyclic_output"]
FAILURE_FLAGS = ["timeout", "error", "invalid"]


def job_flags(truth, prediction, metrics: dict) -> dict:
    """Flags of one finished job (see THRESHOLDS)."""
    n_true = metrics["n_true_edges"]
    return {**collapse_flags(truth, prediction.scores, metrics["n_pred_edges"]),
            "no_better_than_empty": bool(n_true > 0 and metrics["shd"] >= n_true),
            "cyclic_output": has_directed_cycle(prediction.graph)}


def failure_flags(status: str, error: str | None) -> dict:
    return {"timeout": status == "timeout", "error": status == "error", "invalid": status == "invalid"}
