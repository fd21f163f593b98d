"""Jobs: method (with parameters) x dataset x seed, each with a stable key.

A job's key hashes what its result depends on: method name, parameters and code (its module and the project
modules it imports), the files it names (``Method.fingerprint()``), the scoring code, the dataset's content and
the seed; so editing one method reruns no other's jobs. A newer record supersedes one of the same *identity*."""

import ast
import hashlib
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from datasets.base import Dataset

ROOT = Path(__file__).resolve().parent.parent
SCORING_MODULES = ("bench.scoring", "bench.metrics", "bench.diagnostics", "bench.probe", "bench.predict",
                   "datasets.properties", "methods.base", "methods.convert")  # what turns predictions into numbers


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
            names |= {base, *(f"{base}.{a.name}" for a in node.names)}
    return names


@lru_cache(maxsize=None)
def code_digest(*modules: str, roots: tuple[Path, ...] = (ROOT,)) -> str:
    """sha256 (16 hex) of ``modules``' sources and of every module under ``roots`` they import, directly or not."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen or not name:
            continue
        rel = Path(*name.split("."))  # found without importing: a third-party library is not hashed
        candidates = (p for root in roots for p in (root / rel.with_suffix(".py"), root / rel / "__init__.py"))
        if (path := next((p for p in candidates if p.is_file()), None)) is None:
            continue
        seen[name] = path
        todo += sorted(_imports(path, name if path.name == "__init__.py" else name.rpartition(".")[0]))
    return hashlib.sha256(b"".join(n.encode() + b"\0" + seen[n].read_bytes() for n in sorted(seen))).hexdigest()[:16]


def method_code(cls) -> str:
    """The digest of a method class's own code and what it imports from this project."""
    main = sys.modules.get("__main__")
    if cls.__module__ in ("__main__", "__mp_main__") and getattr(main, "__file__", None):  # a user's script
        return hashlib.sha256(Path(main.__file__).read_bytes()).hexdigest()[:16]
    path = Path(getattr(sys.modules.get(cls.__module__), "__file__", "") or "")
    if not path.is_file():
        return "unknown"
    depth = len(cls.__module__.split(".")) - (path.name != "__init__.py")
    own_root = path.parents[depth] if depth < len(path.parents) else path.parent
    return code_digest(cls.__module__, roots=tuple(dict.fromkeys((ROOT, own_root))))


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """HEAD's commit, with ``-dirty`` when tracked or untracked (not ignored) files outside results/ differ."""
    import subprocess
    try:
        head, status = (subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=5)
                        for args in (["rev-parse", "HEAD"], ["status", "--porcelain", "--", ".", ":!results"]))
        return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "") if head.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def label(name: str, params: dict, defaults: dict) -> str:
    """``name``, or ``name(k=v,...)`` with the parameters that differ from their defaults."""
    changed = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in sorted(params.items())
               if k != "seed" and defaults.get(k, object()) != v]
    return name + (f"({','.join(changed)})" if changed else "")


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


def identity(record: dict) -> str:
    """What a job is, whatever code or data version ran it: a newer record of it supersedes an older one."""
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
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            out, cur = out + [cur], ""
        else:
            cur += ch
    return [s.strip() for s in out + [cur] if s.strip()]


def build_jobs(method_specs: list[str], data: list[tuple[Dataset, str, dict]], seeds: int,
               timeout: float | None = None) -> list[Job]:
    """Every method x (dataset, suite, tags) x seed: a stochastic method with seeds 0..max(seeds, its min_seeds)-1, a
    deterministic one once (seed 0: more seeds would repeat its output and pose as replicates); a method for
    ``n_variables`` variables only on datasets of that size; all methods checked first (ValueError, one line)."""
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
        full = {k: v for k, v in method.get_params().items() if k != "seed"}
        code = {"method": method_code(cls), "files": method.fingerprint(), "scoring": scoring}
        try:
            defaults = cls().get_params()
        except Exception:  # noqa: BLE001 - a class whose parameters have no defaults: label them all
            defaults = {}
        prepared.append((cls, name, full, label(name, full, defaults), code))
    digests = [ds.digest() for ds, _, _ in data]  # once per dataset, not once per job
    return [Job(name, full, ds, suite, seed, float(timeout or cls.time_budget_s), dict(tags), label=lab,
                learned=bool(cls.learned), code=code, dataset_digest=digest)
            for cls, name, full, lab, code in prepared
            for (ds, suite, tags), digest in zip(data, digests) if cls.n_variables in (None, ds.d)
            for seed in range(1 if cls.deterministic else max(seeds, cls.min_seeds))]
