"""Figures for a run (seaborn/matplotlib, no screen needed). Each returns the path it wrote."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from .store import load_arrays  # noqa: E402


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def metric_boxes(jobs: pd.DataFrame, out: Path, metric: str = "auroc") -> list[Path]:
    """Box plots of a metric per method, split by mechanism and by size (d)."""
    paths = []
    order = sorted(jobs["method"].unique())
    for split in [c for c in ("mechanism", "d") if c in jobs and jobs[c].notna().any()]:
        data = jobs[jobs[split].notna()]
        fig, ax = plt.subplots(figsize=(max(8, 0.7 * len(order)), 4.5))
        sns.boxplot(data=data, x="method", y=metric, hue=split, order=order, ax=ax, fliersize=2)
        if metric in ("auroc", "skeleton_auroc", "orientation_accuracy"):
            ax.axhline(0.5, color="grey", ls="--", lw=1)
        ax.set_title(f"{metric} per method, by {split}")
        ax.tick_params(axis="x", rotation=45)
        paths.append(_save(fig, out / f"{metric}_by_{split}.png"))
    return paths


def runtime_vs_d(jobs: pd.DataFrame, out: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(data=jobs, x="d", y="runtime_s", hue="method", marker="o", errorbar=None, ax=ax)
    ax.set(xscale="log", yscale="log", title="runtime against number of variables", ylabel="runtime (s)")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out / "runtime_vs_d.png")


def pr_curves(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path:
    """Precision-recall curves pooled over each method's successful jobs."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for method, g in jobs[jobs["status"] == "ok"].groupby("method"):
        ys, ss = [], []
        for _, r in g.iterrows():
            arr = load_arrays(run_dir, r["key"])
            truth = _truth(run_dir, r)
            if arr is None or truth is None:
                continue
            off = ~np.eye(truth.shape[0], dtype=bool)
            ys.append(truth[off] != 0)
            ss.append(arr["scores"][off])
        if ys and np.concatenate(ys).any():
            p, rcl, _ = precision_recall_curve(np.concatenate(ys), np.concatenate(ss))
            ax.plot(rcl, p, label=method, lw=1.2)
    ax.set(xlabel="recall", ylabel="precision", title="precision-recall (pooled over jobs)")
    if ax.lines:
        ax.legend(fontsize=7)
    return _save(fig, out / "pr_curves.png")


_TRUTHS: dict[str, np.ndarray] = {}


def _truth(run_dir: Path, row) -> np.ndarray | None:
    """The truth graph of a job's dataset, kept beside the jobs as truths/<digest>.npy."""
    digest = row.get("dataset_digest") if hasattr(row, "get") else None
    if digest is None:
        return None
    if digest not in _TRUTHS:
        p = Path(run_dir) / "truths" / f"{digest}.npy"
        if not p.exists():
            return None
        _TRUTHS[digest] = np.load(p)
    return _TRUTHS[digest]


