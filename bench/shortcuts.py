"""The "shortcuts" section: does a method's lead survive once the easy cue is removed?

Groups jobs by the dataset tag ``scaling`` (raw = none, zscore, iscm: the same graphs with
variance and R^2 cues progressively removed) and by ``ood`` (in or out of a learned model's
training distribution), and compares every method with the best trivial baseline
(|corr|, partial correlation, sortnregress by variance and R^2) on the same group.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .diagnostics import TRIVIAL_METHODS

SCALING_ORDER = ["none", "zscore", "iscm"]
SCALING_LABEL = {"none": "raw", "zscore": "z-scored", "iscm": "iSCM"}
LEAD = 0.02          # an AUROC margin over the best trivial baseline that counts as a lead
ORIENT_DROP = 0.15   # orientation accuracy lost from raw to standardized data that flags a shortcut
F1_DROP = 0.2        # F1 lost from raw to standardized data worth a sentence


def _group_means(jobs: pd.DataFrame, by: str) -> pd.DataFrame:
    cols = [c for c in ("auroc", "f1", "orientation_accuracy", "skeleton_auroc") if c in jobs]
    return jobs.groupby(["method", by])[cols].mean()


def _best_trivial(means: pd.DataFrame, by_value) -> tuple[str, float]:
    sub = means.xs(by_value, level=1)
    sub = sub[sub.index.isin(TRIVIAL_METHODS)]
    if sub.empty or sub["auroc"].isna().all():
        return "", float("nan")
    name = sub["auroc"].idxmax()
    return name, float(sub.loc[name, "auroc"])


def shortcut_table(jobs: pd.DataFrame, by: str, order: list) -> pd.DataFrame:
    """Per method x group: AUROC, F1, orientation, and the gap to the best trivial baseline."""
    if by not in jobs or jobs[by].isna().all():
        return pd.DataFrame()
    present = [v for v in order if v in set(jobs[by].dropna())]
    means = _group_means(jobs[jobs[by].isin(present)], by)
    rows = []
    for v in present:
        tname, tauc = _best_trivial(means, v)
        for method in sorted(jobs["method"].unique()):
            if (method, v) not in means.index:
                continue
            m = means.loc[(method, v)]
            rows.append({"method": method, by: v, "auroc": m["auroc"], "f1": m.get("f1"),
                         "orientation_accuracy": m.get("orientation_accuracy"),
                         "best_trivial": tname, "best_trivial_auroc": tauc,
                         "gap_to_trivial": m["auroc"] - tauc if tname else np.nan})
    return pd.DataFrame(rows)


def sentences(scal: pd.DataFrame) -> list[str]:
    """Plain sentences where a method's lead, orientation or F1 disappears without the scale cue."""
    out = []
    if scal.empty or "none" not in set(scal["scaling"]):
        return out
    for method, g in scal.groupby("method"):
        g = g.set_index("scaling")
        raw = g.loc["none"]
        for std in ("zscore", "iscm"):
            if std not in g.index:
                continue
            s = g.loc[std]
            label = SCALING_LABEL[std]
            if method not in TRIVIAL_METHODS and raw["gap_to_trivial"] > LEAD and not s["gap_to_trivial"] > LEAD:
                out.append(f"- **{method}** leads the best trivial baseline on raw data "
                           f"(AUROC {raw['auroc']:.3f} vs {raw['best_trivial']} {raw['best_trivial_auroc']:.3f}) "
                           f"but its lead disappears on {label} data (AUROC {s['auroc']:.3f} vs "
                           f"{s['best_trivial']} {s['best_trivial_auroc']:.3f}).")
            if raw["orientation_accuracy"] - s["orientation_accuracy"] > ORIENT_DROP:
                out.append(f"- **{method}** orients edges by a scale shortcut: orientation accuracy "
                           f"{raw['orientation_accuracy']:.2f} on raw data, {s['orientation_accuracy']:.2f} on "
                           f"{label} data.")
            if raw["f1"] - s["f1"] > F1_DROP:
                out.append(f"- **{method}**'s F1 falls from {raw['f1']:.2f} on raw data to {s['f1']:.2f} on "
                           f"{label} data: the same graphs, only rescaled.")
    return out


