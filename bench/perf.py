"""`make perf`: what the harness and the methods cost, as ratios measured in one run.

1. Harness overhead: PC, GES and NOTEARS called directly through their libraries vs the same
   jobs through the runner with one worker (process start-up, validation, metrics, storage).
2. Parallel efficiency: ``bench run`` on equal jobs with 1 worker vs 2.
3. Scaling: runtime and peak memory of every method against d and n, with fitted log-log
   growth exponents, and the learned model's speed-up over each classical method at the
   largest d.
Writes results/perf/*.csv and log-log plots. Absolute times on a shared machine are noise;
the ratios are the result.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CLASSICAL = ("pc", "ges", "notears")


# A user's own script: one library imported, one BLAS thread (as in a job), library output
# discarded. It times each call of the library on the arrays it is sent: here, or ("fresh") in a
# child forked from it just before the call, its heap frozen out of the garbage collector as a
# job's process is (``bench.warmup``), which makes one call and exits.
DIRECT_SCRIPT = r"""
import gc, os, pickle, struct, sys, time
if sys.argv[1] == "pc":
    from causallearn.search.ConstraintBased.PC import pc
    call = lambda X: pc(X, 0.05, "fisherz", show_progress=False)
elif sys.argv[1] == "ges":
    from causallearn.search.ScoreBased.GES import ges
    call = lambda X: ges(X, score_func="local_score_BIC")
else:
    from castle.algorithms import Notears
    call = lambda X: Notears().learn(X)
out, sys.stdout = sys.stdout.buffer, open(os.devnull, "w")
while True:
    try:
        X, fresh = pickle.load(sys.stdin.buffer)
    except EOFError:
        break
    if fresh:
        r, w = os.pipe()
        if os.fork() == 0:
            try:  # a failed call writes nothing: the parent's read then fails, and so does the pass
                gc.freeze()
                t, c = time.perf_counter(), time.process_time()
                call(X)
                os.write(w, struct.pack("dd", time.perf_counter() - t, time.process_time() - c))
            finally:
                os._exit(0)
        os.close(w)
        took = struct.unpack("dd", os.read(r, 16))
        os.close(r)
        os.wait()
    else:
        t, c = time.perf_counter(), time.process_time()
        call(X)
        took = (time.perf_counter() - t, time.process_time() - c)
    pickle.dump(took, out); out.flush()
