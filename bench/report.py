"""Build every output of a run from DIR/jobs: jobs.csv, leaderboard.csv, diagnostics.csv, plots/*.png, report.md."""
import json
import sys
from pathlib import Path

import pandas as pd

from . import plots
from .atomic import write_atomic, write_text
from .coverage import coverage_lines
from .diagnostics import THRESHOLDS
from .graphs import untruthed_lines, write_edge_lists
from .leaderboard import AUROC_CI, dataset_means, groups, leaderboard, mean_ci, verdict
from .markdown import ci_text, md_table, p_text
from .paired import paired_table, rank_matrices, rank_test
from .shortcuts import shortcuts_section, sortability_lines
from .store import current_records, stale_jobs
from .tables import READS_SIM_MIN_EDGES, diagnostics_table, jobs_table, summary_flags

# Every figure of a run: its function in bench.plots and what it needs beside the jobs table and the folder
# it writes to. A figure that cannot be drawn is named at the top of the report and on stderr, one line each.
FIGURES = (("metric_boxes", ()), ("auroc_vs_d", ()), ("runtime_vs_d", ()), ("runtime_vs_auroc", ()),
           ("pr_curves", ("run_dir",)), ("adjacency_heatmaps", ("run_dir",)), ("sachs_graphs", ("run_dir",)),
           ("score_histograms", ("run_dir",)), ("paired_scatter", ("lb",)), ("cd_diagrams", ("cd",)),
           ("training_coverage", ()))
LB_COLUMNS = [("AUPRC", "auprc"), ("F1", "f1"), ("SHD", "shd"), ("SHD_cpdag", "shd_cpdag"),
              ("skel. AUROC", "skeleton_auroc"), ("orient.", "orientation_accuracy"),
              ("compelled", "orientation_compelled"), ("unident.", "orientation_unidentifiable"),
              ("runtime s", "runtime_s")]
ONLY_WHERE_RECORDED = ("compelled", "unident.")  # the orient. split, missing from older records


def leaderboard_markdown(lb: pd.DataFrame) -> list[str]:
    """One table per suite/tier; SID stays in leaderboard.csv, to keep the table readable."""
    lines = []
    for suite, tier, g in groups(lb):
        partial = (g["ranked_datasets"] < g["n_datasets"]).any()
        view = pd.DataFrame({
            "rank": g["rank"].map(lambda v: "–" if pd.isna(v) else int(v)), "method": g["method"],
            "ok/jobs": [f"{round(s * j)}/{j}" for s, j in zip(g["success_rate"], g["jobs"])],
            "datasets": g["n_datasets"].astype(int),
            "AUROC [95% CI]": [ci_text(*v) for v in g[AUROC_CI].to_numpy()],
            **({f"AUROC on the {int(g['ranked_datasets'].iloc[0])} shared": g["ranked_auroc"]} if partial else {}),
            **{col: g[f"{m}_mean"] for col, m in LB_COLUMNS
               if col not in ONLY_WHERE_RECORDED or (f"{m}_mean" in g and g[f"{m}_mean"].notna().any())}})
        lines += [f"### `{suite}`" + ("" if tier == "all" else f" — tier {tier}"), ""]
        if partial:
            lines += [f"Ranked on the {int(g['ranked_datasets'].iloc[0])} datasets every method here has a record on "
                      f"(of {int(g['n_datasets'].max())}); the other columns are over each method's own datasets.", ""]
        lines += [md_table(view), ""]
    return lines


