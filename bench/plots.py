"""Figures for a run (seaborn/matplotlib, no screen needed). Each returns the path it wrote."""
import json
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from .atomic import write_atomic  # noqa: E402
from .store import load_arrays  # noqa: E402

MARKERS = "osD^vP*Xp<>h"
CHANCE_AT_HALF = ("auroc", "skeleton_auroc", "orientation_accuracy")  # drawn with a dashed line at 0.5
D_BINS = 5  # at most this many points per line: with a dozen sizes of one or two datasets each, lines zigzag
EDGE_STYLE = {"correct": ("tab:green", "solid"), "reversed": ("tab:orange", "solid"),
              "missing": ("lightgrey", "dashed"), "extra": ("tab:red", "solid"), "undirected": ("tab:blue", "dotted")}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # whole or not at all (bench.atomic)
        write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path


def method_colors(methods) -> dict[str, tuple]:
    """One fixed colour per method label, the same in every figure of a run: the run's sorted labels walk tab10,
    then tab20's light shades, then tab20b and tab20c (50 distinct colours)."""
    palette = list(plt.get_cmap("tab10").colors) + list(plt.get_cmap("tab20").colors[1::2])
    palette += list(plt.get_cmap("tab20b").colors) + list(plt.get_cmap("tab20c").colors)
    labels = sorted({str(m) for m in methods})
    extra = sns.color_palette("husl", max(0, len(labels) - len(palette)))
    return {m: tuple(c) for m, c in zip(labels, palette + list(extra))}


def method_markers(methods) -> dict[str, str]:
    """A marker per method label, beside its colour, so that lines of similar colour stay apart."""
    return {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(sorted({str(m) for m in methods}))}