"""


class DirectCalls:
    """PC, GES and NOTEARS called directly through their libraries, each from a process of its
    own that imports only that library, the way a user's script calls it (its docs' calls).

    Not in this process: its heap (the harness, pandas, every library) would slow the libraries'
    own Python down (the garbage collector walks all of it) and make the harness look cheap."""

    def __init__(self):
        self.procs: dict = {}

    def __call__(self, method: str, X: np.ndarray, fresh: bool = False) -> tuple[float, float]:
        """Seconds one call of ``method``'s library on ``X`` took, and the CPU seconds it used
        (``fresh``: in a child forked from the long-lived process just before the call)."""
        import os
        import pickle
        import subprocess

        if method not in self.procs:
            env = {**os.environ, "CASTLE_BACKEND": "pytorch",
                   **{k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
            proc = subprocess.Popen([sys.executable, "-c", DIRECT_SCRIPT, method], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            self.procs[method] = proc
        proc = self.procs[method]
        pickle.dump((np.asarray(X), fresh), proc.stdin)
        proc.stdin.flush()
        try:
            return pickle.load(proc.stdout)
        except EOFError:
            raise RuntimeError(f"the direct {method} process died (exit {proc.wait()})") from None

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stdin.close()
            proc.wait()
        self.procs.clear()


def _bench(argv: list[str]) -> None:
    from bench.cli import main

    if main(argv) != 0:
        raise RuntimeError(f"bench {' '.join(argv)} failed")


PERF_SEED_BASE = 40_000  # a block of its own, outside every suite's and the training range


def perf_data(name: str, d: int, count: int) -> list[tuple]:
    """``count`` linear ER datasets with d variables, as (dataset, suite, tags) for build_jobs."""
    from datasets.generator import SCMSpec, generate

    spec = SCMSpec(d=d, n=1000, expected_degree=2.0)
    return [(generate(spec, PERF_SEED_BASE + 100 * d + i, f"{name}-{i}"), name, {"d": d}) for i in range(count)]


def import_seconds(modules: list[str]) -> float:
    """Wall time of importing ``modules`` in a fresh interpreter (gcastle told its backend)."""
    import os
    import subprocess

    code = f"import time; t = time.perf_counter(); import {', '.join(modules)}; print(time.perf_counter() - t)"
    env = {**os.environ, "CASTLE_BACKEND": "pytorch"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


MIN_DIRECT_S = 60.0  # a method's rounds repeat until its direct calls add up to this ...
MIN_ROUNDS = 5       # ... and there are at least this many, for the interval
ROUND_S = 2.0        # a round's runner call holds enough of a method's jobs to last about this long
FRESH_METHODS = ("pc",)  # the fresh-process row: short jobs, where its cost shows (GES's, NOTEARS' last seconds)


def harness_overhead(d: int, count: int, tmp: Path, min_direct_s: float = MIN_DIRECT_S,
                     min_rounds: int = MIN_ROUNDS, split_cpus: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PC, GES and NOTEARS called directly (``DirectCalls``) vs the same jobs through the runner
    with one worker (as ``bench run --n-jobs 1`` runs them), alternating: a direct pass, a runner
    call, a direct pass, a runner call, ..., a direct pass. Each runner call is a round; its
    baseline is the mean of the two direct passes around it, so the machine's load changes stay
    out of the ratio. A round holds as many of the method's ``count`` datasets as last about
    ``ROUND_S`` (PC: three jobs; GES and NOTEARS: one), the same ones every round. Rounds repeat
    until a method's direct passes add up to ``min_direct_s`` and there are ``min_rounds``. The
    ratio of sums comes with a 95 % bootstrap interval over rounds and the median round ratio.

    A job's fit runs in a fresh process; the direct calls in a long-lived one. How much that
    alone costs, with no harness at all, the "fresh process, no harness" row measures the same
    way for PC: the direct calls' own process against a child it forks just before each call.

    ``split_cpus`` (two cores or more): the fits run on one core, both sides' (the direct calls'
    process, and each job's process while it runs its job: ``bench.execute.FIT_CPUS_ENV``), and
    the harness on the others (this process's threads, so the runner's; the job server, so the
    next job's fork and page copying; a finished job's process, so its exit). Left to the
    scheduler, a fit lands on either core, and on this shared machine the same call ran up to
    8 % faster on one core than on the other for minutes at a time: noise as large as what is
    measured. With the job server on the fits' core too (the protocol until this split), a PC
    fit waited 22-33 ms a job for its core, behind the harness's work for the next job; the
    scheduler, left alone, puts most of that work on the other core (5 ms). Pinned, the
    measurement runs in a process of its own, so that no pinned job server outlives it.

    ``run_s`` counts the runner call's bookkeeping (dataset properties, truths, result files).
    The job server (imports and warm-up, once per worker) is started first, for all three
    methods, and timed apart; the whole-run rows add it. Library imports are outside every
    timing but the last row's, which counts them on both sides, each in a fresh interpreter:
    the three libraries for the direct calls, the harness for the run (its job server imports
    the libraries, inside the run).

    Returns the rows above and every round (``overhead_rounds.csv``: ``pool_overhead`` pools
    the rounds of several runs)."""
    import os

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if split_cpus and len(cpus) >= 2:
        import multiprocessing as mp

        path = tmp / "overhead.pkl"
        proc = mp.get_context("spawn").Process(target=_overhead_pinned,
                                                args=(d, count, tmp, min_direct_s, min_rounds, cpus, path))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError(f"the overhead measurement's process failed (exit {proc.exitcode})")
        return pd.read_pickle(path)
    return _overhead(d, count, tmp, min_direct_s, min_rounds, None)


def _overhead_pinned(d, count, tmp, min_direct_s, min_rounds, cpus, path) -> None:
    pd.to_pickle(_overhead(d, count, tmp, min_direct_s, min_rounds, (cpus[0], cpus[1:])), path)