def paired_lines(paired: pd.DataFrame, cd: list[tuple]) -> list[str]:
    """Per suite/tier: AUROC of every method against the winner and the best trivial baseline, then the learned
    methods against the baseline on every headline metric, then the rank test where there are enough datasets."""
    if paired.empty:
        return ["No suite here has two methods to pair."]
    lines = ["Per suite and tier, on the datasets both methods have a record on (a stochastic method's seeds averaged "
             "first): how often a method beats the reference dataset by dataset (ties named), the mean difference "
             "(method minus reference; for SHD lower is better, so a win is a negative difference) with its 95% "
             "bootstrap interval over datasets (none from fewer than 3), and the two-sided Wilcoxon signed-rank p "
             "(ties dropped). All of it, per headline metric, is in `paired.csv`.", ""]
    ranks = {(s, t): (r, p) for s, t, r, p, _ in cd}
    for (suite, tier), g in paired.groupby(["suite", "tier"], sort=True):
        auroc = g[g["metric"] == "auroc"]
        role = auroc["role"] + ("" if (g["role"] == "winner").any() else ", the winner")
        view = pd.DataFrame({"method": auroc["method"], "vs": auroc["reference"] + " (" + role + ")",
                             "datasets": auroc["datasets"], "wins / ties / losses": [
                                 f"{int(w)} / {int(t)} / {int(l)}" for w, t, l in
                                 auroc[["wins", "ties", "losses"]].to_numpy()],
                             "AUROC difference [95% CI]": [ci_text(m, lo, hi, signed=True) for m, lo, hi in
                                                           auroc[["mean_diff", "ci_low", "ci_high"]].to_numpy()],
                             "Wilcoxon p": auroc["p_wilcoxon"].map(p_text)})
        lines += [f"### `{suite}`" + ("" if tier == "all" else f" — tier {tier}"), "", md_table(view), ""]
        learned = g[g["learned"] & (g["role"] == "best trivial")]
        for (method, ref), r in learned.groupby(["method", "reference"], sort=False):
            lines += [f"**{method}** (learned) against the best trivial baseline {ref}, every headline metric:", "",
                      md_table(pd.DataFrame({
                          "metric": r["metric"], "datasets": r["datasets"],
                          "wins / ties / losses": [f"{int(w)} / {int(t)} / {int(l)}" for w, t, l in
                                                   r[["wins", "ties", "losses"]].to_numpy()],
                          f"{method}": r["method_mean"], f"{ref}": r["reference_mean"],
                          "difference [95% CI]": [ci_text(m, lo, hi, signed=True) for m, lo, hi in
                                                  r[["mean_diff", "ci_low", "ci_high"]].to_numpy()],
                          "Wilcoxon p": r["p_wilcoxon"].map(p_text)})), ""]
        if (suite, tier) in ranks:
            r, p = ranks[(suite, tier)]
            t = p_text(p)
            lines += [f"Average AUROC rank over {r.attrs['datasets']} datasets (1 = best): " + ", ".join(
                f"{m} {v:.2f}" for m, v in r.items()) + "; Friedman p " + ("" if t.startswith("<") else "= ") + t +
                ("" if p < 0.05 else " (no difference among the ranks at 0.05, so Nemenyi's pairs say nothing more)")
                + f". Critical-difference diagram (Nemenyi, 0.05): `plots/{plots.cd_name(suite, tier)}`; Nemenyi's "
                "test of all pairs at once is more conservative than the paired tests above, so a bar joining two "
                "methods there does not contradict a paired p < 0.05 here.", ""]
    return lines


def pair_suites(jobs: pd.DataFrame) -> list[str]:
    """The suites of a run whose every dataset has two variables: on those, orientation is the number to read."""
    if "d" not in jobs:
        return []
    return sorted(suite for suite, g in jobs.groupby("suite") if (g["d"] == 2).all())


def pair_lines(jobs: pd.DataFrame) -> list[str]:
    """One section per cause-effect suite (d = 2: AUROC says little): each method's orientation accuracy with a
    bootstrap interval over pairs, the share of pairs it scores equal both ways (no call: 1/2), and per kind of
    pair where the suite tags them (the synthetic ``pairs``)."""
    out = []
    for suite in pair_suites(jobs):
        tb = jobs[jobs["suite"] == suite]
        per_pair = dataset_means(tb, ["orientation_accuracy"])["orientation_accuracy"]
        ties = (tb["orientation_accuracy"] == 0.5).groupby(tb["method"]).mean()  # over jobs: seeds apart
        rows = []
        for method, v in per_pair.groupby(level="method"):
            v = v.dropna()
            rows.append({"method": method, "orientation accuracy [95% CI]": ci_text(*mean_ci(v)), "pairs": len(v),
                         "equal scores": f"{ties[method]:.2f}", "_mean": v.mean()})
        view = pd.DataFrame(rows).sort_values(["_mean", "method"], ascending=[False, True]).drop(columns="_mean")
        if suite == "tuebingen":
            head = ["## Tübingen cause–effect pairs", "",
                    "Share of pairs whose true direction a method scores above the reverse (ties count 1/2), "
                    "unweighted: the benchmark's usual weights by source are not available offline. On d = 2 pairs "
                    "this, not AUROC, is the number to read; the leaderboard rows stay as they are. Mooij et al. "
                    "(JMLR 2016) report the classical bivariate methods (ANM, IGCI and others) at roughly 0.6–0.75 "
                    "(weighted accuracy)."]
        else:
            head = [f"## Cause–effect pairs: `{suite}`", "",
                    "Share of pairs whose true direction a method scores above the reverse (ties count 1/2). On "
                    "d = 2 pairs this, not AUROC, is the number to read; the leaderboard rows stay as they are."]
        out += [*head, "`equal scores`: the share of pairs a method scores the same both ways (it makes no "
                "call).", "", md_table(view), ""]
        if "kind" in tb and tb["kind"].notna().all():
            kind = tb.drop_duplicates("dataset").set_index("dataset")["kind"]
            kinds = per_pair.to_frame().join(kind, on="dataset").groupby(["method", "kind"])[
                "orientation_accuracy"].mean().unstack("kind")
            kinds = kinds.loc[view["method"]].map(lambda v: f"{v:.2f}").reset_index()
            out += ["Orientation accuracy by kind of pair (a `linear-gaussian` pair is oriented by no data: 0.5 is "
                    "the honest score there, and a method far from it reads something else):", "",
                    md_table(kinds), ""]
    return out


