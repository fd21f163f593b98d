"""Sachs et al. (2005) flow cytometry: 11 phospho-proteins, nine conditions, shipped in the repo.

``sachs.csv`` (next to this file) is cdt 0.6.0's ``cyto_full_data.csv`` (7,466 rows) with a
``condition`` column added; see ``PROVENANCE.md``. Registered variants, never a bare "sachs":

    sachs-obs853[-log][-sachs20|-cdt18]   condition 1 (CD3/CD28) only, no mask
    sachs-int7466[-log][-sachs20|-cdt18]  all nine conditions, mask from ``TARGETS``

Default truth: ``sachs17`` (the network Sachs et al. inferred). ``-log``: natural log of the
values (all are > 0). ``cdt18`` has a directed cycle: ``meta["truth_is_dag"] = False``.
The dataset carries ``.condition`` [n] (index into ``meta["conditions"]``).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..base import DataError, Dataset
from ..registry import register_dataset

CSV_PATH = Path(__file__).with_name("sachs.csv")

#: Canonical variable names, in column order (the names cdt's file uses).
VARIABLES = ("praf", "pmek", "plcg", "PIP2", "PIP3", "p44/42", "pakts473", "PKA", "PKC", "P38", "pjnk")

#: Other spellings of the same proteins found in copies of this table -> canonical name.
ALIASES = {
    "raf": "praf", "praf": "praf", "mek": "pmek", "mek1/2": "pmek", "pmek": "pmek",
    "plc": "plcg", "plcg": "plcg", "plcgamma": "plcg", "pip2": "PIP2", "pip3": "PIP3",
    "erk": "p44/42", "erk1/2": "p44/42", "p44/42": "p44/42", "akt": "pakts473", "pakts473": "pakts473",
    "pka": "PKA", "pkc": "PKC", "p38": "P38", "jnk": "pjnk", "pjnk": "pjnk",
}

#: The nine conditions in file order: (label, rows, intervened variable or None).
#: Target map as commonly used (e.g. Mooij et al. 2020): LY294002 inhibits PI3K, which is not measured.
CONDITIONS = (
    ("CD3/CD28", 853, None),
    ("CD3/CD28+ICAM-2", 902, None),
    ("CD3/CD28+AKT-inhibitor", 911, "pakts473"),
    ("CD3/CD28+G06976", 723, "PKC"),
    ("CD3/CD28+psitectorigenin", 810, "PIP2"),
    ("CD3/CD28+U0126", 799, "pmek"),
    ("CD3/CD28+LY294002", 848, None),
    ("PMA", 913, "PKC"),
    ("b2cAMP", 707, "PKA"),
)
TARGETS = {label: target for label, _, target in CONDITIONS}

_SACHS17 = (
    [("PKC", t) for t in ("praf", "pmek", "pjnk", "P38", "PKA")]
    + [("PKA", t) for t in ("praf", "pmek", "p44/42", "pjnk", "P38", "pakts473")]
    + [("praf", "pmek"), ("pmek", "p44/42"), ("p44/42", "pakts473"),
       ("plcg", "PIP2"), ("plcg", "PIP3"), ("PIP3", "PIP2")]
)
_SACHS20 = ([e for e in _SACHS17 if e != ("plcg", "PIP3")]
            + [("PIP3", "plcg"), ("plcg", "PKC"), ("PIP2", "PKC"), ("PIP3", "pakts473")])
#: cdt 0.6.0 cdt/data/resources/cyto_full_target.csv, in its order (has PIP2 -> PIP3 -> plcg -> PIP2).
_CDT18 = [("PIP2", "PKC"), ("plcg", "PIP2"), ("PIP3", "plcg"), ("PIP2", "PIP3"), ("plcg", "PKC"),
          ("PKC", "pjnk"), ("PKC", "P38"), ("PKA", "P38"), ("PKC", "praf"), ("PKA", "praf"),
          ("praf", "pmek"), ("pmek", "p44/42"), ("PKC", "pmek"), ("PKA", "pakts473"),
          ("PIP3", "pakts473"), ("PKA", "pmek"), ("PKA", "p44/42"), ("PKA", "pjnk")]
TRUTHS = {"sachs17": tuple(_SACHS17), "sachs20": tuple(_SACHS20), "cdt18": tuple(_CDT18)}
DATA = {"obs853": 1, "int7466": len(CONDITIONS)}  # variant -> number of leading conditions
PREPROCESSING = ("raw", "log")


def canonical(name: str) -> str:
    """Canonical protein name for a header spelling (``raf`` -> ``praf``); KeyError if unknown."""
    key = name.strip()
    if key in VARIABLES:
        return key
    return ALIASES[key.lower()]


def truth_matrix(truth: str = "sachs17") -> np.ndarray:
    """[11, 11] int8 adjacency over ``VARIABLES`` (A[i, j] = 1: i -> j)."""
    A = np.zeros((len(VARIABLES), len(VARIABLES)), dtype=np.int8)
    for cause, effect in TRUTHS[truth]:
        A[VARIABLES.index(cause), VARIABLES.index(effect)] = 1
    return A


def _is_dag(A: np.ndarray) -> bool:
    import networkx as nx
    return nx.is_directed_acyclic_graph(nx.from_numpy_array(A, create_using=nx.DiGraph))


_TABLE: tuple[np.ndarray, np.ndarray, str] | None = None


def read_table(path: Path = CSV_PATH) -> tuple[np.ndarray, np.ndarray, str]:
    """(X [7466, 11] float in ``VARIABLES`` order, condition index [7466], sha256 of the file)."""
    global _TABLE
    if _TABLE is not None and path == CSV_PATH:
        return _TABLE
    import pandas as pd
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read the shipped Sachs table ({e.strerror or e})") from None
    df = pd.read_csv(path)
    if "condition" not in df.columns:
        raise DataError(f"{path}: no 'condition' column")
    try:
        cols = {canonical(c): c for c in df.columns if c != "condition"}
    except KeyError as e:
        raise DataError(f"{path}: unknown protein column {e.args[0]!r}") from None
    if set(cols) != set(VARIABLES):
        raise DataError(f"{path}: columns {sorted(cols)} are not the 11 Sachs proteins")
    labels = [label for label, _, _ in CONDITIONS]
    cond = df["condition"].map({label: i for i, label in enumerate(labels)})
    if cond.isna().any():
        raise DataError(f"{path}: unknown condition {df['condition'][cond.isna()].iloc[0]!r}")
    cond = cond.to_numpy(np.int8)
    expected = np.repeat(np.arange(len(CONDITIONS), dtype=np.int8), [c for _, c, _ in CONDITIONS])
    if not np.array_equal(cond, expected):
        raise DataError(f"{path}: conditions are not the nine blocks of {[c for _, c, _ in CONDITIONS]} rows")
    X = df[[cols[v] for v in VARIABLES]].to_numpy(np.float64)
    if not np.isfinite(X).all() or (X <= 0).any():
        raise DataError(f"{path}: values must be finite and positive")
    out = (X, cond, hashlib.sha256(raw).hexdigest())
    if path == CSV_PATH:
        _TABLE = out
    return out


def load(data: str = "int7466", preprocessing: str = "raw", truth: str = "sachs17") -> Dataset:
    """One Sachs variant. data: obs853 | int7466; preprocessing: raw | log; truth: sachs17 | sachs20 | cdt18."""
    if data not in DATA or preprocessing not in PREPROCESSING or truth not in TRUTHS:
        raise ValueError(f"sachs: data in {list(DATA)}, preprocessing in {PREPROCESSING}, truth in {list(TRUTHS)}")
    X, cond, sha = read_table()
    keep = cond < DATA[data]
    X, cond = X[keep], cond[keep]
    if preprocessing == "log":
        X = np.log(X)
    mask = None
    if data == "int7466":
        mask = np.zeros(X.shape, dtype=bool)
        for k, (_, _, target) in enumerate(CONDITIONS):
            if target is not None:
                mask[cond == k, VARIABLES.index(target)] = True
    A = truth_matrix(truth)
    used = CONDITIONS[:DATA[data]]
    name = "sachs-" + data + ("-log" if preprocessing == "log" else "") + ("" if truth == "sachs17" else f"-{truth}")
    meta = {
        "suite": "sachs", "source": "Sachs et al. 2005, Science 308:523; table from cdt 0.6.0",
        "file": CSV_PATH.name, "file_sha256": sha, "data": data, "truth": truth,
        "preprocessing": preprocessing, "truth_is_dag": _is_dag(A), "has_truth": True,
        "n_true_edges": int(A.sum()), "noise": "unknown", "real": True,
        "conditions": [label for label, _, _ in used],
        "condition_counts": {label: count for label, count, _ in used},
        "intervention_targets": {label: target for label, _, target in used if target},
    }
    ds = Dataset(name, X, A, mask, VARIABLES, meta)
    ds.condition = cond  # [n] index into meta["conditions"]
    return ds


def _register() -> None:
    for data in DATA:
        for prep in PREPROCESSING:
            for truth in TRUTHS:
                name = "sachs-" + data + ("-log" if prep == "log" else "") + ("" if truth == "sachs17" else f"-{truth}")
                rows = sum(c for _, c, _ in CONDITIONS[:DATA[data]])
                desc = (f"Sachs flow cytometry, {rows} rows ({'condition 1 only' if data == 'obs853' else 'nine conditions, intervention mask'})"
                        f", {prep} values, truth {truth}")
                register_dataset(name, desc)(lambda data=data, prep=prep, truth=truth: load(data, prep, truth))


_register()
