"""The Tübingen cause-effect pairs (Mooij et al., JMLR 2016) as the suite ``tuebingen``.

``Tuebingen_pairs.csv.gz`` (next to this file) is cdt 0.6.0's ``Tuebingen_pairs.csv``, gzipped
and otherwise unchanged: 99 bivariate pairs, one per row, each variable a space-separated
string of numbers; ``Tuebingen_targets.csv`` says 1 (A causes B) for every pair. See
``PROVENANCE.md``. Each pair is a Dataset with d = 2 and variables ("x", "y").

The file always puts the cause first, so a method that favours column 0 would score 100%:
each pair's columns are swapped or not by a coin drawn from ``SeedSequence(SWAP_SEED,
spawn_key=(index,))`` (fixed forever), and the truth follows the swap. Accuracy on this
suite is unweighted (Mooij et al.'s per-pair weights are not in the wheel).
"""
from __future__ import annotations

import gzip
import hashlib
import io
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..base import DataError, Dataset
from ..registry import DatasetRef, register_suite

DIR = Path(__file__).parent
PAIRS_PATH = DIR / "Tuebingen_pairs.csv.gz"
TARGETS_PATH = DIR / "Tuebingen_targets.csv"
SWAP_SEED = 40_000  # entropy of the per-pair column-order coins; changing it changes every dataset
VARIABLES = ("x", "y")
N_PAIRS = 99
TAGS = {"suite": "tuebingen", "d": 2, "mechanism": "real (Tübingen)", "scaling": "none",
        "interventional": False, "ood": True, "shift": "real data"}

def swapped(index: int) -> bool:
    """Whether pair ``index`` (0-based file row) is shipped as (effect, cause)."""
    return bool(np.random.default_rng(np.random.SeedSequence(SWAP_SEED, spawn_key=(index,))).random() < 0.5)


def _numbers(text: str, where: str) -> np.ndarray:
    try:
        v = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise DataError(f"{where}: not a list of numbers") from None
    if not np.isfinite(v).all():
        raise DataError(f"{where}: non-finite value")
    return v


@lru_cache(maxsize=1)
def read_pairs() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """[(pair id, cause [n], effect [n])] in file order (cdt's SampleID, e.g. ``pair1``); parsed once."""
    import pandas as pd

    try:
        text = gzip.decompress(PAIRS_PATH.read_bytes()).decode()
        targets = pd.read_csv(TARGETS_PATH)
    except OSError as e:
        raise DataError(f"{PAIRS_PATH.parent}: cannot read the shipped Tübingen pairs ({e})") from None
    df = pd.read_csv(io.StringIO(text), dtype=str)
    if list(df.columns) != ["SampleID", "A", "B"] or list(targets.columns) != ["SampleID", "Target"]:
        raise DataError(f"{PAIRS_PATH.name}: expected columns SampleID,A,B and SampleID,Target")
    if list(df["SampleID"]) != list(targets["SampleID"]) or not (targets["Target"] == 1).all():
        raise DataError(f"{TARGETS_PATH.name}: targets must list the same pairs, each 1 (A causes B)")
    out = []
    for sid, a, b in zip(df["SampleID"], df["A"], df["B"]):
        x, y = _numbers(a, f"{PAIRS_PATH.name} {sid} A"), _numbers(b, f"{PAIRS_PATH.name} {sid} B")
        if len(x) != len(y) or len(x) < 3:
            raise DataError(f"{PAIRS_PATH.name} {sid}: A has {len(x)} values, B {len(y)}")
        out.append((str(sid), x, y))
    return out


@lru_cache(maxsize=1)
def file_sha256() -> str:
    """sha256 of the shipped (gzipped) pairs file, as listed in PROVENANCE.md."""
    return hashlib.sha256(PAIRS_PATH.read_bytes()).hexdigest()


def dataset_name(sid: str) -> str:
    return f"tuebingen-pair{int(sid.removeprefix('pair')):03d}"


def load_pair(index: int) -> Dataset:
    """Pair ``index`` (0-based file row) with its columns in the suite's seeded order."""
    sid, cause, effect = read_pairs()[index]
    swap = swapped(index)
    X = np.column_stack((effect, cause) if swap else (cause, effect))
    A = np.zeros((2, 2), dtype=np.int8)
    A[(1, 0) if swap else (0, 1)] = 1
    meta = {**TAGS, "n": len(cause), "pair": sid, "swapped": swap, "cause_column": int(swap),
            "source": "Mooij et al. 2016, JMLR 17(32); pairs file from cdt 0.6.0",
            "file": PAIRS_PATH.name, "file_sha256": file_sha256(), "has_truth": True,
            "truth_is_dag": True, "real": True, "noise": "unknown"}
    return Dataset(dataset_name(sid), X, A, None, VARIABLES, meta)


@register_suite("tuebingen", "Tübingen cause-effect pairs: 99 real bivariate pairs (cdt 0.6.0), d 2, "
                             "columns in a seeded random order, unweighted")
def tuebingen() -> list[DatasetRef]:
    refs = []
    for i, (sid, cause, _) in enumerate(read_pairs()):
        tags = {**TAGS, "n": len(cause), "pair": sid}
        refs.append(DatasetRef(dataset_name(sid), lambda i=i: load_pair(i), tags))
    return refs
