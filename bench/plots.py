"""Figures for a run (seaborn/matplotlib, no screen needed). Each returns the path it wrote."""
import hashlib
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
from matplotlib.ticker import ScalarFormatter  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from .atomic import write_atomic  # noqa: E402
from .store import load_arrays  # noqa: E402

MARKERS = "osD^vP*Xp<>hH8d"
CHANCE_AT_HALF = ("auroc", "skeleton_auroc", "orientation_accuracy")  # drawn with a dashed line at 0.5
D_BINS = 5  # at most this many points per line: with a dozen sizes of one or two datasets each, lines zigzag
REAL_PANEL_MAX = 12  # a real-data panel shows each dataset up to this many; beyond, the suite's mean
COVERAGE_LABELS = 10  # a training-coverage panel names this many datasets, those farthest from the training cloud
EDGE_STYLE = {"correct": ("tab:green", "solid"), "reversed": ("tab:orange", "solid"),
              "missing": ("lightgrey", "dashed"), "extra": ("tab:red", "solid"), "undirected": ("tab:blue", "dotted")}
#: 20 colours far apart (tab10, then ten more of other hues and darkness)
PALETTE = [*(plt.get_cmap("tab10").colors),
           *("#000000", "#000080", "#b8860b", "#008080", "#ff00ff", "#800000", "#6b8e23", "#87ceeb", "#4b0082",
             "#fa8072")]
#: the registered methods' colours, fixed: a method keeps its colour whatever else a run holds. Learned models
#: strong, classical methods mid, baselines muted (empty black, random grey). A setting (``pc(alpha=0.2)``) takes
#: its method's colour and another marker; a method not listed here takes a hash of its name into ``PALETTE``.
METHOD_COLOURS = {"tabscm": 3, "tabscm-seed": 16, "pc": 0, "ges": 1, "gies": 11, "notears": 4, "dagma": 9,
                  "directlingam": 2, "abs-corr": 5, "partial-corr": 6, "varsort": 8, "r2sort": 13, "empty": 10,
                  "random": 7, "anm": 12, "cds": 14, "igci": 15, "reci": 17}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # whole or not at all (bench.atomic)
        write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path