def paired_by_scaling(jobs: pd.DataFrame) -> pd.DataFrame:
    """Only SCMs present in more than one scaling (same ``data_seed``): the comparison is then
    the same graphs and mechanisms, rescaled, and nothing else."""
    if "data_seed" not in jobs or "scaling" not in jobs:
        return jobs
    n_scalings = jobs.groupby("data_seed")["scaling"].nunique()
    return jobs[jobs["data_seed"].isin(n_scalings[n_scalings > 1].index)]


def shortcuts_section(jobs: pd.DataFrame, plot_dir: Path) -> tuple[list[str], list[Path]]:
    from .report import md_table

    lines = ["## Shortcuts: raw vs standardized data, in vs out of distribution", ""]
    figs: list[Path] = []
    triv = jobs[jobs["method"].isin(TRIVIAL_METHODS)].groupby(["suite", "method"])["auroc"].mean().dropna()
    if len(triv):
        lines += ["The trivial baseline to beat on each suite (best mean AUROC among "
                  f"{', '.join(TRIVIAL_METHODS)}):", ""]
        for suite, g in triv.groupby(level=0):
            best = g.droplevel(0).idxmax()
            lines.append(f"- `{suite}`: **{best}** (AUROC {g.max():.3f}); methods above it: "
                         + (", ".join(sorted(m for m, v in jobs[jobs["suite"] == suite].groupby("method")["auroc"]
                                             .mean().items() if v > g.max() and m not in TRIVIAL_METHODS))
                            or "none") + ".")
        lines.append("")
    scal = shortcut_table(paired_by_scaling(jobs), "scaling", SCALING_ORDER)
    if scal.empty:
        lines.append("This run has no datasets tagged with a scaling, so the shortcut comparison is empty.")
    else:
        lines += ["The same SCMs (same `data_seed`) raw, z-scored after generation, and standardized inside "
                  "generation (iSCM); mean over them. `gap` is AUROC minus the best trivial baseline's on the "
                  "same datasets (the baseline a method must beat is named).", ""]
        view = scal.assign(scaling=scal["scaling"].map(SCALING_LABEL))
        lines += [md_table(view.rename(columns={"orientation_accuracy": "orient.", "gap_to_trivial": "gap",
                                                "best_trivial_auroc": "trivial AUROC"})), ""]
        said = sentences(scal)
        lines += said or ["- No method's lead over the trivial baselines depends on the data's scale."]
        lines.append("")
        try:
            figs.append(_plot(scal, plot_dir))
        except Exception as e:  # a figure must not cost the report
            lines.append(f"(shortcuts figure failed: {type(e).__name__}: {e})")
    if "ood" in jobs and jobs["ood"].notna().any():
        ood = shortcut_table(jobs.assign(ood=jobs["ood"].map({True: "out", False: "in"})), "ood", ["in", "out"])
        if not ood.empty:
            lines += ["In vs out of the learned model's training distribution:", "",
                      md_table(ood.rename(columns={"orientation_accuracy": "orient.", "gap_to_trivial": "gap"})), ""]
    return lines, figs


def _plot(scal: pd.DataFrame, plot_dir: Path) -> Path:
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .plots import _save

    data = scal.assign(scaling=scal["scaling"].map(SCALING_LABEL))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    dodge = 0.3 if data["method"].nunique() > 1 else False
    sns.pointplot(data=data, x="scaling", y="auroc", hue="method", ax=axes[0], dodge=dodge)
    sns.pointplot(data=data, x="scaling", y="orientation_accuracy", hue="method", ax=axes[1], dodge=dodge,
                  legend=False)
    axes[0].set_title("AUROC: the same graphs, raw → z-scored → iSCM")
    axes[1].set_title("orientation accuracy")
    axes[1].axhline(0.5, color="grey", ls="--", lw=1)
    axes[0].legend(fontsize=7, ncol=2)
    return _save(fig, plot_dir / "shortcuts.png")
