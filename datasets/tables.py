"""Your own data: a CSV table (and optionally a ground-truth edge list) as a Dataset.

    datasets.from_csv("data.csv", truth="edges.csv")

``data.csv``: a header of variable names, then one row per sample, numbers only.
``edges.csv``: header ``cause,effect``, then one directed edge per line, by variable name.
Every problem raises ``DataError`` with one line naming the file and what is wrong with it.
"""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np

from .base import DataError, Dataset

MAX_SHOWN = 30  # characters of a bad cell or name quoted in a message


def _show(value) -> str:
    s = " ".join(str(value).split())  # one line, whatever the cell held
    return repr(s if len(s) <= MAX_SHOWN else s[:MAX_SHOWN] + "...")


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows of a CSV file, each with its line number."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            rows = [(reader.line_num, r) for r in reader]
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except (OSError, csv.Error) as e:
        raise DataError(f"{path}: cannot read ({' '.join(str(e).split())})") from None
    return [(k, r) for k, r in rows if any(c.strip() for c in r)]  # blank lines carry nothing


def _parse_table(path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    rows = _read_rows(path)
    if not rows:
        raise DataError(f"{path}: empty file (expected a header of variable names)")
    names = [c.strip() for c in rows[0][1]]
    for j, name in enumerate(names):
        if not name:
            raise DataError(f"{path}: empty variable name in the header (column {j + 1})")
    seen = set()
    for name in names:
        if name in seen:
            raise DataError(f"{path}: duplicate variable name {_show(name)} in the header")
        seen.add(name)
    if len(names) < 2:
        raise DataError(f"{path}: needs at least 2 columns (variables), found {len(names)}")
    lines = [k for k, _ in rows[1:]]
    body = [r for _, r in rows[1:]]
    if len(body) < 3:
        raise DataError(f"{path}: needs at least 3 data rows, found {len(body)}")
    for i, row in enumerate(body):
        if len(row) != len(names):
            raise DataError(f"{path}: row {i + 1} (file line {lines[i]}) has {len(row)} fields, "
                            f"the header has {len(names)}")
    try:
        X = np.array(body, dtype=np.float64)  # fast path; the loop below finds the bad cell
    except ValueError:
        X = None
    if X is None:
        for i, row in enumerate(body):
            for j, cell in enumerate(row):
                text = cell.strip()
                try:
                    float(text)
                except ValueError:
                    what = "missing value" if not text else f"non-numeric value {_show(text)}"
                    raise DataError(f"{path}: {what} in column {_show(names[j])}, "
                                    f"row {i + 1} (file line {lines[i]})") from None
        X = np.array([[float(c) for c in row] for row in body])
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        i, j = bad[0]
        what = "NaN" if np.isnan(X[i, j]) else "infinite value"
        raise DataError(f"{path}: {what} in column {_show(names[j])}, row {i + 1} (file line {lines[i]})")
    for j, name in enumerate(names):
        if np.all(X[:, j] == X[0, j]):
            raise DataError(f"{path}: column {_show(name)} is constant ({X[0, j]:g} in every row)")
    return X, tuple(names)


def _find_cycle(A: np.ndarray, names) -> list[str] | None:
    import networkx as nx
    g = nx.from_numpy_array(A, create_using=nx.DiGraph)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return None
    return [names[u] for u, _ in cycle] + [names[cycle[0][0]]]


def read_truth(path, variables: tuple[str, ...]) -> np.ndarray:
    """[d, d] int8 adjacency from an edge-list CSV with header ``cause,effect``."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise DataError(f"{path}: empty file (expected a header 'cause,effect')")
    header = [c.strip().lower() for c in rows[0][1]]
    if header != ["cause", "effect"]:
        raise DataError(f"{path}: header must be 'cause,effect', found {_show(','.join(rows[0][1]))}")
    index = {v: j for j, v in enumerate(variables)}
    A = np.zeros((len(variables), len(variables)), dtype=np.int8)
    for line, row in rows[1:]:
        if len(row) != 2:
            raise DataError(f"{path}: line {line} has {len(row)} fields, expected 2 (cause,effect)")
        cause, effect = row[0].strip(), row[1].strip()
        for v in (cause, effect):
            if v not in index:
                raise DataError(f"{path}: edge {cause} -> {effect} (line {line}) names unknown variable "
                                f"{_show(v)}")
        if cause == effect:
            raise DataError(f"{path}: edge {cause} -> {effect} (line {line}) is a self-loop")
        A[index[cause], index[effect]] = 1
    cycle = _find_cycle(A, variables)
    if cycle:
        raise DataError(f"{path}: truth graph has a directed cycle {' -> '.join(cycle)}")
    return A


def from_csv(path, truth=None, name: str | None = None) -> Dataset:
    """A Dataset from a CSV table; ``truth``: optional edge-list CSV (header ``cause,effect``).

    Without a truth the graph is all zeros and ``meta["has_truth"]`` is False.
    """
    path = Path(path)
    X, variables = _parse_table(path)
    A = read_truth(truth, variables) if truth is not None else np.zeros((len(variables),) * 2, np.int8)
    meta = {"suite": "csv", "source": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "has_truth": truth is not None, "truth_is_dag": True, "truth_source": str(truth) if truth else None,
            "noise": "unknown", "real": True}
    return Dataset(name or path.stem, X, A, None, variables, meta)