def _hash(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big")


def method_colour(label: str) -> tuple:
    """A method's colour in every figure of every run: its registered method's entry in ``METHOD_COLOURS``, else
    the hash of its name into ``PALETTE``."""
    import matplotlib.colors as mcolors
    name = label.split("(")[0]
    index = METHOD_COLOURS.get(name, _hash(name) % len(PALETTE))
    return tuple(mcolors.to_rgb(PALETTE[index]))


def method_styles(methods) -> dict[str, tuple[tuple, str]]:
    """(colour, marker) per method label: the colour fixed (``method_colour``), the marker from the label's hash,
    moved on, in sorted label order, past any marker an earlier label of the same colour took, so that no two
    methods of a run share both."""
    taken, out = set(), {}
    for m in sorted({str(m) for m in methods}):
        h = _hash(m)
        colour = method_colour(m)
        k = h % len(MARKERS)
        for _ in range(len(MARKERS)):  # past len(MARKERS) settings of one method, markers repeat
            if (colour, MARKERS[k]) not in taken:
                break
            k = (k + 1) % len(MARKERS)
        taken.add((colour, MARKERS[k]))
        out[m] = (tuple(colour), MARKERS[k])
    return out


def method_colors(methods) -> dict[str, tuple]:
    """One fixed colour per method label (see ``method_styles``)."""
    return {m: c for m, (c, _) in method_styles(methods).items()}


def method_markers(methods) -> dict[str, str]:
    """A marker per method label, beside its colour, so that two methods of one colour stay apart."""
    return {m: k for m, (_, k) in method_styles(methods).items()}


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
    """Box plots of a metric per method, one panel per mechanism (boxes in the method's colour). Two-variable
    datasets are left out: with one edge a pair's metric is 0, 1/2 or 1, and a box from 0 to 1 hides the share that
    the report's cause-effect sections give."""
    jobs = scored(jobs, metric)
    jobs = jobs[jobs["d"] != 2] if "d" in jobs else jobs
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


def is_real(jobs: pd.DataFrame) -> pd.Series:
    """Rows on real data (Sachs, Tübingen, the bnlearn networks; tag ``shift`` or tier ``real``): drawn apart from
    synthetic data, never on a line through synthetic sizes."""
    real = pd.Series(False, index=jobs.index)
    for col, test in (("shift", lambda v: str(v).startswith("real")), ("tier", lambda v: v == "real")):
        if col in jobs:
            real |= jobs[col].map(test).fillna(False).astype(bool)
    return real


def scored(jobs: pd.DataFrame, metric: str = "auroc") -> pd.DataFrame:
    """The jobs that have ``metric`` (a dataset without a truth has no scores to draw)."""
    return jobs[jobs[metric].notna()] if metric in jobs else jobs.iloc[:0]


def panels(jobs: pd.DataFrame) -> list[tuple[str, bool, pd.DataFrame]]:
    """(title, real, rows) per suite, a suite that mixes synthetic and real data split in two."""
    out, real = [], is_real(jobs)
    for suite, g in jobs.groupby(jobs["suite"].fillna("user") if "suite" in jobs else pd.Series("run", jobs.index)):
        kinds = sorted(set(real[g.index]))
        for kind in kinds:
            rows = g[real[g.index] == kind]
            title = str(suite) if len(kinds) == 1 else f"{suite}: {'real data' if kind else 'synthetic'}"
            out.append((title, bool(kind), rows))
    return out


def _xy_panels(jobs: pd.DataFrame, y: str, path: Path, title: str, ylabel: str, log_y: bool = False) -> Path | None:
    """A metric against d, one panel per suite: synthetic data as a line per method through d (binned when a suite
    has many sizes), real data as points per dataset (or the suite's mean), never joined to a synthetic line."""
    if jobs.empty:
        return None
    styles = method_styles(jobs["method"])
    parts = panels(jobs)
    fig, axes = _grid(len(parts), 3, 5.2, 3.6)
    for ax, (name, real, g) in zip(axes, parts):
        one_size = not real and g["d"].nunique() == 1  # a line through one d would be a point on a meaningless axis
        if real or one_size:
            # a network sampled several times (bnlearn) is one point: its samples' mean
            g = g.assign(dataset=g["network"].fillna(g["dataset"])) if "network" in g else g
            per_ds = g.groupby("dataset")["d"].first().sort_values(kind="stable")
            many = one_size or len(per_ds) > REAL_PANEL_MAX
            cats = ([f"{len(per_ds)} datasets, d = {int(per_ds.iloc[0])} (mean)"] if one_size else
                    [f"{len(per_ds)} datasets (mean)"] if many else [f"{ds}\n(d={int(d)})" for ds, d in per_ds.items()])
            where = {ds: 0 if many else i for i, ds in enumerate(per_ds.index)}
            labels = sorted(g["method"].unique())
            width = 0.7 / max(1, len(labels))
            for k, (method, m) in enumerate(g.groupby("method")):
                vals = m.groupby("dataset")[y].mean()
                if many:
                    vals = pd.Series([vals.mean()], index=[per_ds.index[0]])
                xs = [where[ds] - 0.35 + width * (labels.index(method) + 0.5) for ds in vals.index]
                colour, marker = styles[method]
                ax.plot(xs, vals.values, ls="none", marker=marker, color=colour, label=method, ms=5)
            ax.set_xticks(range(len(cats)), cats, fontsize=7)
            ax.set_xlim(-0.5, len(cats) - 0.5)
            ax.set_xlabel("one size (points: not a trend in d)" if one_size else "real data (points: not a trend in d)",
                          fontsize=8)
        else:
            binned = g["d"].nunique() > D_BINS  # then each job sits at the mean d of its (equal-count) size bin
            x = g["d"].groupby(pd.qcut(g["d"], D_BINS, duplicates="drop"), observed=True).transform("mean") \
                if binned else g["d"]
            means = g.assign(x=x.astype(float)).groupby(["method", "x"])[y].mean().reset_index()
            for method, m in means.groupby("method"):
                colour, marker = styles[method]
                ax.plot(m["x"], m[y], marker=marker, color=colour, label=method, lw=1.3, ms=5)
            ax.set_xlabel("number of variables d" + (f" ({D_BINS} size bins)" if binned else ""), fontsize=8)
            if log_y:
                ax.set_xscale("log")
                ax.set_xticks(sorted(means["x"].unique()), [f"{v:g}" for v in sorted(means["x"].unique())])
                ax.minorticks_off()
        if log_y:
            ax.set_yscale("log")
        chance_line(ax, y)
        ax.set_title(f"{name} ({g['dataset'].nunique()} datasets)", fontsize=9)
        ax.set_ylabel(ylabel, fontsize=8)
    _shared_legend(fig, axes[:len(parts)], styles)
    fig.tight_layout()  # then the title above the panels (before it, a grid of many rows has it overlap the first)
    fig.suptitle(title, fontsize=10, y=1.0, va="bottom")
    return _save(fig, path)


def _shared_legend(fig, axes, styles) -> None:
    """One legend for the figure, right of the panels, each method once in its colour and marker."""
    seen = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    if seen:
        labels = sorted(seen)
        fig.legend([seen[m] for m in labels], labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7,
                   frameon=False)


def auroc_vs_d(jobs: pd.DataFrame, out: Path, metric: str = "auroc") -> Path | None:
    """Mean of a metric per method against d, per suite (real data as points of their own); None without a truth."""
    data = scored(jobs, metric)
    return _xy_panels(data[data["d"].notna()], metric, out / f"{metric}_vs_d.png",
                      f"mean {metric} per method against the number of variables, per suite", f"mean {metric}")


def runtime_vs_d(jobs: pd.DataFrame, out: Path) -> Path | None:
    """Mean fit time per method against d, per suite (real data as points of their own)."""
    data = jobs[jobs["d"].notna() & jobs["runtime_s"].notna()]
    return _xy_panels(data.assign(runtime_s=data["runtime_s"].clip(lower=1e-4)), "runtime_s",
                      out / "runtime_vs_d.png", "mean runtime per method against the number of variables, per suite",
                      "runtime (s, log)", log_y=True)


def runtime_vs_auroc(jobs: pd.DataFrame, out: Path, metric: str = "auroc") -> Path | None:
    """What each method costs against what it gets right: mean runtime (log) vs mean AUROC, a point per method,
    one panel per suite (real data apart); means over datasets, seeds averaged within a dataset first."""
    data = scored(jobs, metric)
    if data.empty:
        return None
    styles, parts = method_styles(jobs["method"]), panels(data)
    fig, axes = _grid(len(parts), 3, 4.6, 3.6)
    for ax, (name, _, g) in zip(axes, parts):
        per_ds = g.groupby(["method", "dataset"])[["runtime_s", metric]].mean().groupby("method").mean()
        for method, r in per_ds.iterrows():
            colour, marker = styles[method]
            ax.plot(max(r["runtime_s"], 1e-4), r[metric], ls="none", marker=marker, color=colour, ms=7, label=method)
        ax.set_xscale("log")
        chance_line(ax, metric)
        ax.set_title(f"{name} ({g['dataset'].nunique()} datasets)", fontsize=9)
        ax.set_xlabel("mean runtime per job (s, log)", fontsize=8)
        ax.set_ylabel(f"mean {metric}", fontsize=8)
    _shared_legend(fig, axes[:len(parts)], styles)
    fig.suptitle(f"cost against accuracy: mean runtime vs mean {metric}, per suite (up and left is better)", fontsize=10)
    fig.tight_layout()
    return _save(fig, out / f"runtime_vs_{metric}.png")


_load_npy = lru_cache(maxsize=256)(np.load)  # a truth is read once per process


def _truth(run_dir: Path, row) -> np.ndarray | None:
    """The truth graph of a job's dataset, kept beside the jobs as truths/<digest>.npy."""
    path = Path(run_dir) / "truths" / f"{row.get('dataset_digest')}.npy"
    return _load_npy(path) if path.exists() else None


def variable_names(run_dir: Path, row) -> list[str] | None:
    """The variable names of a job's dataset, kept beside its truth as truths/<digest>.names."""
    path = Path(run_dir) / "truths" / f"{row.get('dataset_digest')}.names"
    return path.read_text().split("\n") if path.exists() else None


def pr_curves(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path | None:
    """Precision-recall per suite (real data apart), pooled over each method's successful jobs of the panel.

    Drawn step-wise, as scikit-learn's PrecisionRecallDisplay does: precision between two thresholds is not a
    straight line, and joining the points overstates a method. A method with at most three distinct scores
    (a graph, a CPDAG, a constant) has only those operating points and is drawn as points: a constant as one."""
    data = scored(jobs[jobs["status"] == "ok"])
    if data.empty:
        return None
    styles, parts = method_styles(jobs["method"]), panels(data)
    fig, axes = _grid(len(parts), 3, 4.6, 3.8)
    for ax, (name, _, g) in zip(axes, parts):
        prevalence = []
        for method, m in g.groupby("method"):
            pairs = [(_off_diagonal(truth) != 0, _off_diagonal(arr["scores"])) for r, arr in _with_arrays(run_dir, m)
                     if (truth := _truth(run_dir, r)) is not None]
            if not pairs or not (y := np.concatenate([p for p, _ in pairs])).any():
                continue
            s = np.concatenate([q for _, q in pairs])
            prevalence.append(y.mean())
            p, rcl, _ = precision_recall_curve(y, s)
            p, rcl = p[:-1], rcl[:-1]  # scikit-learn's closing (recall 0, precision 1) is no threshold's
            colour, marker = styles[method]
            if len(np.unique(s)) <= 3:
                ax.plot(rcl, p, ls="none", marker=marker, color=colour, ms=6, label=method)
            else:
                ax.plot(rcl, p, drawstyle="steps-post", color=colour, lw=1.2, label=method, marker=marker,
                        markevery=[0], ms=5)
        if prevalence:
            ax.axhline(float(np.mean(prevalence)), color="grey", ls="--", lw=1)
        ax.set(xlim=(-0.02, 1.02), ylim=(0, 1.02))
        ax.set_title(f"{name} ({g['dataset'].nunique()} datasets)", fontsize=9)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
    _shared_legend(fig, axes[:len(parts)], styles)
    fig.suptitle("precision-recall, pooled over each suite's jobs (steps: scores; points: a graph's or a constant's "
                 "only operating points; dashed: share of true edges)", fontsize=9)
    fig.tight_layout()
    return _save(fig, out / "pr_curves.png")


def adjacency_heatmaps(jobs: pd.DataFrame, run_dir: Path, out: Path, n_datasets: int = 3) -> list[Path]:
    """Each method's scores (row = cause, column = effect) for a few datasets, with the variables' names and a colour
    bar per panel, beside the true graph where the dataset has one."""
    paths = []
    for ds in sorted(jobs["dataset"].unique())[:n_datasets]:
        g = jobs[(jobs["dataset"] == ds) & (jobs["status"] == "ok") & (jobs["seed"] == 0)]
        if g.empty:
            continue
        has_truth = "ds_has_truth" not in g or bool(g["ds_has_truth"].fillna(True).astype(bool).iloc[0])
        truth = _truth(run_dir, g.iloc[0]) if has_truth else None
        panels_ = ([("true graph", truth, True)] if truth is not None else []) + \
            [(f"{r['method']}: scores", arr["scores"], False) for r, arr in _with_arrays(run_dir, g)]
        if not panels_:
            continue
        names = variable_names(run_dir, g.iloc[0])
        d = len(panels_[0][1])
        step = max(1, int(np.ceil(d / 25)))  # at most ~25 names an axis: more would overlap
        labels = names if names and len(names) == d else None
        size = 3.2 + 0.03 * d
        fig, axes = _grid(len(panels_), 4, size + 0.8, size)
        for ax, (title, M, is_graph) in zip(axes, panels_):
            M = np.array(M, dtype=float)
            np.fill_diagonal(M, np.nan)
            # imshow, not seaborn's heatmap, which redraws the whole figure once per panel to check its labels
            im = ax.imshow(M, cmap="Greys" if is_graph else "viridis", vmin=0 if is_graph else None,
                           vmax=1 if is_graph else None, interpolation="nearest")
            fig.colorbar(im, ax=ax, shrink=0.7, format=ScalarFormatter(useOffset=False),  # no offset over a title
                         **({"ticks": [0, 1]} if is_graph else {}))
            if labels:
                ax.set_xticks(range(d)[::step], labels[::step], rotation=90)
                ax.set_yticks(range(d)[::step], labels[::step])
            ax.tick_params(labelsize=max(4, 7 - d // 20), length=0)
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("effect", fontsize=7)
            ax.set_ylabel("cause", fontsize=7)
        kind = "true graph vs each method's scores" if truth is not None else "each method's scores (no truth given)"
        fig.tight_layout()
        fig.suptitle(f"{ds}: {kind} (row = cause, column = effect; scales differ per method)", fontsize=10, y=1.01)
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
            ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3))  # room for the names at the circle's edge
            ax.axis("off")
        fig.tight_layout()  # then the title just above the panels: no blank band between
        fig.suptitle(f"{ds}: correct (green), reversed (orange), missing (grey dashed), extra (red), "
                     f"undirected (blue dotted)", fontsize=10, y=1.02)
        paths.append(_save(fig, out / f"sachs_{ds}.png"))
    return paths


def score_histograms(jobs: pd.DataFrame, run_dir: Path, out: Path) -> Path | None:
    """Distribution of off-diagonal scores per method: a collapsed model shows one spike."""
    rows = [pd.DataFrame({"method": r["method"], "score": _off_diagonal(arr["scores"])})
            for r, arr in _with_arrays(run_dir, jobs[jobs["status"] == "ok"])]
    if not rows:
        return None
    data = pd.concat(rows)
    order = sorted(data["method"].unique())
    g = sns.FacetGrid(data, col="method", hue="method", palette=method_colors(jobs["method"]), col_order=order,
                      hue_order=order, col_wrap=min(5, len(order)), sharex=False, sharey=False, height=2)
    g.map(plt.hist, "score", bins=30)
    g.set_titles("{col_name}", size=8)
    for ax in g.axes.flat:  # an offset ("1e-6+2.67e-1") would print over the axis label
        ax.ticklabel_format(axis="both", style="plain", useOffset=False)
        ax.tick_params(axis="x", labelsize=7, rotation=30)
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
                     f"Friedman p = {friedman:.2g}\na bar joins methods Nemenyi's all-pairs test cannot tell apart "
                     "at 0.05; it is more conservative than the paired Wilcoxon tests (paired.csv)", fontsize=9, pad=24)
        paths.append(_save(fig, out / cd_name(suite, tier)))
    return paths


def paired_scatter(jobs: pd.DataFrame, lb: pd.DataFrame, out: Path) -> Path | list:
    """Per suite, one panel: each learned method's AUROC against the suite's best trivial baseline's, one point per
    dataset (seeds averaged), the diagonal drawn; the panel title counts the datasets above and below it, and a
    spot that several datasets share carries their number."""
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
            stacked = both.round(3).value_counts()  # datasets on one spot (pairs score 0, 1/2 or 1): say how many
            for (x, y), n in stacked[stacked > 1].items():
                ax.annotate(str(n), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7, color=colors[m],
                            annotation_clip=False)
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


def _name_farthest(ax, ds: pd.DataFrame, ref, widths: dict[str, float]) -> None:
    """Name up to COVERAGE_LABELS of the real or outside datasets on a coverage panel (axes ``widths``' two
    descriptors, symlog with those widths), the farthest from the training cloud first (on the panel's two
    descriptors, in the units ``ref`` standardizes them to), none where its name would be written over one already
    there."""
    x, y = widths
    cols = [ref.cols.index(c) for c in widths]
    z = (np.arcsinh(ds[[f"ds_{c}" for c in widths]].to_numpy(dtype=float)) - ref.med[cols]) / ref.scale[cols]
    far = np.nanmax(np.abs(z), axis=1)
    at = []
    for c, w in widths.items():  # where each dataset sits along the axis, 0-1, on the axis' own scale
        v = np.arcsinh(pd.concat([ds[f"ds_{c}"], ref.cloud[c]]).astype(float).to_numpy() / w)
        at.append((v[:len(ds)] - np.nanmin(v)) / ((np.nanmax(v) - np.nanmin(v)) or 1.0))
    at = np.column_stack(at)
    named = np.flatnonzero(((ds.get("tier") == "real") | ds["outside_training"].astype(bool)).to_numpy())
    placed: list[np.ndarray] = []
    for k in named[np.argsort(-far[named], kind="stable")]:
        if len(placed) == COVERAGE_LABELS or any(np.all(np.abs(at[k] - p) < (0.25, 0.04)) for p in placed):
            continue  # at most so many names, none written over another
        placed.append(at[k])
        r = ds.iloc[k]
        ax.annotate(str(r["dataset"]), (r[f"ds_{x}"], r[f"ds_{y}"]), fontsize=6, xytext=(3, 3),
                    textcoords="offset points")
    if len(placed) < len(named):
        ax.set_title(f"named: {len(placed)} of the {len(named)} real or outside datasets, the farthest from the "
                     "training cloud", fontsize=7)


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
            widths = {c: float(np.nanpercentile(np.abs(ref.cloud[c]), 50)) or 1e-2 for c in (x, y)}
            _name_farthest(ax, ds, ref, widths)
            for axis, c in ((ax.xaxis, x), (ax.yaxis, y)):  # linear up to the typical training value, log beyond
                axis._set_axes_scale("symlog", linthresh=widths[c], linscale=0.5)
            ax.set_xlabel(x), ax.set_ylabel(y)
        axes[0][0].legend(fontsize=7, loc="best")
        fig.suptitle(f"{method}: benchmark datasets against {len(ref.cloud)} draws of its training distribution")
        fig.tight_layout()
        paths.append(_save(fig, out / f"training_coverage_{method}.png"))
    return paths
