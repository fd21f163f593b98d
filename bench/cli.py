"""Command line: ``bench list``, ``bench run``, ``bench report``, ``bench compare``, ``bench prune``. Exit codes: 0 when the run completed, whatever
its jobs' statuses (failures are results); 2 when it could not run (bad arguments, bad data); 130 on Ctrl-C and
143 on SIGTERM; each failure with one line saying why or what was kept, and no traceback."""

import argparse
import sys
from pathlib import Path

class Interrupted(BaseException):
    """SIGTERM, raised where the run is, as Ctrl-C raises KeyboardInterrupt."""


def _terminate(signum, frame):
    raise Interrupted()


def _paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line (what `bench list` prints in full)."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def allowed_values(cls, param: str) -> str:
    """What a method's parameter may be, read from its declared ``parameter_constraints`` (scikit-learn's)."""
    from sklearn.utils._param_validation import make_constraint

    from methods.constraints import resolved
    constraints = cls.parameter_constraints.get(param)
    if not constraints:
        return "not declared (any value the method accepts)"
    return " or ".join(str(make_constraint(c)) for c in resolved(constraints))


def describe_method(name: str) -> list[str]:
    """`bench list METHOD`: the method's description, then each parameter with its default and allowed values."""
    import inspect
    import methods
    cls = methods.method_class(name)
    sig = inspect.signature(cls.__init__).parameters
    lines = [f"{name}: {_paragraph(cls.__doc__)}"]
    rest = (cls.__doc__ or "").strip().split("\n\n")[1:]
    lines += [" ".join(part.split()) for part in rest if part.strip()]
    facts = [f"output {cls.output}", "deterministic" if cls.deterministic else f"stochastic (>= {cls.min_seeds} seeds)",
             f"time budget {cls.time_budget_s:g} s", "uses the intervention mask" if cls.uses_interventions
             else "ignores the intervention mask", *(["learned"] if cls.learned else []),
             *([f"only d = {cls.n_variables}"] if cls.n_variables else [])]
    lines += ["", "  " + "; ".join(facts), "", "parameters (set as name(param=value,...)):" if cls.param_names()
              else "parameters: none"]
    for param in cls.param_names():
        default = sig[param].default
        shown = "(required)" if default is inspect.Parameter.empty else repr(default)
        lines.append(f"  {param:<18} default {shown}; allowed: {allowed_values(cls, param)}")
    return lines


def cmd_list(args) -> int:
    import datasets
    import methods
    if args.method:
        print("\n".join(describe_method(args.method)))
        return 0
    print("methods (`bench list METHOD` for its parameters):")
    for name in methods.list_methods():
        print(f"  {name:<16} {_paragraph(methods.method_class(name).__doc__)}")
    print("suites:")
    for name, desc in datasets.describe_suites().items():
        print(f"  {name:<16} {desc}")
    if named := datasets.list_datasets():
        print("datasets:\n" + "\n".join(f"  {name}" for name in named))
    return 0


def _names(v) -> bool:
    return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))


#: a run's fields: field -> (default, check, what it must be); in a run file None is "not given" for every field.
#: ``type(v) in (int, float)`` leaves out bools, which YAML reads from true/false.
RUN_SCHEMA = {
    "suite": (None, _names, "a suite name or a list of names"),
    "methods": ("all", _names, "a method spec or a list of them"),
    "seeds": (1, lambda v: type(v) is int and v >= 1, "an integer >= 1"),
    "out": (None, lambda v: isinstance(v, str) and v != "", "a folder path"),
    "n_jobs": (1, lambda v: type(v) is int and v >= 1, "an integer >= 1"),
    "timeout": (None, lambda v: type(v) in (int, float) and v > 0, "a number of seconds > 0"),
    "backend": ("loky", lambda v: v in ("loky", "dask", "ray"), "one of loky, dask, ray"),
    "scheduler": (None, lambda v: isinstance(v, str), "an address (text)"),
    "scheduler_timeout": (5.0, lambda v: type(v) in (int, float) and v > 0, "a number of seconds > 0"),
    "force": (False, lambda v: isinstance(v, bool), "true or false (not quoted)"),
    "data": (None, lambda v: isinstance(v, str), "a CSV file path"),
    "truth": (None, lambda v: isinstance(v, str), "a CSV file path"),
    "memory_gb": (8.0, lambda v: type(v) in (int, float) and v > 0, "a number of GB > 0"),
}


