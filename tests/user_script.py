"""A user's own script, run by path as __main__ (tests/test_warmup.py): it benchmarks a method it
defines itself, and logs each time its top level runs."""
import os
import sys

import numpy as np

from methods import Method, Prediction

with open(os.environ["USER_SCRIPT_LOG"], "a") as log:
    log.write(f"{os.getpid()}\n")


class Mine(Method):
    """The user's method: the empty graph, defined in __main__."""

    def fit(self, obs):
        return Prediction(np.zeros((obs.d, obs.d)), np.zeros((obs.d, obs.d), int), info=self.describe())


if __name__ == "__main__":
    import datasets
    from bench.jobs import build_jobs
    from bench.runner import run_jobs

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")]
    counts = run_jobs(build_jobs(["__main__:Mine", "empty"], data, 1), sys.argv[1], progress=False)
    print(counts)