def findings(jobs: pd.DataFrame) -> list[str]:
    """Plain sentences about failures, per method."""
    out = []
    for method, g in jobs.groupby("method"):
        n, said = len(g), []
        if g["empty_output"].all():
            said.append(f"predicted **no edges at all** on every one of its {n} jobs (the original TabSCM failure)")
        elif g["empty_output"].any():
            said.append(f"predicted no edges on {g['empty_output'].sum()}/{n} jobs")
        if g["constant_scores"].any():
            said.append(f"gave constant scores (AUROC exactly 0.5) on {g['constant_scores'].sum()}/{n} jobs")
        if g["chance_auroc"].sum() > n / 2:
            said.append("was indistinguishable from chance (AUROC interval contains 0.5) on "
                        f"{g['chance_auroc'].sum()}/{n} jobs")
        if "no_better_than_trivial" in g and g["trivial_auroc"].notna().any() \
                and (beaten := g["no_better_than_trivial"].sum()) > n / 2:
            said.append(f"was no better than the best trivial baseline on {beaten}/{n} jobs")
        fails = {s: int((g["status"] == s).sum()) for s in ("timeout", "error", "invalid")}
        if any(fails.values()):
            said.append("failed " + ", ".join(f"{v} × {k}" for k, v in fails.items() if v) +
                        " (scored as the empty graph)")
        if said:
            out.append(f"- **{method}** " + "; ".join(said) + ".")
    return out or ["- No method tripped a failure flag on a majority of its jobs."]


def probe_lines(jobs: pd.DataFrame) -> list[str]:
    if "probe_blind" not in jobs or jobs["probe_blind"].isna().all():
        return ["No learned method in this run, so the dependence-blindness probe did not run."]
    from .probe import BLIND_THRESHOLD

    lines = ["Each learned method is refitted on the same data with every column shuffled on its own (marginals kept, "
             "all dependence destroyed), and on a joint row permutation (dependence kept: the noise floor). A method "
             f"whose scores move by less than {BLIND_THRESHOLD} (relative, beyond the noise floor) is **blind to "
             "dependence**: its output cannot be reading causal structure.", ""]
    for method, g in jobs[jobs["probe_blind"].notna()].groupby("method"):
        blind = int(g["probe_blind"].astype(bool).sum())
        verdict = "**BLIND to dependence**" if blind > len(g) / 2 else "responds to dependence"
        lines.append(f"- **{method}**: relative score change {g['probe_score_change'].mean():.3f} (noise floor "
                     f"{g['probe_control_change'].mean():.3f}, excess {g['probe_excess_change'].mean():.3f}); "
                     f"blind on {blind}/{len(g)} datasets: {verdict}.")
    return lines


