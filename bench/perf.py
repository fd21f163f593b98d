"""`make perf`: what the harness and the methods cost, as ratios measured within one run
(absolute times on a shared machine are noise). Parts (protocols in results/perf/README.md):
overhead (runner vs direct call), parallel (1 vs 2 workers), scaling (runtime vs d and n),
scoring (CPDAG by our numpy implementation vs causal-learn), throughput and driver (whole suites), fixed (what `bench run`
itself costs: a 4-job run and a run with nothing to do, against goals in seconds).
One CSV per part in --out, log-log plots from the scaling part, a summary on stdout (each part's table carries
its lines in ``.attrs["summary"]``)."""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_atomic
from .jobs import build_jobs
from .runner import run_jobs
from .store import load_records

PARTS = ("overhead", "parallel", "scaling", "scoring", "throughput", "driver", "fixed")
FIXED_GOALS = {"nothing to do": 2.0, "4 jobs": 5.0}  # seconds of wall time a user waits for `bench run` itself
CLASSICAL = ("pc", "ges", "notears", "dagma")
SCALING_METHODS = CLASSICAL + ("tabscm", "abs-corr", "partial-corr", "r2sort", "varsort", "empty", "random")
FAST = ("tabscm", "tabscm-seed", "abs-corr", "partial-corr", "r2sort", "varsort", "empty")
PERF_SEED = 900_000  # data seeds of the perf datasets (outside every suite's range)


def _data(d: int, n: int, count: int) -> list[tuple]:
    """``count`` linear z-scored ER datasets (expected degree 2) as (dataset, suite, tags)."""
    from datasets.generator import SCMSpec, generate
    spec = SCMSpec(d=d, n=n, expected_degree=2.0, scaling="zscore")
    return [(generate(spec, PERF_SEED + 1000 * d + i, f"perf-d{d}-{i}"), "perf", {"d": d}) for i in range(count)]


def _suite(name: str) -> list[tuple]:
    from datasets import suite_refs
    return [(ref.load(), name, dict(ref.tags)) for ref in suite_refs(name)]


def _timed(fn, *args, **kw) -> float:
    t0 = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t0


def _run(jobs, out: Path, n_jobs: int) -> float:
    """Wall seconds of one runner call (every job run again)."""
    return _timed(run_jobs, jobs, out, n_jobs=n_jobs, progress=False, force=True)


def overhead(tmp: Path, d: int = 50, n: int = 1000, count: int = 3, rounds: int = 3) -> pd.DataFrame:
    """PC on ``count`` datasets: called directly here vs through ``run_jobs(n_jobs=1)``, alternated."""
    from causallearn.search.ConstraintBased.PC import pc
    from threadpoolctl import threadpool_limits
    data, kw = _data(d, n, count), {"stable": True, "show_progress": False, "verbose": False}
    jobs, arrays = build_jobs(["pc"], data, 1), [np.array(ds.X, dtype=np.float64) for ds, _, _ in data]
    direct = lambda: sum(_timed(pc, X, 0.05, "fisherz", **kw) for X in arrays)  # noqa: E731
    with threadpool_limits(1):
        pc(arrays[0], 0.05, "fisherz", **kw)  # warm-up, untimed
        _run(jobs[:1], tmp / "overhead-warm", 1)  # starts the job server, untimed
        rows = [{"round": r, "direct_s": direct(), "runner_s": _run(jobs, tmp / "overhead", 1)}
                for r in range(rounds)]
    df = pd.DataFrame(rows)
    df = pd.concat([df, pd.DataFrame([{"round": "total", **df[["direct_s", "runner_s"]].sum()}])], ignore_index=True)
    df = df.assign(ratio=df["runner_s"] / df["direct_s"], jobs_per_pass=count, d=d, n=n, requirement=1.10)
    ratio = df["ratio"].iloc[-1]
    df.attrs["summary"] = [f"overhead: runner / direct = {ratio:.3f}x (pc, d={d}, n={n}, {count} jobs x {rounds} "
                           f"rounds; requirement <= 1.10x: {'met' if ratio <= 1.10 else 'NOT met'})"]
    return df


def parallel(tmp: Path, method: str = "pc", d: int = 50, n: int = 1000, count: int = 8) -> pd.DataFrame:
    """The same ``count`` jobs with 1 worker, then 2; each after an untimed warm-up run."""
    jobs, warm = build_jobs([method], _data(d, n, count), 1), build_jobs([method], _data(5, 100, 4), 1)
    row = {"method": method, "d": d, "n": n, "jobs": count}
    for k in (1, 2):
        _run(warm, tmp / f"parallel-warm{k}", k)  # each worker's job server up
        row[f"{k}_worker_s"] = _run(jobs, tmp / f"parallel{k}", k)
    row["speedup"] = row["1_worker_s"] / row["2_worker_s"]
    (df := pd.DataFrame([row])).attrs["summary"] = [
        f"parallel: speed-up 2 workers vs 1 = {row['speedup']:.2f}x ({count} {method} jobs, d={d})"]
    return df