def legend_outside(ax, **kw) -> None:
    """A legend right of the axes, where it cannot cover a line or a box."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left", borderaxespad=0, fontsize=7, **kw)


def chance_line(ax, metric: str) -> None:
    if metric in CHANCE_AT_HALF:
        ax.axhline(0.5, color="grey", ls="--", lw=1)


def _grid(n: int, max_cols: int, w: float, h: float, **kw):
    """A figure of n panels of w x h inches, at most max_cols a row; the spare panels blank."""
    cols = min(max_cols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, list(axes.flat)


def _off_diagonal(M) -> np.ndarray:
    return np.asarray(M)[~np.eye(len(M), dtype=bool)]


def _with_arrays(run_dir: Path, rows: pd.DataFrame) -> list[tuple[pd.Series, dict]]:
    """(row, its scores and graph) for each job of ``rows`` whose arrays are on disk."""
    return [(r, arr) for _, r in rows.iterrows() if (arr := load_arrays(run_dir, r["key"])) is not None]


def metric_boxes(jobs: pd.DataFrame, out: Path, metric: str = "auroc") -> list[Path]:
    """Box plots of a metric per method, one panel per mechanism (boxes in the method's colour)."""
    if "mechanism" not in jobs or jobs["mechanism"].isna().all():
        return []
    order = sorted(jobs["method"].unique())
    mechs = sorted(jobs["mechanism"].dropna().unique())
    fig, axes = _grid(len(mechs), 3, max(5, 0.38 * len(order)), 3.4, sharey=True)
    for ax, mech in zip(axes, mechs):
        data = jobs[jobs["mechanism"] == mech]
        sns.boxplot(data=data, x="method", y=metric, hue="method", order=order, hue_order=order,
                    palette=method_colors(jobs["method"]), saturation=1, ax=ax, fliersize=2, legend=False)
        chance_line(ax, metric)
        ax.set_title(f"{mech} ({data['dataset'].nunique()} datasets)", fontsize=9)
        ax.set_xlabel("")
        ax.tick_params(axis="x", rotation=90, labelsize=7)
    fig.suptitle(f"{metric} per method, by mechanism", fontsize=10)
    fig.tight_layout()
    return [_save(fig, out / f"{metric}_by_mechanism.png")]


def _lines(jobs: pd.DataFrame, means: pd.DataFrame, x: str, y: str, path: Path, lw: float, ms: float, **labels):
    """One line per method through ``means``, in the run's colours and markers."""
    colors, markers = method_colors(jobs["method"]), method_markers(jobs["method"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for method, g in means.groupby("method"):
        ax.plot(g[x], g[y], marker=markers[method], color=colors[method], label=method, lw=lw, ms=ms)
    chance_line(ax, y)
    ax.set(**labels)
    legend_outside(ax)
    return _save(fig, path)


def auroc_vs_d(jobs: pd.DataFrame, out: Path, metric: str = "auroc") -> Path:
    """Mean of a metric per method against the number of variables, one line per method."""
    data = jobs[jobs["d"].notna()]
    binned = data["d"].nunique() > D_BINS  # then each job sits at the mean d of its (equal-count) size bin
    x = data["d"].groupby(pd.qcut(data["d"], D_BINS, duplicates="drop"), observed=True).transform("mean") \
        if binned else data["d"]
    means = data.assign(x=x.astype(float)).groupby(["method", "x"])[metric].mean().reset_index()
    xlabel = "number of variables d" + (f" (jobs in {D_BINS} size bins, at each bin's mean d)" if binned else "")
    return _lines(jobs, means, "x", metric, out / f"{metric}_vs_d.png", 1.4, 5, xlabel=xlabel,
                  ylabel=f"mean {metric}", title=f"mean {metric} per method against d")


def runtime_vs_d(jobs: pd.DataFrame, out: Path) -> Path:
    means = jobs[jobs["d"].notna()].groupby(["method", "d"])["runtime_s"].mean().reset_index()
    return _lines(jobs, means, "d", "runtime_s", out / "runtime_vs_d.png", 1.2, 4, xscale="log", yscale="log",
                  title="mean runtime against number of variables", ylabel="runtime (s)",
                  xlabel="number of variables d")


_load_npy = lru_cache(maxsize=256)(np.load)  # a truth is read once per process


def _truth(run_dir: Path, row) -> np.ndarray | None:
    """The truth graph of a job's dataset, kept beside the jobs as truths/<digest>.npy."""
    path = Path(run_dir) / "truths" / f"{row.get('dataset_digest')}.npy"
    return _load_npy(path) if path.exists() else None


def pr_curves(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path:
    """Precision-recall curves pooled over each method's successful jobs."""
    colors = method_colors(jobs["method"])
    fig, ax = plt.subplots(figsize=(7, 5))
    for method, g in jobs[jobs["status"] == "ok"].groupby("method"):
        pairs = [(_off_diagonal(truth) != 0, _off_diagonal(arr["scores"])) for r, arr in _with_arrays(run_dir, g)
                 if (truth := _truth(run_dir, r)) is not None]
        if pairs and np.concatenate([y for y, _ in pairs]).any():
            p, rcl, _ = precision_recall_curve(*(np.concatenate(v) for v in zip(*pairs)))
            ax.plot(rcl, p, label=method, lw=1.2, color=colors[method])
    ax.set(xlabel="recall", ylabel="precision", title="precision-recall (pooled over jobs)")
    legend_outside(ax)
    return _save(fig, out / "pr_curves.png")


def adjacency_heatmaps(jobs: pd.DataFrame, run_dir: Path, out: Path, n_datasets: int = 3) -> list[Path]:
    """True vs predicted adjacency for a few datasets, one panel per method."""
    paths = []
    for ds in sorted(jobs["dataset"].unique())[:n_datasets]:
        g = jobs[(jobs["dataset"] == ds) & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
        if g.empty:
            continue
        panels = [("truth", _truth(run_dir, g.iloc[0])),
                  *((r["method"], arr["scores"]) for r, arr in _with_arrays(run_dir, g))]
        fig, axes = _grid(len(panels), 5, 2.6, 2.6)
        for ax, (title, M) in zip(axes, panels):
            if M is not None:
                M = np.array(M, dtype=float)
                np.fill_diagonal(M, np.nan)
                sns.heatmap(M, ax=ax, cbar=False, square=True, cmap="viridis", xticklabels=False, yticklabels=False)
            ax.set_title(title, fontsize=8)
        fig.suptitle(f"{ds}: true vs predicted (scores; row = cause)", fontsize=9)
        paths.append(_save(fig, out / f"adjacency_{ds}.png"))
    return paths


def sachs_graphs(jobs: pd.DataFrame, run_dir: Path, out: Path) -> list[Path]:
    """The Sachs network per method: each true or predicted edge drawn as correct, reversed (as predicted),
    missing, extra or undirected (a true edge predicted both ways)."""
    paths = []
    sachs = jobs[jobs["dataset"].str.startswith("sachs") & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
    for ds, g in sachs.groupby("dataset"):
        truth = _truth(run_dir, g.iloc[0])
        if truth is None:
            continue
        names = Path(run_dir) / "truths" / f"{g.iloc[0]['dataset_digest']}.names"
        names = names.read_text().split("\n") if names.exists() else None
        d, T, up = truth.shape[0], truth != 0, np.triu(np.ones(truth.shape, dtype=bool), 1)
        pos = nx.circular_layout(nx.complete_graph(d))
        Gx = nx.empty_graph(d, create_using=nx.DiGraph)
        fig, axes = _grid(len(g), 4, 4.2, 4.2)
        for ax, (_, r) in zip(axes, g.iterrows()):
            arr = load_arrays(run_dir, r["key"])
            P = np.asarray(arr["graph"] if arr is not None else np.zeros_like(truth)) != 0
            nx.draw_networkx_nodes(Gx, pos, ax=ax, node_size=380, node_color="white", edgecolors="black")
            nx.draw_networkx_labels(Gx, pos, {i: names[i] if names else str(i) for i in range(d)}, ax=ax, font_size=6)
            masks = {"correct": T & P & ~P.T, "reversed": T & ~P & P.T, "missing": T & ~P & ~P.T,
                     "extra": ~T & ~T.T & P & (~P.T | up), "undirected": T & P & P.T & up}
            for kind, mask in masks.items():
                edges = [(j, i) if kind == "reversed" else (i, j) for i, j in np.argwhere(mask).tolist()]
                if edges:
                    nx.draw_networkx_edges(Gx, pos, edgelist=edges, ax=ax, edge_color=EDGE_STYLE[kind][0],
                                           style=EDGE_STYLE[kind][1], node_size=380, label=f"{kind} ({len(edges)})",
                                           **({"arrows": False} if kind == "undirected" else
                                              {"arrows": True, "arrowsize": 9}))
            ax.set_title(f"{r['method']}", fontsize=9)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, loc="lower left")
            ax.axis("off")
        fig.suptitle(f"{ds}: correct (green), reversed (orange), missing (grey dashed), extra (red), "
                     f"undirected (blue dotted)", fontsize=9)
        paths.append(_save(fig, out / f"sachs_{ds}.png"))
    return paths


def score_histograms(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path:
    """Distribution of off-diagonal scores per method: a collapsed model shows one spike."""
    rows = [pd.DataFrame({"method": r["method"], "score": _off_diagonal(arr["scores"])})
            for r, arr in _with_arrays(run_dir, jobs[jobs["status"] == "ok"])]
    if not rows:
        return _save(plt.subplots(figsize=(8, 4.5))[0], out / "score_histograms.png")
    data = pd.concat(rows)
    order = sorted(data["method"].unique())
    g = sns.FacetGrid(data, col="method", hue="method", palette=method_colors(jobs["method"]), col_order=order,
                      hue_order=order, col_wrap=min(5, len(order)), sharex=False, sharey=False, height=2)
    g.map(plt.hist, "score", bins=30)
    g.set_titles("{col_name}", size=8)
    g.figure.suptitle("off-diagonal score distributions", y=1.02)
    return _save(g.figure, out / "score_histograms.png")


def cd_name(suite: str, tier: str) -> str:
    """The file name of a suite's (and tier's) critical-difference diagram."""
    return f"cd_{suite}{'' if tier == 'all' else '_' + str(tier)}.png"


def cd_diagrams(jobs: pd.DataFrame, cd: list, out: Path) -> list[Path]:
    """A critical-difference diagram (scikit-posthocs) per (suite, tier, average ranks, Friedman p, Nemenyi p-values)
    of ``cd``: methods on their average AUROC rank, a bar joining those Nemenyi's test cannot tell apart at 0.05."""
    import scikit_posthocs as sp
    colors, paths = method_colors(jobs["method"]), []
    for suite, tier, ranks, friedman, nemenyi in cd:
        fig, ax = plt.subplots(figsize=(8, 0.9 + 0.28 * len(ranks)))
        sp.critical_difference_diagram(ranks, nemenyi, ax=ax, color_palette={m: colors[m] for m in ranks.index},
                                       label_fmt_left="{label} ({rank:.2f})", label_fmt_right="({rank:.2f}) {label}")
        where = suite + ("" if tier == "all" else f", tier {tier}")
        ax.set_title(f"{where}: average AUROC rank over {ranks.attrs.get('datasets', '?')} datasets (1 = best); "
                     f"Friedman p = {friedman:.2g}", fontsize=9, pad=24)
        paths.append(_save(fig, out / cd_name(suite, tier)))
    return paths


def paired_scatter(jobs: pd.DataFrame, lb: pd.DataFrame, out: Path) -> Path | list:
    """Per suite, one panel: each learned method's AUROC against the suite's best trivial baseline's, one point per
    dataset (seeds averaged), the diagonal drawn; the panel title counts the datasets above and below it."""
    from .leaderboard import dataset_means
    from .paired import references
    panels = []
    for suite, g in lb[lb["tier"] == "all"].groupby("suite", sort=True):
        base, learned = references(g).get("best trivial"), sorted(g.loc[g["learned"], "method"])
        if base is None or not learned:
            continue
        sub = jobs[(jobs["suite"] == suite) & jobs["method"].isin([base, *learned])]
        per = dataset_means(sub, ["auroc"])["auroc"].unstack("method")
        panels.append((suite, base, learned, per))
    if not panels:
        return []
    colors, markers = method_colors(jobs["method"]), method_markers(jobs["method"])
    fig, axes = _grid(len(panels), 4, 3.4, 3.8, layout="constrained")
    for k, (ax, (suite, base, learned, per)) in enumerate(zip(axes, panels)):
        counts = []
        for m in learned:
            both = per[[base, m]].dropna()
            ax.scatter(both[base], both[m], s=24, color=colors[m], marker=markers[m], label=m, alpha=0.8,
                       edgecolor="none", clip_on=False)
            d = both[m] - both[base]
            counts.append(f"{m}: {int((d > 1e-9).sum())} above, {int((d.abs() <= 1e-9).sum())} on, "
                          f"{int((d < -1e-9).sum())} below")
        lo = min(0.3, np.nanmin(per.to_numpy()) - 0.02)
        ax.plot([lo, 1.02], [lo, 1.02], color="grey", lw=1, ls="--", zorder=0)
        ax.set(xlim=(lo, 1.02), ylim=(lo, 1.02), aspect="equal", xlabel=f"{base} AUROC (best trivial)",
               ylabel="learned model AUROC" if k % 4 == 0 else "")
        ax.set_title(f"{suite}\n" + "\n".join(counts), fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, out / "paired_scatter.png")


def training_coverage(jobs: pd.DataFrame, out: Path, panels: int = 2) -> list[Path]:
    """Per learned method that declares its training data: the benchmark datasets (red: outside it, blue: inside)
    against its training datasets (grey), on the descriptors most often responsible for "outside" (asinh axes)."""
    import ast

    from .training_coverage import reference_for

    if "outside_training" not in jobs:
        return []
    paths = []
    for method, g in jobs[jobs["outside_training"].notna()].groupby("method"):
        row = g.iloc[0]
        ref = reference_for(row["method_name"], json.dumps(ast.literal_eval(row["params"]), sort_keys=True,
                                                          default=str))
        if ref is None:
            continue
        ds = g.drop_duplicates("dataset")
        named = pd.Series([n for v in ds["outside_descriptors"].dropna() for n in str(v).split(", ") if n])
        order = [c for c in named.value_counts().index if c in ref.cols and f"ds_{c}" in ds]
        order += [c for c in ("kurtosis_max", "abs_corr_mean", "nonlinearity_median", "n") if c not in order]
        fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.4), squeeze=False)
        for ax, (x, y) in zip(axes[0], [order[2 * k:2 * k + 2] for k in range(panels)]):
            ax.scatter(ref.cloud[x], ref.cloud[y], s=6, color="lightgrey", label="training datasets")
            inside = ~ds["outside_training"].astype(bool)
            for mask, color, marker, label in ((inside, "tab:blue", "o", "benchmark: inside"),
                                               (~inside, "tab:red", "X", "benchmark: outside")):
                ax.scatter(ds.loc[mask, f"ds_{x}"], ds.loc[mask, f"ds_{y}"], s=40, color=color, marker=marker,
                           edgecolor="black", linewidth=0.4, label=label, zorder=3)
            for _, r in ds.iterrows():
                if r.get("tier") == "real" or r["outside_training"]:
                    ax.annotate(str(r["dataset"]), (r[f"ds_{x}"], r[f"ds_{y}"]), fontsize=6, xytext=(3, 3),
                                textcoords="offset points")
            for axis, c in ((ax.xaxis, x), (ax.yaxis, y)):  # linear up to the typical training value, log beyond
                width = float(np.nanpercentile(np.abs(ref.cloud[c]), 50)) or 1e-2
                axis._set_axes_scale("symlog", linthresh=width, linscale=0.5)
            ax.set_xlabel(x), ax.set_ylabel(y)
        axes[0][0].legend(fontsize=7, loc="best")
        fig.suptitle(f"{method}: benchmark datasets against {len(ref.cloud)} draws of its training distribution")
        fig.tight_layout()
        paths.append(_save(fig, out / f"training_coverage_{method}.png"))
    return paths
