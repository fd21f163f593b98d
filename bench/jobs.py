"""Jobs: method (with parameters) x dataset x seed, each with a stable key.

The key hashes the method name and parameters, the dataset's content digest, the seed and
the code version (a digest of the sources and checkpoints under methods/ and datasets/, the
code that produces a prediction). A finished job is never run again unless asked.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from datasets.base import Dataset

ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 (16 hex) of every .py, .yaml and .csv under methods/ and datasets/.

    Model checkpoints are not in it: a method names the files it depends on through
    ``Method.fingerprint()``, which goes into its own jobs' keys only."""
    h = hashlib.sha256()
    for pkg in ("methods", "datasets"):
        for path in sorted((ROOT / pkg).rglob("*")):
            if path.suffix in {".py", ".yaml", ".csv"} and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


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
    key: str = ""
    fingerprint: str = ""  # Method.fingerprint(): e.g. the sha256 of a learned model's checkpoint
    truth_cpdag: np.ndarray | None = field(default=None, repr=False)  # set once per dataset
    dataset_digest: str = field(default="", repr=False)  # hashed once here, reused by runner and store

    def __post_init__(self):
        self.dataset_digest = self.dataset_digest or self.dataset.digest()
        if not self.key:
            payload = {"method": self.method, "params": self.params, "dataset": self.dataset_digest,
                       "seed": self.seed, "code": code_version(), "method_files": self.fingerprint}
            self.key = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:20]

    @property
    def label(self) -> str:
        return f"{self.method} on {self.dataset.name} (seed {self.seed})"


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
    """Every method x dataset x seed 0..seeds-1. ``data``: (dataset, suite, tags) triples."""
    from methods import method_class

    if seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {seeds}")
    jobs = []
    digests = [ds.digest() for ds, _, _ in data]  # once per dataset, not once per job
    for spec in method_specs:
        name, params = parse_method_spec(spec)
        cls = method_class(name)
        method = cls(**params)  # fail early on bad parameters
        full = method.get_params()
        full.pop("seed", None)
        fingerprint = method.fingerprint()
        for (ds, suite, tags), digest in zip(data, digests):
            for seed in range(seeds):
                jobs.append(Job(name, full, ds, suite, seed, float(timeout or cls.time_budget_s), dict(tags),
                                fingerprint=fingerprint, dataset_digest=digest))
    return jobs
