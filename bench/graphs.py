"""Each job's predicted graph as an edge list with the dataset's variable names (DIR/graphs/*.csv), and, for data
without a truth, the report's lists of each method's edges and of the edges methods agree on: on a user's own data
these are the result, since there is nothing to score."""
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_atomic
from .markdown import md_table
from .store import load_arrays

EDGE_COLUMNS = ["source", "target", "score", "directed"]
TOP_EDGES = 15  # edges listed per method in the report; the CSV holds them all


def edge_list(scores: np.ndarray, graph: np.ndarray, names) -> pd.DataFrame:
    """The edges of ``graph`` [d, d] (row = cause) as rows source,target,score,directed, strongest first. An
    undirected (CPDAG) edge is one row, directed False, its score the larger of its two."""
    G, S = np.asarray(graph) != 0, np.asarray(scores, dtype=float)
    rows = []
    for i, j in np.argwhere(G):
        if G[j, i] and j < i:
            continue  # the undirected edge's other half
        both = bool(G[j, i])
        rows.append((names[i], names[j], float(max(S[i, j], S[j, i]) if both else S[i, j]), not both))
    df = pd.DataFrame(rows, columns=EDGE_COLUMNS)
    return df.sort_values(["score", "source", "target"], ascending=[False, True, True], kind="stable") \
        .reset_index(drop=True)


def file_name(row) -> str:
    """graphs/<dataset>__<method label>__seed<k>.csv, with characters a file name should not hold replaced."""
    safe = lambda v: re.sub(r"[^A-Za-z0-9._=+-]+", "_", str(v)).strip("_")  # noqa: E731
    return f"{safe(row['dataset'])}__{safe(row['method'])}__seed{int(row['seed'])}.csv"


def write_edge_lists(jobs: pd.DataFrame, run_dir: Path) -> list[Path]:
    """One edge-list CSV per successful job whose arrays are on disk, each renamed into place when complete."""
    from .plots import variable_names
    run_dir, paths = Path(run_dir), []
    for _, row in jobs[jobs["status"] == "ok"].iterrows():
        if (arr := load_arrays(run_dir, row["key"])) is None:
            continue
        d = len(arr["graph"])
        names = variable_names(run_dir, row)
        names = names if names and len(names) == d else [f"X{i}" for i in range(d)]
        body = edge_list(arr["scores"], arr["graph"], names).to_csv(index=False).encode()
        (out := run_dir / "graphs").mkdir(exist_ok=True)
        write_atomic(path := out / file_name(row), lambda f, body=body: f.write(body))
        paths.append(path)
    return paths


def _edge_text(r) -> str:
    return f"{r.source} → {r.target}" if r.directed else f"{r.source} — {r.target}"


def untruthed_lines(jobs: pd.DataFrame, run_dir: Path) -> list[str]:
    """For each dataset without a truth: every method's edges (the strongest ``TOP_EDGES``) and the edges that more
    than one method predicts (by skeleton, with how many orient them each way). Empty when every dataset has one."""
    if "ds_has_truth" not in jobs:
        return []
    lines = []
    none = jobs[~jobs["ds_has_truth"].fillna(True).astype(bool) & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
    for ds, g in none.groupby("dataset"):
        per_method = {}
        for _, row in g.iterrows():
            path = Path(run_dir) / "graphs" / file_name(row)
            if path.exists():
                per_method[row["method"]] = pd.read_csv(path)
        if not per_method:
            continue
        lines += [f"### `{ds}` (no truth given: predicted edges)", "",
                  f"Each method's edges, strongest first (at most {TOP_EDGES} a method; all of them in "
                  f"`graphs/{file_name(g.iloc[0]).split('__')[0]}__*.csv`). → directed, — undirected (CPDAG).", ""]
        lines += ["| method | edges | strongest edges (score) |", "|---|---|---|"]
        for method, e in sorted(per_method.items()):
            shown = ", ".join(f"{_edge_text(r)} ({r.score:.3g})" for r in e.head(TOP_EDGES).itertuples())
            lines.append(f"| {method} | {len(e)} | {shown or '(none)'}{' …' if len(e) > TOP_EDGES else ''} |")
        votes = {}
        for method, e in per_method.items():
            for r in e.itertuples():
                pair = tuple(sorted((r.source, r.target)))
                way = "undirected" if not r.directed else f"{r.source} → {r.target}"
                votes.setdefault(pair, []).append((method, way))
        shared = sorted(((p, v) for p, v in votes.items() if len(v) > 1), key=lambda kv: (-len(kv[1]), kv[0]))
        lines += ["", f"Edges that more than one of the {len(per_method)} methods predict ({len(shared)}; by "
                      "adjacency, with the orientations given):", ""]
        if shared:
            table = pd.DataFrame([{"edge": f"{a} – {b}", "methods": len(v),
                                   "orientations": "; ".join(f"{w}: {n}" for w, n in
                                                             pd.Series([w for _, w in v]).value_counts().items()),
                                   "by": ", ".join(sorted(m for m, _ in v))} for (a, b), v in shared[:30]])
            lines += [md_table(table), ""]
            if len(shared) > 30:
                lines += [f"({len(shared) - 30} more with fewer methods; see the CSVs.)", ""]
        else:
            lines += ["No edge is predicted by more than one method.", ""]
    return ["## Predicted edges on data without a truth", "", *lines] if lines else []
