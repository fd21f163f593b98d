"""The "shortcuts" section: does a method's lead over the best trivial baseline survive once the easy cue
is removed (tag ``scaling``: none, zscore, iscm remove the variance and R^2 cues), or out of distribution?"""
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from . import plots
from .diagnostics import SORTABILITY_HIGH, TRIVIAL_METHODS
from .leaderboard import is_trivial
from .markdown import md_table
from .tables import READS_SIM_MIN_EDGES, reads_simulator

SCALING_ORDER = ["none", "zscore", "iscm"]
SCALING_LABEL = {"none": "raw", "zscore": "z-scored", "iscm": "iSCM"}
LEAD = 0.02          # an AUROC margin over the best trivial baseline that counts as a lead
ORIENT_DROP = 0.15   # orientation accuracy lost from raw to standardized data that flags a shortcut
F1_DROP = 0.2        # F1 lost from raw to standardized data worth a sentence
ABOVE_CHANCE = 0.55  # a method "uses" a cue only where it does clearly better than chance (0.5) with it
SORT_GAIN = 0.1      # AUROC gained on a sortable dataset over its rescaled twin that names a method
SHORT_NAMES = {"orientation_accuracy": "orient.", "gap_to_trivial": "gap", "best_trivial_auroc": "trivial AUROC"}


def shortcut_table(jobs: pd.DataFrame, by: str, order: list) -> pd.DataFrame:
    """Per method x group: AUROC, F1, orientation, and the gap to the best trivial baseline."""
    if by not in jobs or jobs[by].isna().all():
        return pd.DataFrame()
    cols = [c for c in ("auroc", "f1", "orientation_accuracy") if c in jobs]
    t = jobs[jobs[by].isin(order)].groupby(["method", by])[cols].mean().reset_index()
    t = t.reindex(columns=["method", by, "auroc", "f1", "orientation_accuracy"])
    t["trivial"] = t["method"].isin(jobs.loc[is_trivial(jobs), "method"])
    triv = t[t["trivial"]].dropna(subset=["auroc"])
    best = triv.loc[triv.groupby(by)["auroc"].idxmax()].set_index(by)
    t["best_trivial"], t["best_trivial_auroc"] = t[by].map(best["method"]).fillna(""), t[by].map(best["auroc"])
    t["gap_to_trivial"] = t["auroc"] - t["best_trivial_auroc"]
    return t.sort_values(by, key=lambda s: s.map(order.index), kind="stable").reset_index(drop=True)


def sentences(scal: pd.DataFrame) -> list[str]:
    """Plain sentences where a method's lead, orientation or F1 disappears without the scale cue."""
    if scal.empty or "none" not in set(scal["scaling"]):
        return []
    out = []
    for method, g in scal.groupby("method"):
        g = g.set_index("scaling")
        if "none" not in g.index:  # e.g. a setting run on standardized data only
            continue
        raw = g.loc["none"]
        for std in (s for s in ("zscore", "iscm") if s in g.index):
            s, label = g.loc[std], SCALING_LABEL[std]
            if not raw["trivial"] and raw["gap_to_trivial"] > LEAD and not s["gap_to_trivial"] > LEAD:
                out.append(f"- **{method}** leads the best trivial baseline on raw data (AUROC {raw['auroc']:.3f} vs "
                           f"{raw['best_trivial']} {raw['best_trivial_auroc']:.3f}) but its lead disappears on {label} "
                           f"data (AUROC {s['auroc']:.3f} vs {s['best_trivial']} {s['best_trivial_auroc']:.3f}).")
            ro, so = raw["orientation_accuracy"], s["orientation_accuracy"]
            if ro > ABOVE_CHANCE and ro - so > ORIENT_DROP:
                out.append(f"- **{method}** orients edges by a scale shortcut: orientation accuracy "
                           f"{ro:.2f} on raw data, {so:.2f} on {label} data.")
            if raw["f1"] - s["f1"] > F1_DROP:  # F1 has no chance level at 0.5: any real drop counts
                out.append(f"- **{method}**'s F1 falls from {raw['f1']:.2f} on raw data to {s['f1']:.2f} on "
                           f"{label} data: the same graphs, only rescaled.")
    return out