def _unique_key_loader():
    """yaml's SafeLoader refusing a key given twice in one mapping (it would keep the last silently)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise ValueError(f"key {key!r} is given twice (lines {seen[key]} and {line})")
                seen[key] = line
            return super().construct_mapping(node, deep)
    return Loader


def read_run_file(path: str) -> dict:
    """A YAML run file checked against ``RUN_SCHEMA``; ValueError (one line: the file, the field, what it must be)."""
    import yaml
    try:
        loaded = yaml.load(Path(path).read_bytes().decode("utf-8"), Loader=_unique_key_loader())
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: cannot read run file: not UTF-8 text (byte {e.object[e.start]:#04x} at "
                         f"offset {e.start})") from None
    except yaml.MarkedYAMLError as e:  # a syntax error: say where
        mark = e.problem_mark or e.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"{path}{where}: not valid YAML: {e.problem or e.context}") from None
    except (OSError, ValueError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: cannot read run file: {str(e).splitlines()[0]}") from None
    if not isinstance(loaded, (dict, type(None))):
        raise ValueError(f"{path}: a run file is a mapping of fields (suite: ..., methods: ...), "
                         f"not a {type(loaded).__name__}")
    out = {}
    for key, value in (loaded or {}).items():
        field = str(key).replace("-", "_")
        if field not in RUN_SCHEMA:
            raise ValueError(f"{path}: unknown field {key!r}; known: {', '.join(RUN_SCHEMA)}")
        _, check, what = RUN_SCHEMA[field]
        if value is not None and not check(value):
            raise ValueError(f"{path}: field {key!r} must be {what}, got {value!r}")
        out[field] = value
    return out


def _run_options(args) -> dict:
    """Command-line flags over the YAML run file (--config) over defaults."""
    opts = {k: default for k, (default, _, _) in RUN_SCHEMA.items()}
    if args.config:
        opts.update({k: v for k, v in read_run_file(args.config).items() if v is not None})
    opts.update({k: v for k in RUN_SCHEMA if (v := getattr(args, k, None)) is not None and v is not False})
    opts.update({k: ",".join(opts[k]) for k in ("methods", "suite") if isinstance(opts[k], list)})
    for k, (_, check, what) in RUN_SCHEMA.items():  # flags pass argparse's types; say the rest here
        if opts[k] is not None and k not in ("suite", "methods") and not check(opts[k]):
            raise ValueError(f"--{k.replace('_', '-')} must be {what}, got {opts[k]!r}")
    if not opts["out"]:
        raise ValueError("--out DIR is required (or `out:` in the run file)")
    if not opts["suite"] and not opts["data"]:
        raise ValueError("give --suite NAME or --data FILE.csv")
    if opts["truth"] and not opts["data"]:
        raise ValueError("--truth is the ground truth of --data FILE.csv; a suite brings its own truths")
    return opts


def cmd_run(args) -> int:
    import datasets
    import methods
    from .jobs import build_jobs, split_methods
    from .runner import CannotWrite, run_jobs
    from .store import FolderBusy, finished_keys
    opts = _run_options(args)
    names = methods.list_methods() if opts["methods"] in ("all", None) else split_methods(str(opts["methods"]))
    try:
        data = [(datasets.from_csv(opts["data"], truth=opts["truth"]), "user", {})] if opts["data"] else []
        for suite in str(opts["suite"]).split(",") if opts["suite"] else []:
            data += [(ref.load(), suite.strip(), dict(ref.tags)) for ref in datasets.suite_refs(suite.strip())]
    except datasets.DataError as e:
        raise ValueError(str(e)) from None
    jobs = build_jobs(names, data, opts["seeds"], opts["timeout"])  # refuses bad methods: nothing written yet
    out = opts["out"]
    try:
        counts = run_jobs(jobs, out, n_jobs=opts["n_jobs"], backend=opts["backend"], scheduler=opts["scheduler"],
                          force=opts["force"], progress=not args.quiet, memory_gb=float(opts["memory_gb"]),
                          scheduler_timeout=float(opts["scheduler_timeout"]))
    except (KeyboardInterrupt, Interrupted) as e:
        e.args = (f"{len(finished_keys(out))} finished jobs are kept in {out}; rerun the same command to resume",)
        raise
    except (FolderBusy, CannotWrite) as e:
        raise ValueError(str(e)) from None
    except OSError as e:
        kept = len(finished_keys(out))
        raise ValueError(f"{out}: cannot write results ({e.strerror or e})" + (
            f"; {kept} finished jobs are kept, rerun the same command to resume" if kept else "")) from None
    print("jobs: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v), file=sys.stderr)
    if not any(v for k, v in counts.items() if k != "skipped") and outputs_current(out, {j.key for j in jobs}):
        print(f"nothing new: the outputs in {out} are up to date (`bench report {out}` rebuilds them)",
              file=sys.stderr)
        return 0
    return _build_outputs(out)


def outputs_current(out, keys: set) -> bool:
    """Whether report.md was written after every job file of ``out`` and its tables hold the records ``keys`` (this
    code's jobs: after a change is reverted, the tables show the newer records until rebuilt): a run that ran
    nothing need not rebuild them then."""
    import csv
    report, jobs, table = Path(out) / "report.md", Path(out) / "jobs", Path(out) / "jobs.csv"
    if not report.exists() or not table.exists():
        return False
    built = report.stat().st_mtime
    if not all(p.stat().st_mtime <= built for p in jobs.glob("*.json")):
        return False
    with open(table, newline="") as f:
        return keys <= {row.get("key") for row in csv.DictReader(f)}


def _build_outputs(out) -> int:
    from .report import build_outputs
    try:
        wrote = build_outputs(out)
    except OSError as e:  # each output is replaced whole (bench.atomic): what was there stays
        raise ValueError(f"{out}: cannot write the report ({e.strerror or e}); the previous outputs are "
                         "left as they were") from None
    print(f"wrote {', '.join(str(p) for p in wrote)}", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    if not (Path(args.dir) / "jobs").is_dir():
        raise ValueError(f"{args.dir}: no jobs/ folder here; run `bench run --out {args.dir}` first")
    return _build_outputs(args.dir)


def cmd_compare(args) -> int:
    from .compare import write_compare
    written = write_compare(args.a, args.b, args.out, by_name=args.by_name, per_suite=args.per_suite)
    print(f"wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0


def cmd_prune(args) -> int:
    from .store import FolderBusy, prune_superseded
    if not (Path(args.dir) / "jobs").is_dir():
        raise ValueError(f"{args.dir}: no jobs/ folder here")
    try:
        gone = prune_superseded(args.dir)
    except FolderBusy as e:
        raise ValueError(str(e)) from None
    print(f"removed {len(gone)} superseded job file{'' if len(gone) == 1 else 's'} (with their arrays) from "
          f"{args.dir}" + (f"; `bench report {args.dir}` rebuilds its outputs without them" if gone else ""),
          file=sys.stderr)
    return 0


class OneLineParser(argparse.ArgumentParser):
    """argparse that refuses bad arguments with one line (``bench: error: ...``) and exit 2, without the usage."""

    def error(self, message):
        self.exit(2, f"bench: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="bench", description="TabSCM Bench: causal discovery benchmark harness")
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="registered methods, suites and datasets; `bench list METHOD`: its parameters")
    ls.add_argument("method", nargs="?", help="a method's name: its parameters, defaults and allowed values")
    ls.set_defaults(fn=cmd_list)
    r = sub.add_parser("run", help="run methods x datasets x seeds; resumes where a run stopped")
    r.add_argument("--config", help="YAML run file with the same fields (flags override it)")
    r.add_argument("--suite", help="suite name(s), comma-separated (see `bench list`)")
    r.add_argument("--data", help="your own CSV (header = variable names)")
    r.add_argument("--truth", help="ground-truth edge list CSV for --data (header cause,effect)")
    r.add_argument("--methods", help="comma-separated: names, name(k=v,...), or pkg.module:Class; default all")
    r.add_argument("--seeds", type=int, help="run each method with seeds 0..N-1 (default 1)")
    r.add_argument("--out", help="output folder")
    r.add_argument("--n-jobs", type=int, help="parallel workers (default 1)")
    r.add_argument("--timeout", type=float, help="per-job budget in seconds (default: each method's own)")
    r.add_argument("--backend", choices=["loky", "dask", "ray"], help="joblib backend (default loky)")
    r.add_argument("--scheduler", help="dask scheduler address (tcp://...) or ray address")
    r.add_argument("--scheduler-timeout", type=float,
                   help="seconds to wait for --scheduler to answer before refusing (default 5)")
    r.add_argument("--memory-gb", type=float, help="kill a job above this memory (default 8)")
    r.add_argument("--force", action="store_true", help="rerun finished jobs")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(fn=cmd_run)
    rep = sub.add_parser("report", help="rebuild tables, plots and report.md from DIR/jobs")
    rep.add_argument("dir", help="a results folder of `bench run` (the --out given there)")
    rep.set_defaults(fn=cmd_report)
    cmp = sub.add_parser("compare", help="paired differences on the jobs two result folders share; writes "
                                         "compare.md and compare.csv")
    cmp.add_argument("a", help="results folder A (the reference)")
    cmp.add_argument("b", help="results folder B (compared against A: differences are B minus A)")
    cmp.add_argument("--out", default=".", help="folder for compare.md and compare.csv (default: the current one)")
    cmp.add_argument("--by-name", action="store_true",
                     help="pair methods by name, not setting: tabscm(checkpoint=new.pt) in B with tabscm in A")
    cmp.add_argument("--per-suite", action="store_true", help="a row per suite as well as over all shared datasets")
    cmp.set_defaults(fn=cmd_compare)
    pr = sub.add_parser("prune", help="delete the job files of DIR that a rerun by the current code superseded "
                                      "(the report counts them at its top)")
    pr.add_argument("dir", help="a results folder of `bench run`")
    pr.set_defaults(fn=cmd_prune)
    return p


def main(argv=None) -> int:
    """Run a command; exit codes as in the module docstring."""
    import signal
    import threading
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # a refused argument (one line printed, exit 2) or --help (exit 0)
        return e.code if isinstance(e.code, int) else 2
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        return args.fn(args)
    except (KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"bench: error: {msg}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted) as e:
        print(f"\nbench: interrupted{f'; {e.args[0]}' if e.args else ''}", file=sys.stderr)
        return 130 if isinstance(e, KeyboardInterrupt) else 143
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