def training_coverage_lines(jobs: pd.DataFrame, limit: int = 20) -> list[str]:
    """Per learned method that declares its training data: on which datasets its input lies outside it, and where
    (``bench.training_coverage``); which lie inside."""
    if "outside_training" not in jobs or jobs["outside_training"].isna().all():
        return ["No learned method in this run declares its training distribution."]
    from .training_coverage import CENTRAL, CONDITIONAL_FACTOR, TRAINING_DRAWS

    lines = [f"Each learned method's declared training distribution, {TRAINING_DRAWS} datasets drawn from it, against "
             "each dataset here, on descriptors computed from the data alone (`ds_*` in `jobs.csv`). Outside: a "
             f"descriptor beyond the central {CENTRAL:.0%} of the training values, or further from the training "
             "datasets most like it on every other descriptor than "
             f"{CONDITIONAL_FACTOR:g} x the {CENTRAL:.0%} quantile of the same deviation among training datasets, or "
             "the whole descriptor vector further from its nearest training datasets than "
             f"{CENTRAL:.0%} of the training datasets are from theirs.", ""]
    for method, g in jobs[jobs["outside_training"].notna()].groupby("method"):
        ds = g.drop_duplicates("dataset").sort_values("dataset")
        out = ds[ds["outside_training"].astype(bool)]
        lines.append(f"- **{method}**: {len(out)} of {len(ds)} datasets lie outside its training data.")
        for _, r in out.head(limit).iterrows():
            lines.append(f"  - on {r['dataset']}, {method}'s input lies outside its training data on: "
                         f"{r['outside_detail']}.")
        if len(out) > limit:
            lines.append(f"  - and {len(out) - limit} more (`outside_detail` in `jobs.csv`).")
        inside = ds.loc[~ds["outside_training"].astype(bool), "dataset"].tolist()
        if inside:
            shown = ", ".join(inside[:limit]) + (f" and {len(inside) - limit} more" if len(inside) > limit else "")
            lines.append(f"  - inside its training data: {shown}.")
    return lines


def provenance_lines(records: list[dict], superseded: list[dict]) -> list[str]:
    """Warnings a reader needs before any number: records left out, code versions mixed."""
    lines = []
    if superseded:
        n = len(superseded)
        lines.append(f"**{n} job file{' is' if n == 1 else 's are'} superseded**: made by code other than this "
                     "tree's, or older than the current record of the same job (same method, parameters, dataset "
                     "and seed); kept in `jobs/`, left out of every table below (`bench prune DIR` deletes those a current "
                     "record replaces).")
    if stale := stale_jobs(records, superseded):
        n = sum(stale.values())
        lines.append(f"**The current code has no record for {n} job{'' if n == 1 else 's'}** that this folder's runs "
                     f"asked for ({', '.join(f'{m}: {k}' for m, k in stale.items())}): their records were made by "
                     "code this tree no longer holds and are left out of every table below; rerun `bench run` with "
                     "the same arguments to run them with this code.")
    codes = pd.DataFrame({"method": [r.get("label", r["method"]) for r in records],
                          "code": [json.dumps(r.get("code", r.get("code_version"))) for r in records]})
    mixed = sorted(m for m, n in codes.groupby("method", dropna=False)["code"].nunique().items() if n > 1)
    if mixed:
        lines.append(f"**This folder mixes code versions**: the jobs of {', '.join(mixed)} were run by more than one "
                     "version of their code (see `code` in each job file).")
    return [""] + lines if lines else []