def slope(x, y) -> float:
    """Fitted log-log slope of y against x (NaN with fewer than two positive points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0)
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0]) if ok.sum() >= 2 else float("nan")


def scaling(tmp: Path, out: Path, methods=SCALING_METHODS, suites=(("d", "sweep-d"), ("n", "sweep-n")),
            timeout: float = 60.0, n_jobs: int = 2) -> pd.DataFrame:
    """Runtime (the method's fit) of each method against d and n; slopes; tabscm's speed-up."""
    frames = []
    for axis, suite in suites:
        _run(build_jobs(list(methods), _suite(suite), 1, timeout), tmp / f"scaling-{axis}", n_jobs)
        recs = pd.DataFrame(load_records(tmp / f"scaling-{axis}"))
        g = recs.groupby(["method", axis], as_index=False).agg(  # a stochastic method: mean over its seeds
            runtime_s=("runtime_s", "mean"), status=("status", lambda s: ",".join(sorted(set(s)))))
        frames.append(g.rename(columns={axis: "x"}).assign(axis=axis))
    df = pd.concat(frames, ignore_index=True)[["axis", "x", "method", "status", "runtime_s"]]
    ok = df["runtime_s"].where(df["status"] == "ok")  # a killed job's time is not its runtime
    df["slope"] = ok.groupby([df["axis"], df["method"]]).transform(lambda y: slope(df.loc[y.index, "x"], y))
    base = df[df["method"] == "tabscm"].set_index(["axis", "x"])["runtime_s"]
    df["tabscm_speedup"] = df["runtime_s"].values / base.reindex(pd.MultiIndex.from_frame(df[["axis", "x"]])).values
    df["lower_bound"] = df["status"].str.contains("timeout")
    plot(df, out)
    at = df[(df["axis"] == "d") & (df["x"] == df.loc[df["axis"] == "d", "x"].max())]
    df.attrs["summary"] = [f"scaling: tabscm speed-up over {r.method} at d={r.x}: {'>= ' if r.lower_bound else ''}"
                           f"{r.tabscm_speedup:.1f}x ({r.status})"
                           for r in at[at["method"].isin(CLASSICAL)].itertuples()]
    df.attrs["summary"] += [f"scaling: log-log slope in {a}: " + ", ".join(f"{r.method} {r.slope:.2f}"
                                                                          for r in g.itertuples())
                            for a, g in df.drop_duplicates(["axis", "method"]).groupby("axis")]
    return df


def plot(df: pd.DataFrame, out: Path) -> None:
    import matplotlib.pyplot as plt
    plt.switch_backend("Agg")
    for axis, g in df.groupby("axis"):
        fig, ax = plt.subplots(figsize=(7.5, 5))
        for method, m in g.groupby("method"):
            ax.plot(m["x"], m["runtime_s"].clip(lower=1e-4), marker="o", label=method)
        ax.set(xscale="log", yscale="log", xlabel=axis, ylabel="runtime_s (fit)", title=f"runtime against {axis}")
        ax.legend(fontsize=7, ncol=2)
        write_atomic(out / f"runtime_vs_{axis}.png", lambda f: fig.savefig(f, format="png", dpi=110,
                                                                           bbox_inches="tight"))
        plt.close(fig)


def scoring(d: int = 100, reps: int = 2) -> pd.DataFrame:
    """``evaluate()`` of a dense DAG prediction, CPDAGs by ours (``methods.convert``, numpy) vs by causal-learn."""
    from unittest import mock

    from methods import Prediction
    from methods.convert import dag_to_cpdag_causallearn

    from . import metrics
    rng = np.random.default_rng(0)

    def dag(p):  # a random DAG [d, d]: each pair of a random order an edge with probability p
        A, perm = np.triu(rng.random((d, d)) < p, 1).astype(np.int8), rng.permutation(d)
        return A[np.ix_(perm, perm)]
    pred, rows = Prediction.from_graph(dag(0.5)), []
    metrics.evaluate(pred.graph, pred), dag_to_cpdag_causallearn(np.eye(3, k=1))  # imports: untimed
    for case, truth in (("sparse truth (degree 2)", dag(2 / (d - 1))), ("dense truth", dag(0.5))):
        row = {"case": case, "d": d, "pred_edges": int(pred.graph.sum()), "true_edges": int(truth.sum())}
        for path, fn in (("new", metrics.dag_to_cpdag), ("causallearn", dag_to_cpdag_causallearn)):
            with mock.patch.object(metrics, "dag_to_cpdag", fn):  # the CPDAGs of truth and prediction
                row[f"{path}_s"] = min(_timed(lambda: (metrics._essential_graph.cache_clear(),  # truth's CPDAG too
                                                       metrics.evaluate(truth, pred))) for _ in range(reps))
        row["ratio"] = row["causallearn_s"] / row["new_s"]
        rows.append(row)
    (df := pd.DataFrame(rows)).attrs["summary"] = [
        f"scoring: causal-learn path / new path = {r['ratio']:.1f}x (d={d}, {r['case']})" for r in rows]
    return df


def throughput(tmp: Path, runs=(("tabscm", FAST),), n_jobs: int = 2, part: str = "throughput") -> pd.DataFrame:
    """Whole suites on ``n_jobs`` workers: jobs per minute and the driver's CPU share of the wall."""
    rows, summary = [], []
    for suite, methods in runs:
        jobs, out = build_jobs(list(methods), _suite(suite), 1), tmp / f"{part}-{suite}"
        c0 = time.process_time()
        wall = _run(jobs, out, n_jobs)
        cpu, recs = time.process_time() - c0, pd.DataFrame(load_records(out))
        rows.append(r := {"suite": suite, "methods": ",".join(methods), "n_jobs": n_jobs, "jobs": len(jobs),
             "ok": int((recs["status"] == "ok").sum()), "wall_s": wall, "jobs_per_min": 60 * len(jobs) / wall,
             "driver_cpu_s": cpu, "driver_cpu_share": cpu / wall, "mean_fit_s": recs["runtime_s"].mean(),
             "mean_score_s": recs["score_s"].mean(), "mean_job_wall_s": recs["wall_s"].mean()})
        summary.append(f"{part}: {suite} x {len(methods)} methods, {len(jobs)} jobs on {n_jobs} workers: {wall:.0f} s, "
                       f"{r['jobs_per_min']:.0f} jobs/min, driver CPU {100 * cpu / wall:.1f}% of wall; per job: fit "
                       f"{r['mean_fit_s']:.3f} s, scoring {r['mean_score_s']:.3f} s, wall {r['mean_job_wall_s']:.3f} s")
    (df := pd.DataFrame(rows)).attrs["summary"] = summary
    return df


def fixed(tmp: Path, rounds: int = 3) -> pd.DataFrame:
    """What a user waits for beyond the fits: `bench run` as a command (interpreter start, imports, job list,
    workers, report) on 4 quick jobs (abs-corr on suite quick) into an empty folder, then the same command again
    (nothing to do); wall and CPU seconds of the command and its children, best of ``rounds``."""
    import os
    import resource
    import subprocess
    rows = []
    for r in range(rounds):
        out = tmp / f"fixed-{r}"
        for case in ("4 jobs", "nothing to do"):  # the same command twice: the second finds every job done
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", "abs-corr",
                            "--out", str(out), "--quiet"], check=True, capture_output=True, env=dict(os.environ))
            wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
            rows.append({"round": r, "case": case, "wall_s": wall,
                         "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime})
    df = pd.DataFrame(rows).groupby("case", sort=False).min(numeric_only=True).drop(columns="round").reset_index()
    df["goal_s"] = df["case"].map(FIXED_GOALS)
    df.attrs["summary"] = [f"fixed cost: `bench run` with {r.case}: {r.wall_s:.1f} s wall, {r.cpu_s:.1f} s CPU "
                           f"(goal <= {r.goal_s:g} s wall: {'met' if r.wall_s <= r.goal_s else 'NOT met'})"
                           for r in df.itertuples()]
    return df


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    p.add_argument("--out", default="results/perf")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}")
    p.add_argument("--timeout", type=float, default=60.0, help="per-job budget (s) in the scaling part")
    args = p.parse_args(argv)
    parts = [s.strip() for s in args.parts.split(",") if s.strip()]
    if bad := set(parts) - set(PARTS):
        p.error(f"unknown part(s) {sorted(bad)}; choose from {', '.join(PARTS)}")
    (out := Path(args.out)).mkdir(parents=True, exist_ok=True)
    summary = []
    for part in parts:  # each in a fresh process: its workers' job servers warm up that part's methods
        t0 = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            summary += pool.submit(_part, part, out, args.timeout).result()
        print(f"[{part}: {time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)
    print("\n".join(summary))
    return 0


def _part(part: str, out: Path, timeout: float) -> list[str]:
    """Run one part, write its CSV; its summary lines."""
    with tempfile.TemporaryDirectory(prefix="tabscm-perf-") as tmp:
        tmp = Path(tmp)
        df = {"overhead": lambda: overhead(tmp), "parallel": lambda: parallel(tmp),
              "scaling": lambda: scaling(tmp, out, timeout=timeout), "scoring": scoring,
              "throughput": lambda: throughput(tmp),
              "driver": lambda: throughput(tmp, (("tabscm-large", ("tabscm", "abs-corr")),), part="driver"),
              "fixed": lambda: fixed(tmp)}[part]()
        write_atomic(out / f"{part}.csv", lambda f: df.to_csv(f, index=False))
    from joblib.externals.loky import get_reusable_executor
    get_reusable_executor().shutdown(wait=True)  # its idle workers would hold this process's exit for minutes
    return df.attrs["summary"]


if __name__ == "__main__":
    sys.exit(main())