def paired_by_scaling(jobs: pd.DataFrame) -> pd.DataFrame:
    """Only SCMs present in more than one scaling (same ``data_seed``): the same graphs, only rescaled."""
    if "data_seed" not in jobs or "scaling" not in jobs:
        return jobs
    return jobs[jobs.groupby("data_seed")["scaling"].transform("nunique") > 1]


def sortability_lines(jobs: pd.DataFrame) -> list[str]:
    """Sortable datasets, and the methods that gain from them over the same SCM rescaled (same ``data_seed``);
    a method is named only when it beats chance (ABOVE_CHANCE) on the sortable data."""
    if "high_sortability" not in jobs or not jobs["high_sortability"].any():
        return [f"No dataset in this run has var- or R²-sortability above {SORTABILITY_HIGH}."]
    hi = jobs[jobs["high_sortability"]]
    names = sorted(hi["dataset"].unique())
    shown = ", ".join(f"`{d}`" for d in names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    lines = [f"Datasets with var- or R²-sortability above {SORTABILITY_HIGH} (sorting by marginal variance or R² "
             f"recovers much of the causal order): {shown} ({len(names)} of {jobs['dataset'].nunique()}; all in "
             "`jobs.csv`, column `high_sortability`).", ""]
    none = ["(No rescaled twins of these datasets in this run, so no method is singled out.)"]
    if "data_seed" not in jobs:
        return lines + none
    twins = jobs[jobs["data_seed"].isin(hi["data_seed"]) & jobs["data_seed"].notna()]
    pair = twins.groupby(["method", "high_sortability"])["auroc"].mean().unstack()
    if True not in pair or False not in pair:
        return lines + none
    gains = (pair[True] - pair[False]).dropna().sort_values(ascending=False)
    named = [f"- **{m}** gains from it: AUROC {pair.loc[m, True]:.3f} on the sortable datasets vs "
             f"{pair.loc[m, False]:.3f} on the same SCMs standardized." for m, g in gains.items()
             if g > SORT_GAIN and pair.loc[m, True] > ABOVE_CHANCE]
    return lines + (named or [f"- No method that beats chance (AUROC > {ABOVE_CHANCE}) on the sortable datasets "
                              f"gains more than {SORT_GAIN} AUROC from sortability on these SCMs."])


def simulator_lines(jobs: pd.DataFrame) -> list[str]:
    """Who orients the edges observational linear-Gaussian data leave unoriented (CPDAG-undirected): a method
    away from 0.5 there reads the simulator's habits."""
    sim = reads_simulator(jobs, ["method"])
    sim = sim[sim["lingauss_unidentifiable_edges"] >= READS_SIM_MIN_EDGES]
    if sim.empty:
        return ["No method ran on observational linear-Gaussian data with enough unidentifiable true edges "
                f"(at least {READS_SIM_MIN_EDGES}) to test whether it reads the simulator."]

    def num(r, edges="unidentifiable true edges"):
        return (f"{r['lingauss_unidentifiable_mean']:.2f} [{r['lingauss_unidentifiable_ci_low']:.2f}, "
                f"{r['lingauss_unidentifiable_ci_high']:.2f}] of {r['lingauss_unidentifiable_edges']} {edges}")

    lines = []
    for _, r in sim[sim["reads_simulator"]].sort_values("lingauss_unidentifiable_mean", ascending=False).iterrows():
        how = ("it reads the simulator, not the data." if r["lingauss_unidentifiable_mean"] > 0.5 else
               "systematically reversed: it reads a simulator cue backwards, not the data.")
        lines.append(f"- **{r['method']}** orients edges that no observational data can orient: {num(r)} on "
                     f"observational linear-Gaussian data (chance: 0.5); {how}")
    fair = sim[~sim["reads_simulator"]]
    if len(fair):
        lines.append("- At chance on those edges, as the data allow (interval contains 0.5): "
                     + ", ".join(f"{r['method']} {num(r, 'edges')}" for _, r in fair.iterrows()) + ".")
    return lines


def shortcuts_section(jobs: pd.DataFrame, plot_dir: Path) -> tuple[list[str], list[Path]]:
    lines, figs = ["## Shortcuts: raw vs standardized data, in vs out of distribution", ""], []
    triv = jobs[is_trivial(jobs)].groupby(["suite", "method"])["auroc"].mean().dropna()
    means = jobs[~is_trivial(jobs)].groupby(["suite", "method"])["auroc"].mean()
    if len(triv):
        lines += [f"The trivial baseline to beat on each suite (best mean AUROC among {', '.join(TRIVIAL_METHODS)}):",
                  "", *[f"- `{suite}`: **{g.droplevel(0).idxmax()}** (AUROC {g.max():.3f}); methods above it: "
                        + (", ".join(sorted(m for (s, m), v in means.items() if s == suite and v > g.max()))
                           or "none") + "." for suite, g in triv.groupby(level=0)], ""]
    lines += ["Unidentifiable edges: on observational linear-Gaussian data the CPDAG is exactly what the data "
              "identify, so the true edges it leaves undirected can only be oriented at chance (0.5) by a method that "
              "reads the data.", "", *simulator_lines(jobs), ""]
    scal = shortcut_table(paired_by_scaling(jobs), "scaling", SCALING_ORDER)
    if scal.empty:
        lines.append("This run has no datasets tagged with a scaling, so the shortcut comparison is empty.")
    else:
        lines += ["The same SCMs (same `data_seed`) raw, z-scored after generation, and standardized inside "
                  "generation (iSCM); mean over them. `gap` is AUROC minus the best trivial baseline's on the same "
                  "datasets (the baseline a method must beat is named).", "",
                  md_table(scal.drop(columns="trivial").assign(scaling=scal["scaling"].map(SCALING_LABEL))
                           .rename(columns=SHORT_NAMES)), "",
                  *(sentences(scal) or ["- No method's lead over the trivial baselines depends on the data's scale."]),
                  ""]
        try:
            figs.append(_plot(scal, plot_dir, jobs["method"]))
        except Exception as e:  # a figure must not cost the report
            lines.append(f"(shortcuts figure failed: {type(e).__name__}: {e})")
    if "ood" in jobs and jobs["ood"].notna().any():
        ood = shortcut_table(jobs.assign(ood=jobs["ood"].map({True: "out", False: "in"})), "ood", ["in", "out"])
        if not ood.empty:
            lines += ["In vs out of the learned model's training distribution:", "",
                      md_table(ood.drop(columns="trivial").rename(columns=SHORT_NAMES)), ""]
    return lines, figs


def _plot(scal: pd.DataFrame, plot_dir: Path, all_methods) -> Path:
    """AUROC and orientation per method across scalings, in the run's method colours."""
    markers = plots.method_markers(all_methods)
    data = scal.assign(scaling=scal["scaling"].map(SCALING_LABEL))
    order = sorted(data["method"].unique())
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    kw = dict(x="scaling", hue="method", hue_order=order, palette=plots.method_colors(all_methods),
              dodge=0.4 if len(order) > 1 else False, markers=[markers[m] for m in order], linewidth=1.4, markersize=5,
              order=[SCALING_LABEL[v] for v in SCALING_ORDER if SCALING_LABEL[v] in set(data["scaling"])])
    sns.pointplot(data=data, y="auroc", ax=axes[0], legend=False, **kw)
    sns.pointplot(data=data, y="orientation_accuracy", ax=axes[1], **kw)
    axes[0].set_title("AUROC: the same graphs, " + " → ".join(kw["order"]))  # the scalings this run has
    axes[1].set_title("orientation accuracy")
    for ax in axes:
        plots.chance_line(ax, "auroc")
    plots.legend_outside(axes[1])
    return plots._save(fig, plot_dir / "shortcuts.png")