def build_outputs(run_dir: str | Path) -> list[Path]:
    """Rebuild every table, plot and report.md from the job files."""
    run_dir = Path(run_dir)
    records, superseded = current_records(run_dir)
    if not records:
        raise ValueError(f"{run_dir}: no finished jobs to report on")
    jobs = jobs_table(records)
    lb, diag = leaderboard(jobs), diagnostics_table(jobs)
    paired = paired_table(jobs, lb)
    paths = [run_dir / name for name in ("jobs.csv", "leaderboard.csv", "diagnostics.csv", "paired.csv")]
    for path, df in zip(paths, (jobs, lb, diag, paired)):
        write_atomic(path, lambda f, df=df: df.to_csv(f, index=False))
    cd = []  # (suite, tier, average ranks, Friedman p, Nemenyi p-values) where a suite has enough datasets
    for suite, tier, matrix in rank_matrices(jobs, lb):
        ranks, friedman, nemenyi = rank_test(matrix)
        ranks.attrs["datasets"] = len(matrix)
        cd.append((suite, tier, ranks, friedman, nemenyi))

    edge_lists = write_edge_lists(jobs, run_dir)  # graphs/*.csv: each job's edges with the variables' names
    plot_dir, figures, plot_errors = run_dir / "plots", [], []
    inputs = {"run_dir": run_dir, "lb": lb, "cd": cd}
    for name, needs in FIGURES:
        try:
            made = getattr(plots, name)(jobs, *(inputs[k] for k in needs), plot_dir)
            figures += made if isinstance(made, list) else [made] if made is not None else []
        except OSError:  # a full or read-only disk is the run's failure, not a figure's
            raise
        except Exception as e:  # a broken figure must not cost the tables or the report, but is said loudly
            plot_errors.append(f"`{name}`: {type(e).__name__}: {' '.join(str(e).split())[:200]}")
            print(f"figure {name} could not be drawn: {type(e).__name__}: {' '.join(str(e).split())[:200]}",
                  file=sys.stderr)
    shortcut_md, shortcut_figs = shortcuts_section(jobs, plot_dir)
    figures += shortcut_figs
    machine = records[0].get("machine", {})
    lines = ["# TabSCM Bench report", "", *coverage_lines(run_dir, jobs), "",
             *([f"**{len(plot_errors)} figure{'s' * (len(plot_errors) != 1)} could not be drawn**: "
                + "; ".join(plot_errors) + ".", ""] if plot_errors else []),
             f"{len(jobs)} jobs ({', '.join(f'{v} {k}' for k, v in jobs['status'].value_counts().items())}); methods: "
             f"{', '.join(sorted(jobs['method'].unique()))}; suites: {', '.join(sorted(jobs['suite'].unique()))}.",
             f"Git {', '.join(sorted({str(r.get('git_commit')) for r in records}))}; machine "
             f"{machine.get('platform')} ({machine.get('cpus')} CPUs). Every number below traces to a file in `jobs/`.",
             *provenance_lines(records, superseded), "",
             "## Verdict", "", *verdict(lb, paired, pair_suites(jobs)), "",
             "## Failure findings", "", *findings(jobs), "",
             "Per-flag counts per method are in `diagnostics.csv`:", "",
             *[f"- {line}" for line in summary_flags(diag)], "",
             "Thresholds:", "", *[f"- `{k}`: {v}" for k, v in THRESHOLDS.items()],
             "- `reads_simulator`: on observational linear-Gaussian data (where the CPDAG is all the data identify), "
             "the 95% bootstrap interval over datasets of `orientation_unidentifiable` (true edges the CPDAG leaves "
             f"undirected, oriented right) excludes 0.5, on at least {READS_SIM_MIN_EDGES} such edges", "",
             "A failed job (timeout, error, invalid) is scored as the empty graph in every mean below.", "",
             "## Dependence-blindness probe", "", *probe_lines(jobs), "",
             "## Paired comparisons", "", *paired_lines(paired, cd), "",
             "## Training coverage of learned methods", "", *training_coverage_lines(jobs), "",
             "## Leaderboard", "",
             "Means over datasets (a stochastic method's seeds averaged within a dataset first) with 95% bootstrap "
             "intervals over datasets (`[–]`: fewer than 3 datasets, no interval); rank by mean AUROC over the "
             "datasets every method of the table has a record on. `ok/jobs`: jobs that finished (the "
             "rest score as the empty graph); a deterministic method runs once per dataset. `shd` counts a reversal once; `SHD_cpdag` compares equivalence classes; "
             "`skel. AUROC` ignores direction; `orient.` is the share of true edges scored above their reversal, "
             "`compelled` the same over the true edges the truth's essential graph orients (CPDAG; I-essential graph "
             "for interventional data) and `unident.` over those it leaves undirected (on linear-Gaussian data nothing "
             "in the data orients them, so there 0.5 is the honest score). SID (parent-AID for CPDAG outputs; undefined, so "
             "left out, for a graph with a directed cycle: `sid_missing` counts those jobs) and the "
             "edge counts behind the split are in `leaderboard.csv`. A suite whose datasets differ in kind is also "
             "ranked per **tier**: `small` (synthetic, d <= 30), `large` (synthetic, d >= 50) and `real` (real data, "
             "e.g. Sachs); the suite's row over all its datasets comes first.", "", *leaderboard_markdown(lb),
             *untruthed_lines(jobs, run_dir),
             *pair_lines(jobs),
             "## Sorting shortcuts in the data", "", *sortability_lines(jobs), "", *shortcut_md, "",
             "## Figures", "", *[f"- [{p.name}](plots/{p.name})" for p in figures], "",
             f"Each job's predicted graph, with the variables' names: {len(edge_lists)} edge lists in `graphs/` "
             "(`source,target,score,directed`; an undirected CPDAG edge is one row, directed false)."]
    write_text(run_dir / "report.md", "\n".join(lines) + "\n")
    for old in set(plot_dir.glob("*.png")) - set(figures):  # an earlier build's figure this one did not draw
        old.unlink()
    return paths + [run_dir / "report.md", plot_dir] + ([run_dir / "graphs"] if edge_lists else [])
