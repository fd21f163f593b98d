"""Jobs: method (with parameters) x dataset x seed, each with a stable key.

A job's key hashes what its result depends on: the method's name and parameters, the digest of
the method's own code (its module and the project modules it imports, found by reading their
imports), the files it names beyond code (``Method.fingerprint()``, e.g. a checkpoint), the
code that scores it, the dataset's content and the seed. Adding or editing an unrelated method
changes no other job's key, so a repeated command reruns nothing it need not.
A job's *identity* (method, parameters, dataset, seed) is what a newer record supersedes.
"""
from __future__ import annotations

import ast
import hashlib
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from datasets.base import Dataset

ROOT = Path(__file__).resolve().parent.parent
# the harness's code that turns a prediction into a record's numbers
SCORING_MODULES = ("bench.scoring", "bench.metrics", "bench.diagnostics", "bench.probe", "bench.predict",
                   "datasets.properties", "methods.base", "methods.convert")


def _module_file(name: str, roots: tuple[Path, ...]) -> Path | None:
    """The source file of module ``name`` if it lies under one of ``roots`` (found without
    importing anything: a third-party library is recorded by its version, not hashed)."""
    rel = Path(*name.split("."))
    for root in roots:
        for path in (root / rel.with_suffix(".py"), root / rel / "__init__.py"):
            if path.is_file():
                return path
    return None


def _imports(path: Path, package: str) -> set[str]:
    """Absolute names of the modules a source file imports (relative imports resolved)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            names.add(base)
            names |= {f"{base}.{a.name}" for a in node.names}
    return names


@lru_cache(maxsize=None)
def code_digest(*modules: str, roots: tuple[Path, ...] = (ROOT,)) -> str:
    """sha256 (16 hex) of the sources of ``modules`` and of every module under ``roots`` (this
    project) that they import, directly or not."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen or not name:
            continue
        path = _module_file(name, roots)
        if path is None:
            continue
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += sorted(_imports(path, package))
    h = hashlib.sha256()
    for name in sorted(seen):
        h.update(name.encode() + b"\0" + seen[name].read_bytes())
    return h.hexdigest()[:16]


def method_code(cls) -> str:
    """The digest of a method class's own code and what it imports from this project."""
    main = sys.modules.get("__main__")
    if cls.__module__ in ("__main__", "__mp_main__") and getattr(main, "__file__", None):  # a user's script
        return hashlib.sha256(Path(main.__file__).read_bytes()).hexdigest()[:16]
    module = sys.modules.get(cls.__module__)
    path = Path(getattr(module, "__file__", "") or "")
    if not path.is_file():
        return "unknown"
    depth = len(cls.__module__.split(".")) - (path.name != "__init__.py")
    own_root = path.parents[depth] if depth < len(path.parents) else path.parent
    return code_digest(cls.__module__, roots=tuple(dict.fromkeys((ROOT, own_root))))


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """HEAD's commit, with ``-dirty`` when tracked or untracked (not ignored) files differ."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def label(name: str, params: dict, defaults: dict) -> str:
    """``name``, or ``name(k=v,...)`` with the parameters that differ from their defaults."""
    changed = {k: v for k, v in sorted(params.items()) if k != "seed" and defaults.get(k, object()) != v}
    return name + (f"({','.join(f'{k}={v!r}' if isinstance(v, str) else f'{k}={v}' for k, v in changed.items())})"
                   if changed else "")


@dataclass
class Job:
    """One unit of work. ``dataset`` travels with the job (workers never regenerate it)."""

    method: str
    params: dict
    dataset: Dataset = field(repr=False)
    suite: str
    seed: int
    budget_s: float
    tags: dict = field(default_factory=dict)
    label: str = ""        # the method and its non-default parameters: a row of its own everywhere
    learned: bool = False  # a learned, amortized model (probed for dependence-blindness)
    code: dict = field(default_factory=dict)  # digests: method code, its files, scoring code
    key: str = ""
    dataset_digest: str = field(default="", repr=False)  # hashed once, reused by workers and store

    def __post_init__(self):
        self.dataset_digest = self.dataset_digest or self.dataset.digest()
        self.label = self.label or self.method
        if not self.key:
            payload = {"method": self.method, "params": self.params, "dataset": self.dataset_digest,
                       "seed": self.seed, "code": self.code}
            self.key = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]

    @property
    def identity(self) -> str:
        return identity({"method": self.method, "params": self.params, "dataset": self.dataset.name,
                         "seed": self.seed})


def identity(record: dict) -> str:
    """What a job is, whatever version of the code or data ran it: a newer record of the same
    identity supersedes an older one."""
    return json.dumps([record.get("method"), record.get("params"), record.get("dataset"), record.get("seed")],
                      sort_keys=True, default=str)


def parse_method_spec(spec: str) -> tuple[str, dict]:
    """``name`` or ``name(alpha=0.01,depth=2)`` -> (name, params). Values parsed as YAML scalars."""
    import yaml

    spec = spec.strip()
    if "(" not in spec:
        return spec, {}
    name, _, rest = spec.partition("(")
    if not rest.endswith(")"):
        raise ValueError(f"bad method spec {spec!r}: expected name(key=value,...)")
    params = {}
    for item in filter(None, (p.strip() for p in rest[:-1].split(","))):
        k, eq, v = item.partition("=")
        if not eq:
            raise ValueError(f"bad parameter {item!r} in {spec!r}: expected key=value")
        params[k.strip()] = yaml.safe_load(v)
    return name.strip(), params


def split_methods(text: str) -> list[str]:
    """Split ``a,b(x=1,y=2),pkg.mod:C`` on commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [s.strip() for s in out if s.strip()]


def build_jobs(method_specs: list[str], data: list[tuple[Dataset, str, dict]], seeds: int,
               timeout: float | None = None) -> list[Job]:
    """Every method x dataset x seed 0..N-1, N = ``seeds`` or, for a stochastic method, its
    ``min_seeds`` if larger; a method that accepts only ``n_variables`` variables (a bivariate
    orienter) gets only the datasets of that size. ``data``: (dataset, suite, tags) triples.
    Every method and its parameters are checked before any job is made (ValueError, one line)."""
    from methods import get_method, method_class

    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    scoring = code_digest(*SCORING_MODULES)
    prepared = []
    for spec in method_specs:
        name, params = parse_method_spec(spec)
        cls = method_class(name)
        method = get_method(name, **params)  # refuses unknown names and values out of range
        full = method.get_params()
        full.pop("seed", None)
        code = {"method": method_code(cls), "files": method.fingerprint(), "scoring": scoring}
        try:
            defaults = cls().get_params()
        except Exception:  # noqa: BLE001 - a class whose parameters have no defaults: label them all
            defaults = {}
        prepared.append((cls, name, full, label(name, full, defaults), code))
    digests = [ds.digest() for ds, _, _ in data]  # once per dataset, not once per job
    jobs = []
    for cls, name, full, lab, code in prepared:
        n_seeds = seeds if cls.deterministic else max(seeds, cls.min_seeds)
        for (ds, suite, tags), digest in zip(data, digests):
            if cls.n_variables not in (None, ds.d):
                continue
            for seed in range(n_seeds):
                jobs.append(Job(name, full, ds, suite, seed, float(timeout or cls.time_budget_s), dict(tags),
                                label=lab, learned=bool(cls.learned), code=code, dataset_digest=digest))
    return jobs
