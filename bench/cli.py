"""Command line: ``bench list``, ``bench run``, ``bench report``.

``bench run`` exits 0 when the run completed, whatever its jobs' statuses (failures are
results), and 2 when it could not run (bad arguments, bad data), with one line saying why.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

RUN_FIELDS = {"suite": None, "methods": "all", "seeds": 1, "out": None, "n_jobs": 1, "timeout": None,
              "backend": "loky", "scheduler": None, "force": False, "data": None, "truth": None,
              "memory_gb": 8.0}


def cmd_list(args) -> int:
    import datasets
    import methods

    print("methods:")
    for name in methods.list_methods():
        cls = methods.method_class(name)
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        print(f"  {name:<16} {doc}")
    print("suites:")
    for name, desc in datasets.describe_suites().items():
        print(f"  {name:<16} {desc}")
    named = datasets.list_datasets()
    if named:
        print("datasets:")
        for name in named:
            print(f"  {name}")
    return 0


def _run_options(args) -> dict:
    """Command-line flags over the YAML run file (--config) over defaults."""
    opts = dict(RUN_FIELDS)
    if args.config:
        import yaml

        try:
            loaded = yaml.safe_load(Path(args.config).read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ValueError(f"{args.config}: cannot read run file: {str(e).splitlines()[0]}") from None
        unknown = set(k.replace("-", "_") for k in loaded) - set(RUN_FIELDS)
        if unknown:
            raise ValueError(f"{args.config}: unknown field(s) {sorted(unknown)}; known: {sorted(RUN_FIELDS)}")
        opts.update({k.replace("-", "_"): v for k, v in loaded.items()})
    for k in RUN_FIELDS:
        v = getattr(args, k, None)
        if v is not None and v is not False:
            opts[k] = v
    if isinstance(opts["methods"], list):
        opts["methods"] = ",".join(opts["methods"])
    if not opts["out"]:
        raise ValueError("--out DIR is required (or `out:` in the run file)")
    if not opts["suite"] and not opts["data"]:
        raise ValueError("give --suite NAME or --data FILE.csv")
    return opts


def _datasets(opts) -> list:
    import datasets

    data = []
    if opts["data"]:
        ds = datasets.from_csv(opts["data"], truth=opts["truth"])
        data.append((ds, "user", {}))
    if opts["suite"]:
        for suite in str(opts["suite"]).split(","):
            for ref in datasets.suite_refs(suite.strip()):
                data.append((ref.load(), suite.strip(), dict(ref.tags)))
    return data


def cmd_run(args) -> int:
    from datasets import DataError

    from .jobs import build_jobs, split_methods
    from .report import build_outputs
    from .runner import run_jobs

    opts = _run_options(args)
    import methods

    names = methods.list_methods() if opts["methods"] in ("all", None) else split_methods(str(opts["methods"]))
    try:
        data = _datasets(opts)
    except DataError as e:
        raise ValueError(str(e)) from None
    jobs = build_jobs(names, data, int(opts["seeds"]), opts["timeout"])
    counts = run_jobs(jobs, opts["out"], n_jobs=int(opts["n_jobs"]), backend=opts["backend"],
                      scheduler=opts["scheduler"], force=bool(opts["force"]),
                      progress=not args.quiet, memory_gb=float(opts["memory_gb"]))
    print("jobs: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v), file=sys.stderr)
    paths = build_outputs(opts["out"])
    print(f"wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from .report import build_outputs

    if not (Path(args.dir) / "jobs").is_dir():
        raise ValueError(f"{args.dir}: no jobs/ folder here; run `bench run --out {args.dir}` first")
    paths = build_outputs(args.dir)
    print(f"wrote {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench", description="TabSCM Bench: causal discovery benchmark harness")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered methods, suites and datasets").set_defaults(fn=cmd_list)

    r = sub.add_parser("run", help="run methods x datasets x seeds; resumes where a run stopped")
    r.add_argument("--config", help="YAML run file with the same fields (flags override it)")
    r.add_argument("--suite", help="suite name(s), comma-separated (see `bench list`)")
    r.add_argument("--data", help="your own CSV (header = variable names)")
    r.add_argument("--truth", help="ground-truth edge list CSV for --data (header cause,effect)")
    r.add_argument("--methods", help="comma-separated: names, name(k=v,...), or pkg.module:Class; default all")
    r.add_argument("--seeds", type=int, help="run each method with seeds 0..N-1 (default 1)")
    r.add_argument("--out", help="output folder")
    r.add_argument("--n-jobs", dest="n_jobs", type=int, help="parallel workers (default 1)")
    r.add_argument("--timeout", type=float, help="per-job budget in seconds (default: each method's own)")
    r.add_argument("--backend", choices=["loky", "dask", "ray"], help="joblib backend (default loky)")
    r.add_argument("--scheduler", help="dask scheduler address (tcp://...) or ray address")
    r.add_argument("--memory-gb", dest="memory_gb", type=float, help="kill a job above this memory (default 8)")
    r.add_argument("--force", action="store_true", help="rerun finished jobs")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(fn=cmd_run)

    rep = sub.add_parser("report", help="rebuild tables, plots and report.md from DIR/jobs")
    rep.add_argument("dir")
    rep.set_defaults(fn=cmd_report)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"bench: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