def _overhead(d, count, tmp, min_direct_s, min_rounds, split) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``harness_overhead`` in this process; ``split``: (the fits' core, the harness's cores), or None."""
    import os

    from bench.execute import FIT_CPUS_ENV, job_server
    from bench.jobs import build_jobs
    from bench.runner import run_jobs
    from bench.store import load_records

    data = perf_data(f"perf-overhead-d{d}", d, count)
    run_started = time.strftime("%Y-%m-%dT%H:%M:%S")
    direct = DirectCalls()
    if split:
        os.sched_setaffinity(0, {split[0]})  # the direct processes, started now, inherit it
    try:
        first = {m: direct(m, data[0][0].X)[0] for m in CLASSICAL}  # warm-up; its time sizes the rounds
        if split:  # this thread, the runner's threads it starts and the job server, whose jobs' processes
            os.sched_setaffinity(0, set(split[1]))  # move to the fits' core for their job only
            os.environ[FIT_CPUS_ENV] = str(split[0])
        t0 = time.perf_counter()
        job_server(CLASSICAL)  # returns once the server's imports and warm-up are done
        server_s = time.perf_counter() - t0
        items = {m: data[:min(count, max(1, int(np.ceil(ROUND_S / first[m]))))] for m in CLASSICAL}

        def direct_pass(method, fresh=False):
            return np.sum([direct(method, item[0].X, fresh) for item in items[method]], axis=0)

        def in_runner(method, i):
            out = tmp / f"overhead-{method}-{i}"
            t0 = time.perf_counter()
            run_jobs(build_jobs([method], items[method], 1), out, n_jobs=1, progress=False, force=True)
            run_s = time.perf_counter() - t0
            recs = load_records(out)
            return {"run": run_s, "jobs": len(recs), "fit": sum(r["runtime_s"] for r in recs),
                    "fit_cpu": sum(r.get("fit_cpu_s", np.nan) for r in recs), "wall": sum(r["wall_s"] for r in recs)}

        def in_fresh_process(method, i):
            took, cpu = direct_pass(method, fresh=True)
            return {"run": took, "jobs": len(items[method]), "fit": took, "fit_cpu": cpu, "wall": took}

        rounds = {m: _alternate(lambda: direct_pass(m), lambda i: in_runner(m, i), min_direct_s, min_rounds)
                  for m in CLASSICAL}
        fresh = {m: _alternate(lambda: direct_pass(m), lambda i: in_fresh_process(m, i), min_direct_s, min_rounds)
                 for m in FRESH_METHODS}
    finally:
        direct.close()
    out_rows = [_method_row(m, d, r) for m, r in rounds.items()]
    out_rows += [_method_row(f"{m}: fresh process, no harness", d, r) for m, r in fresh.items()]
    groups = list(rounds.values())
    lo, hi = ratio_interval(groups, added=server_s)
    whole = _overhead_row("all (whole run)", d, pd.concat(groups), added=server_s)
    lib_imports = import_seconds(["causallearn.search.ConstraintBased.PC", "causallearn.search.ScoreBased.GES",
                                  "castle.algorithms"])
    harness_imports = import_seconds(["bench.runner", "bench.jobs"])
    with_imports = _overhead_row("all (whole run, imports counted)", d, pd.concat(groups),
                                 added=server_s + harness_imports, base_added=lib_imports)
    with_imports.update({k: float("nan") for k in with_imports if k.endswith("_s_per_job")
                         and k != "added_s_per_job"})  # the split is in the row above
    fits_on = {"fits_on_cpu": split[0] if split else "any"}
    out_rows += [whole | {"ci95_low": lo, "ci95_high": hi, "server_start_s": server_s}, with_imports]
    every = [r.assign(method=m, round=np.arange(len(r))) for m, r in rounds.items()]
    every += [r.assign(method=f"{m}: fresh process, no harness", round=np.arange(len(r))) for m, r in fresh.items()]
    every = pd.concat(every, ignore_index=True).assign(d=d, run_started=run_started, server_start_s=server_s, **fits_on)
    return pd.DataFrame([row | fits_on for row in out_rows]), every


def _alternate(direct_pass, other, min_direct_s: float, min_rounds: int) -> pd.DataFrame:
    """A direct pass, ``other(i)``, a direct pass, ``other(i + 1)``, ..., a direct pass, until the
    direct passes add up to ``min_direct_s`` and there are ``min_rounds`` rounds: one row per
    round (``other``'s dict: run, jobs, fit, fit_cpu, wall), its ``base`` (and ``base_cpu``) the
    mean of the passes around it. A pass gives (seconds, CPU seconds). ``steal`` and
    ``base_steal``: the host's steal time (``steal_s``) during ``other(i)`` and, averaged,
    during the passes around it."""
    def timed_pass():  # (seconds, CPU seconds, steal seconds)
        s = steal_s()
        return np.append(direct_pass(), steal_s() - s)

    passes, rows = [timed_pass()], []
    while sum(p[0] for p in passes) < min_direct_s or len(rows) < max(1, min_rounds):
        s = steal_s()
        row = other(len(rows))
        row["steal"] = steal_s() - s
        passes.append(timed_pass())
        base, base_cpu, base_steal = (passes[-2] + passes[-1]) / 2
        rows.append(row | {"base": base, "base_cpu": base_cpu, "base_steal": base_steal})
    return pd.DataFrame(rows)


def steal_s() -> float:
    """CPU seconds the hypervisor has given this virtual machine's cores to other guests since
    boot (``/proc/stat``'s steal, all cores); NaN where the machine does not say. A round's
    share tells a slow round on a busy host from one the harness slowed."""
    import os

    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return float("nan")


def _method_row(name, d, r: pd.DataFrame) -> dict:
    """One method's row: its totals, the ratio's interval and the spread of its rounds."""
    lo, hi = ratio_interval([r])
    ratios = r["run"] / r["base"]
    return _overhead_row(name, d, r) | {
        "ci95_low": lo, "ci95_high": hi, "median_round_overhead": float(np.median(ratios)),
        "round_sd": float(np.std(ratios, ddof=1)) if len(r) > 1 else float("nan"),
        "rounds": len(r), "jobs_per_round": int(r["jobs"].iloc[0])}


def _overhead_row(method, d, rounds: pd.DataFrame, added: float = 0.0, base_added: float = 0.0) -> dict:
    """Totals of one method's rounds; the per-job split of what the harness added, in seconds:
    the fit itself being slower in a job's fresh process, then everything around the fit
    (process start, validation, the result file), then what only the whole run adds (set-up,
    scoring the last job; ``added``: the job server's start). The fit's part is split again:
    how much more CPU time the fit used than the direct call, and how long it waited for a core
    (its wall time less its CPU time: other work on its core, the harness's included)."""
    jobs, base = int(rounds["jobs"].sum()), float(rounds["base"].sum())
    fit, wall, run = float(rounds["fit"].sum()), float(rounds["wall"].sum()), float(rounds["run"].sum()) + added
    fit_cpu, base_cpu = float(rounds["fit_cpu"].sum()), float(rounds["base_cpu"].sum())
    return {"method": method, "d": d, "jobs": jobs, "direct_s": base + base_added, "fit_in_job_s": fit,
            "job_wall_s": wall, "run_s": run, "overhead": run / (base + base_added),
            "added_s_per_job": (run - base - base_added) / jobs, "fit_slower_s_per_job": (fit - base) / jobs,
            "fit_cpu_slower_s_per_job": (fit_cpu - base_cpu) / jobs, "fit_waited_s_per_job": (fit - fit_cpu) / jobs,
            "direct_waited_s_per_job": (base - base_cpu) / jobs,
            "around_fit_s_per_job": (wall - fit) / jobs, "run_only_s_per_job": (run - wall) / jobs,
            "steal_s_per_job": _sum(rounds, "steal") / jobs, "direct_steal_s_per_job": _sum(rounds, "base_steal") / jobs}


def _sum(rounds: pd.DataFrame, column: str) -> float:
    """A column's sum; NaN where a round lacks it (runs measured before it was recorded)."""
    return float(rounds[column].sum(min_count=len(rounds))) if column in rounds else float("nan")


def _resampled_sums(groups: list[pd.DataFrame], added: float, size, rng) -> tuple[np.ndarray, np.ndarray]:
    """sum(run) + ``added`` and sum(base) of ``size`` resamples, each group's (a method's)
    rounds drawn with replacement within the group."""
    run, base = np.full(size, added, dtype=float), np.zeros(size)
    for g in groups:
        idx = rng.integers(0, len(g), size=(*np.atleast_1d(size), len(g)))
        run += g["run"].to_numpy()[idx].sum(axis=-1)
        base += g["base"].to_numpy()[idx].sum(axis=-1)
    return run, base


def ratio_interval(groups: list[pd.DataFrame], added: float = 0.0, draws: int = 2000,
                   seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of sum(run) + ``added`` over sum(base), drawing each
    group's rounds (a method's) with replacement within the group. NaN with fewer than three
    rounds in a group: two rounds cannot say how far a third would fall."""
    if any(len(g) < 3 for g in groups):
        return float("nan"), float("nan")
    run, base = _resampled_sums(groups, added, draws, np.random.default_rng(seed))
    lo, hi = np.percentile(run / base, [2.5, 97.5])
    return float(lo), float(hi)


def pooled_interval(runs: list[tuple[list[pd.DataFrame], float]], draws: int = 2000,
                    seed: int = 0) -> tuple[float, float]:
    """95 % interval of the pooled ratio of several runs, each (its groups, its ``added``): a
    two-level percentile bootstrap that draws runs with replacement, then each drawn run's rounds
    within its groups. Drawing the runs counts how far whole runs differ (their processes, the
    machine's state that day), which a run's own rounds cannot show. NaN with fewer than three
    runs, or rounds."""
    if len(runs) < 3 or any(len(g) < 3 for groups, _ in runs for g in groups):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    sums = [_resampled_sums(groups, added, (draws, len(runs)), rng) for groups, added in runs]
    run_s, base_s = (np.stack([s[k] for s in sums]) for k in (0, 1))  # [run, draw, slot]
    pick = rng.integers(0, len(runs), size=(draws, len(runs)))
    draw, slot = np.arange(draws)[:, None], np.arange(len(runs))[None, :]
    ratio = run_s[pick, draw, slot].sum(axis=1) / base_s[pick, draw, slot].sum(axis=1)
    lo, hi = np.percentile(ratio, [2.5, 97.5])
    return float(lo), float(hi)


def pool_overhead(rounds: pd.DataFrame) -> pd.DataFrame:
    """Several overhead runs pooled (their ``overhead_rounds.csv`` rows, told apart by
    ``run_started``): per method, the ratio of sums over every round of every run, its
    two-level interval (``pooled_interval``), each run's own ratio and their spread, and the
    per-job split of what the harness added; then the whole run (PC, GES and NOTEARS, each
    run's job server start added)."""
    rows = [_pooled_row(method, {s: ([g], 0.0) for s, g in m.groupby("run_started")})
            for method, m in rounds.groupby("method", sort=False)]
    whole = rounds[rounds["method"].isin(CLASSICAL)]
    rows.append(_pooled_row("all (whole run)", {
        s: ([g for _, g in r.groupby("method")], float(r["server_start_s"].iloc[0]))
        for s, r in whole.groupby("run_started")}))
    return pd.DataFrame(rows)


def read_runs(paths: list[str]) -> pd.DataFrame:
    """The rounds of several overhead runs (folders holding ``overhead_rounds.csv``, or such
    files), refusing what would pool wrongly: a run given twice (its rounds would count twice)
    or runs measured in different layouts (``fits_on_cpu``)."""
    files = [Path(f) / "overhead_rounds.csv" if Path(f).is_dir() else Path(f) for f in paths]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise ValueError(f"no overhead rounds at {', '.join(missing)}")
    runs = [pd.read_csv(f) for f in files]
    starts = [str(r["run_started"].iloc[0]) for r in runs]
    if len(set(starts)) < len(starts):
        raise ValueError(f"the same run given twice (started {max(starts, key=starts.count)})")
    layouts = {str(v) for r in runs for v in r["fits_on_cpu"].unique()}
    if len(layouts) > 1:
        raise ValueError(f"runs measured in different layouts (fits_on_cpu {', '.join(sorted(layouts))}): pool them apart")
    return pd.concat(runs, ignore_index=True)


def _pooled_row(name: str, runs: dict[str, tuple[list[pd.DataFrame], float]]) -> dict:
    """One pooled row from {run: (its groups of rounds, what it adds)}."""
    frame = pd.concat([g for groups, _ in runs.values() for g in groups])
    d = frame["d"].dropna().astype(int).max() if "d" in frame else None  # rounds files of 2026-11-26 15:59 lack it
    ratios = [_overhead_row(name, d, pd.concat(groups), added=added)["overhead"] for groups, added in runs.values()]
    lo, hi = pooled_interval(list(runs.values()))
    return _overhead_row(name, d, frame, added=sum(a for _, a in runs.values())) | {
        "runs": len(runs), "rounds": len(frame), "ci95_low": lo, "ci95_high": hi,
        "run_ratios": " ".join(f"{r:.3f}" for r in ratios),
        "between_run_sd": float(np.std(ratios, ddof=1)) if len(ratios) > 1 else float("nan")}


def parallel_efficiency(method: str, d: int, seeds: int, tmp: Path) -> pd.DataFrame:
    """One dataset, ``seeds`` identical jobs through the runner with 1 worker, then 2, then 1
    again: the two 1-worker runs' mean is the baseline, which keeps the machine's load changes
    out of the ratio (``1_worker_drift``: how far they differ, the noise to read it against).
    This process's job server is started first and timed apart: a 1-worker run pays it once,
    so it is added to the baseline; the 2-worker run starts its workers and their servers
    inside its time. The serial parts of a run (dataset properties, the report) are timed
    separately, not in the ratio."""
    from bench.execute import job_server
    from bench.jobs import build_jobs
    from bench.report import build_outputs
    from bench.runner import run_jobs

    data = perf_data(f"perf-equal-d{d}", d, 1)
    t0 = time.perf_counter()
    job_server((method,))
    row = {"method": method, "d": d, "jobs_per_run": seeds, "server_start_s": time.perf_counter() - t0}
    for name, k in (("1_worker", 1), ("2_worker", 2), ("1_worker_again", 1)):
        out = tmp / f"parallel-{name}"
        t0 = time.perf_counter()
        run_jobs(build_jobs([method], data, seeds), out, n_jobs=k, progress=False, force=True)
        row[f"{name}_jobs_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_outputs(out)
        row[f"{name}_report_s"] = time.perf_counter() - t0
    one = (row["1_worker_jobs_s"] + row["1_worker_again_jobs_s"]) / 2
    row["1_worker_drift"] = abs(row["1_worker_jobs_s"] - row["1_worker_again_jobs_s"]) / one
    row["speedup"] = (one + row["server_start_s"]) / row["2_worker_jobs_s"]
    return pd.DataFrame([row])


def growth_exponent(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def scaling(methods: list[str], suites: dict[str, str], timeout: float, n_jobs: int, tmp: Path):
    """Runtime and peak memory against d and n; one row per method x point, plus exponents."""
    frames = []
    for axis, suite in suites.items():
        out = tmp / f"scaling-{axis}"
        _bench(["run", "--suite", suite, "--methods", ",".join(methods), "--out", str(out), "--quiet",
                "--timeout", str(timeout), "--n-jobs", str(n_jobs)])
        from bench.store import load_records

        recs = load_records(out)
        frames.append(pd.DataFrame([{"axis": axis, "method": r["method"], "d": r["d"], "n": r["n"],
                                     "status": r["status"], "runtime_s": r["runtime_s"],
                                     "peak_rss_mb": r.get("peak_rss_mb")} for r in recs]))
    points = pd.concat(frames, ignore_index=True)
    exps = []
    for (axis, method), g in points.groupby(["axis", "method"]):
        x = g["d"] if axis == "d" else g["n"]
        ok = g["status"] == "ok"
        exps.append({"axis": axis, "method": method, "runtime_exponent": growth_exponent(x[ok], g["runtime_s"][ok]),
                     "memory_exponent": growth_exponent(x[ok], g["peak_rss_mb"][ok]),
                     "points_ok": int(ok.sum()), "points": len(g)})
    return points, pd.DataFrame(exps)


def speedups(points: pd.DataFrame, learned: str = "tabscm") -> pd.DataFrame:
    """The learned model's inference time vs each classical method at the largest d."""
    g = points[points["axis"] == "d"]
    if g.empty or learned not in set(g["method"]):
        return pd.DataFrame()
    dmax = g["d"].max()
    at = g[g["d"] == dmax].set_index("method")
    base = float(at.loc[learned, "runtime_s"])
    rows = [{"d": dmax, "method": m, "status": r["status"], "runtime_s": r["runtime_s"],
             "speedup_of_" + learned: r["runtime_s"] / base,
             "note": "lower bound: the method was killed at its budget" if r["status"] == "timeout" else ""}
            for m, r in at.iterrows() if m != learned]
    return pd.DataFrame(rows)


def plot(points: pd.DataFrame, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    paths = []
    for axis in sorted(points["axis"].unique()):
        g = points[points["axis"] == axis]
        fig, ax = plt.subplots(figsize=(7.5, 5))
        sns.lineplot(data=g, x=axis, y="runtime_s", hue="method", style="method", markers=True, dashes=False, ax=ax)
        ax.set(xscale="log", yscale="log", ylabel="runtime (s)", title=f"runtime against {axis} (log-log)")
        ax.legend(fontsize=7, ncol=2)
        path = out / f"runtime_vs_{axis}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="results/perf")
    p.add_argument("--tiny", action="store_true", help="a seconds-long smoke setting (tests)")
    p.add_argument("--timeout", type=float, default=300.0, help="per-job budget in the scaling runs")
    p.add_argument("--no-pin", action="store_true",
                   help="overhead: let the scheduler place the fits (default: fits on one core, the harness on the others)")
    p.add_argument("--parts", default="overhead,parallel,scaling",
                   help="comma-separated subset of overhead, parallel, scaling (the others' CSVs are kept)")
    p.add_argument("--pool", nargs="+", metavar="RUN",
                   help="measure nothing: pool these overhead runs (folders holding overhead_rounds.csv, or "
                        "such files) into OUT/overhead_pooled.csv")
    args = p.parse_args(argv)
    parts = set(args.parts.split(","))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.pool:
        try:
            pooled = pool_overhead(read_runs(args.pool))
        except ValueError as e:
            p.error(str(e))
        pooled.to_csv(out / "overhead_pooled.csv", index=False)
        print(pooled.to_string(index=False))
        return 0
    import methods

    results: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="tabscm-perf-") as tmp:
        tmp = Path(tmp)
        if "overhead" in parts:
            results["overhead"], results["overhead_rounds"] = (
                harness_overhead(5, 1, tmp, min_direct_s=0.0, min_rounds=1) if args.tiny else
                harness_overhead(50, 3, tmp, split_cpus=not args.no_pin))
        if "parallel" in parts:
            results["parallel"] = (parallel_efficiency("abs-corr", 5, 2, tmp) if args.tiny else
                                   parallel_efficiency("notears", 50, 8, tmp))
        if "scaling" in parts:
            if args.tiny:
                points, exps = scaling(["abs-corr", "empty"], {"d": "quick"}, 30, 1, tmp)
            else:
                points, exps = scaling(methods.list_methods(), {"d": "sweep-d", "n": "sweep-n"}, args.timeout, 2, tmp)
            results.update(scaling_points=points, scaling_exponents=exps, speedup=speedups(points))
            plot(points, out)
    for name, df in results.items():
        df.to_csv(out / f"{name}.csv", index=False)
    pd.set_option("display.width", 200)
    for name, df in results.items():
        if name != "overhead_rounds":  # every round: for pooling runs (``--pool``), not for reading
            print(f"== {name}", df.to_string(index=False) if len(df) else "(empty)", sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
