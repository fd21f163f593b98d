"""Deliberately broken methods (and one probe), named by import path in runner tests (never registered)."""
import os
import signal
import time

import numpy as np

from methods import Method, Prediction


class Hang(Method):
    """Never returns."""

    time_budget_s = 2.0

    def fit(self, obs):
        while True:
            time.sleep(0.1)


class Crash(Method):
    def fit(self, obs):
        raise RuntimeError("deliberate crash in fit")


class Segfault(Method):
    def fit(self, obs):
        os.kill(os.getpid(), signal.SIGSEGV)


class NaNScores(Method):
    def fit(self, obs):
        d = obs.d
        return Prediction(np.full((d, d), np.nan), np.zeros((d, d), int), info=self.describe())


class Cyclic(Method):
    def fit(self, obs):
        d = obs.d
        G = np.roll(np.eye(d, dtype=int), 1, axis=1)  # 0 -> 1 -> ... -> d-1 -> 0
        return Prediction(G.astype(float), G, info=self.describe())


class Constant(Method):
    """Some edges, but every score tied."""

    def fit(self, obs):
        d = obs.d
        G = np.triu(np.ones((d, d), int), 1)
        return Prediction(np.ones((d, d)), G, info=self.describe())


class Slow(Method):
    """Sleeps, then returns the empty graph: for kill-and-resume tests (stochastic: ``--seeds N`` gives N jobs)."""

    deterministic = False

    def __init__(self, sleep: float = 0.4, seed: int = 0):
        self.sleep = sleep
        self.seed = seed

    def fit(self, obs):
        time.sleep(self.sleep)
        d = obs.d
        return Prediction(np.zeros((d, d)), np.zeros((d, d), int), info=self.describe())


class VarianceOrder(Method):
    """A shortcut-taker: |corr| for adjacency, oriented from low to high marginal variance."""

    def fit(self, obs):
        X = np.asarray(obs.X)
        C = np.abs(np.corrcoef(X, rowvar=False))
        v = X.var(axis=0)
        S = C * (v[:, None] < v[None, :])
        np.fill_diagonal(S, 0)
        G = ((S > 0.3) & (v[:, None] < v[None, :])).astype(int)
        return Prediction(S, G, info=self.describe())


class LeaksThread(Method):
    """Leaves a thread running after fit: a job server warmed up with it could not fork safely."""

    def fit(self, obs):
        import threading

        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        d = obs.d
        return Prediction(np.zeros((d, d)), np.zeros((d, d), int), info=self.describe())


class ThreadReport(Method):
    """The empty graph, with the job process's thread counts in info (not broken: a probe)."""

    def fit(self, obs):
        from threadpoolctl import threadpool_info

        from bench.warmup import threads

        d = obs.d
        pools = {p["internal_api"]: p["num_threads"] for p in threadpool_info()}
        return Prediction(np.zeros((d, d)), np.zeros((d, d), int),
                          info=self.describe(pools=pools, process_threads=threads()))


def _square(x):
    return x * x


class StartsProcesses(Method):
    """Fits with a multiprocessing pool of its own, as some libraries do: a job may have children."""

    def fit(self, obs):
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(2) as pool:
            assert pool.map(_square, [1, 2, 3]) == [1, 4, 9]
        d = obs.d
        return Prediction(np.zeros((d, d)), np.zeros((d, d), int), info=self.describe())


class SlowToPreload(Method):
    """Its job server's preload takes 3 s, longer than its 1 s budget; its fit is instant."""

    time_budget_s = 1.0
    preload = ("tests.slow_to_import",)

    def fit(self, obs):
        return Prediction.from_graph(np.zeros((obs.d, obs.d)), info=self.describe())


_FITS_IN_THIS_PROCESS = []


class LeavesChild(Method):
    """Starts a child process that sleeps on (its pid in info), then returns: the child must end
    with the job. ``tag``, if given, is the child's last argument, so that a test finds its own."""

    def __init__(self, sleep: float = 0.0, tag: str = ""):
        self.sleep = sleep
        self.tag = tag

    def fit(self, obs):
        import subprocess
        import sys

        child = subprocess.Popen(["sleep", "300"] if not self.tag else
                                 [sys.executable, "-c", "import time; time.sleep(300)", self.tag])
        time.sleep(self.sleep)
        return Prediction.from_graph(np.zeros((obs.d, obs.d)), info=self.describe(child=child.pid))


class ChildHoldsMemory(Method):
    """A child process of the job holds 1.5 GB while the job waits for it."""

    time_budget_s = 60.0

    def fit(self, obs):
        import subprocess
        import sys

        code = "import time; b = bytearray(1536 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
        subprocess.run([sys.executable, "-c", code])
        return Prediction.from_graph(np.zeros((obs.d, obs.d)), info=self.describe())


class Chatty(Method):
    """Prints a lot, from Python and from a child process, then returns the empty graph."""

    def fit(self, obs):
        import subprocess

        for k in range(20000):
            print(f"iteration {k}: still going")
        subprocess.run(["echo", "last words from a child"])
        return Prediction.from_graph(np.zeros((obs.d, obs.d)), info=self.describe())


class ProcessReport(Method):
    """The empty graph, with its process id, how many fits this process ran before and the cores
    it may run on (not broken: a probe of each job having a fresh process of its own)."""

    def fit(self, obs):
        _FITS_IN_THIS_PROCESS.append(1)
        d = obs.d
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return Prediction(np.zeros((d, d)), np.zeros((d, d), int),
                          info=self.describe(pid=os.getpid(), fits=len(_FITS_IN_THIS_PROCESS), cpus=cpus))


class Detaches(Method):
    """Starts ``setsid sleep 600``, a child that leaves the job's session (as a daemon would), then sleeps ``sleep``
    seconds and returns the empty graph: the child must end with the job anyway."""

    def __init__(self, sleep: float = 0.0):
        self.sleep = sleep

    def fit(self, obs):
        import subprocess

        subprocess.Popen(["setsid", "sleep", "600"])
        time.sleep(self.sleep)
        return Prediction.from_graph(np.zeros((obs.d, obs.d)), info=self.describe())