def adjacency_heatmaps(jobs: pd.DataFrame, run_dir: Path, out: Path, n_datasets: int = 3) -> list[Path]:
    """True vs predicted adjacency for a few datasets, one panel per method."""
    paths = []
    for ds in sorted(jobs["dataset"].unique())[:n_datasets]:
        g = jobs[(jobs["dataset"] == ds) & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
        if g.empty:
            continue
        truth = _truth(run_dir, g.iloc[0])
        panels = [("truth", truth)] + [(r["method"], load_arrays(run_dir, r["key"])["scores"])
                                       for _, r in g.iterrows() if load_arrays(run_dir, r["key"]) is not None]
        cols = min(5, len(panels))
        rows = int(np.ceil(len(panels) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
        for ax, (title, M) in zip(axes.flat, panels):
            if M is not None:
                M = np.array(M, dtype=float)
                np.fill_diagonal(M, np.nan)
                sns.heatmap(M, ax=ax, cbar=False, square=True, cmap="viridis", xticklabels=False, yticklabels=False)
            ax.set_title(title, fontsize=8)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.suptitle(f"{ds}: true vs predicted (scores; row = cause)", fontsize=9)
        paths.append(_save(fig, out / f"adjacency_{ds}.png"))
    return paths


def sachs_graphs(jobs: pd.DataFrame, run_dir: Path, out: Path) -> list[Path]:
    """The Sachs network per method: correct, missing, reversed and extra edges told apart."""
    paths = []
    sachs = jobs[jobs["dataset"].str.startswith("sachs") & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
    for ds, g in sachs.groupby("dataset"):
        truth = _truth(run_dir, g.iloc[0])
        names = _variables(run_dir, g.iloc[0])
        if truth is None:
            continue
        d = truth.shape[0]
        pos = nx.circular_layout(nx.complete_graph(d))
        methods_ = list(g.iterrows())
        cols = min(4, len(methods_))
        rows = int(np.ceil(len(methods_) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.2 * rows), squeeze=False)
        for ax, (_, r) in zip(axes.flat, methods_):
            arr = load_arrays(run_dir, r["key"])
            G = arr["graph"] if arr is not None else np.zeros_like(truth)
            kinds = {"correct": [], "reversed": [], "missing": [], "extra": [], "undirected": []}
            for i in range(d):
                for j in range(d):
                    t, p, pr = truth[i, j], G[i, j], G[j, i]
                    if t and p and not pr:
                        kinds["correct"].append((i, j))
                    elif t and p and pr and i < j:
                        kinds["undirected"].append((i, j))
                    elif t and not p and pr:
                        kinds["reversed"].append((j, i))
                    elif t and not p and not pr:
                        kinds["missing"].append((i, j))
                    elif p and not t and not truth[j, i] and (not pr or i < j):
                        kinds["extra"].append((i, j))
            style = {"correct": ("tab:green", "solid"), "reversed": ("tab:orange", "solid"),
                     "missing": ("lightgrey", "dashed"), "extra": ("tab:red", "solid"),
                     "undirected": ("tab:blue", "dotted")}
            Gx = nx.DiGraph()
            Gx.add_nodes_from(range(d))
            nx.draw_networkx_nodes(Gx, pos, ax=ax, node_size=380, node_color="white", edgecolors="black")
            nx.draw_networkx_labels(Gx, pos, {i: names[i] if names else str(i) for i in range(d)}, ax=ax, font_size=6)
            for kind, edges in kinds.items():
                if not edges:
                    continue
                color, ls = style[kind]
                directed = {"arrows": True, "arrowsize": 9} if kind != "undirected" else {"arrows": False}
                nx.draw_networkx_edges(Gx, pos, edgelist=edges, ax=ax, edge_color=color, style=ls,
                                       node_size=380, label=f"{kind} ({len(edges)})", **directed)
            ax.set_title(f"{r['method']}", fontsize=9)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, loc="lower left")
            ax.axis("off")
        for ax in list(axes.flat)[len(methods_):]:
            ax.axis("off")
        fig.suptitle(f"{ds}: correct (green), reversed (orange), missing (grey dashed), extra (red), "
                     f"undirected (blue dotted)", fontsize=9)
        paths.append(_save(fig, out / f"sachs_{ds}.png"))
    return paths


def _variables(run_dir: Path, row) -> list[str] | None:
    p = Path(run_dir) / "truths" / f"{row['dataset_digest']}.names"
    return p.read_text().split("\n") if p.exists() else None


def score_histograms(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path:
    """Distribution of off-diagonal scores per method: a collapsed model shows one spike."""
    rows = []
    for _, r in jobs[jobs["status"] == "ok"].iterrows():
        arr = load_arrays(run_dir, r["key"])
        if arr is None:
            continue
        S = arr["scores"]
        off = ~np.eye(S.shape[0], dtype=bool)
        rows.append(pd.DataFrame({"method": r["method"], "score": S[off]}))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if rows:
        data = pd.concat(rows)
        n = data["method"].nunique()
        g = sns.FacetGrid(data, col="method", col_wrap=min(5, n), sharex=False, sharey=False, height=2)
        g.map(plt.hist, "score", bins=30)
        plt.close(fig)
        fig = g.figure
        fig.suptitle("off-diagonal score distributions", y=1.02)
    return _save(fig, out / "score_histograms.png")
