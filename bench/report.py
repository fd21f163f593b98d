"""Build every output of a run from DIR/jobs: jobs.csv, leaderboard.csv, diagnostics.csv, plots/*.png, report.md."""
import json
import traceback
from pathlib import Path

import pandas as pd

from . import plots
from .graphs import untruthed_lines, write_edge_lists
from .diagnostics import THRESHOLDS
from .leaderboard import AUROC_CI, groups, leaderboard, mean_ci, verdict
from .markdown import ci_text, md_table
from .shortcuts import shortcuts_section, sortability_lines
from .store import current_records
from .tables import READS_SIM_MIN_EDGES, diagnostics_table, jobs_table, summary_flags

LB_COLUMNS = [("AUPRC", "auprc"), ("F1", "f1"), ("SHD", "shd"), ("SHD_cpdag", "shd_cpdag"),
              ("skel. AUROC", "skeleton_auroc"), ("orient.", "orientation_accuracy"),
              ("compelled", "orientation_compelled"), ("unident.", "orientation_unidentifiable"),
              ("runtime s", "runtime_s")]
ONLY_WHERE_RECORDED = ("compelled", "unident.")  # the orient. split, missing from older records


def leaderboard_markdown(lb: pd.DataFrame) -> list[str]:
    """One table per suite/tier; SID stays in leaderboard.csv, to keep the table readable."""
    lines = []
    for suite, tier, g in groups(lb):
        view = pd.DataFrame({
            "rank": g["rank"].map(lambda v: "–" if pd.isna(v) else int(v)), "method": g["method"],
            "ok/jobs": [f"{round(s * j)}/{j}" for s, j in zip(g["success_rate"], g["jobs"])],
            "AUROC [95% CI]": [ci_text(*v) for v in g[AUROC_CI].to_numpy()],
            **{col: g[f"{m}_mean"] for col, m in LB_COLUMNS
               if col not in ONLY_WHERE_RECORDED or (f"{m}_mean" in g and g[f"{m}_mean"].notna().any())}})
        lines += [f"### `{suite}`" + ("" if tier == "all" else f" — tier {tier}"), "", md_table(view), ""]
    return lines


def tuebingen_lines(jobs: pd.DataFrame) -> list[str]:
    """Orientation accuracy on the Tübingen pairs (d = 2: AUROC says little), with a bootstrap interval over pairs."""
    tb = jobs[jobs["suite"] == "tuebingen"]
    if tb.empty:
        return []
    rows = []
    for method, g in tb.groupby("method"):
        per_pair = g.groupby("dataset")["orientation_accuracy"].mean().dropna()
        rows.append({"method": method, "orientation accuracy [95% CI]": ci_text(*mean_ci(per_pair)),
                     "pairs": len(per_pair), "_mean": per_pair.mean()})
    view = pd.DataFrame(rows).sort_values(["_mean", "method"], ascending=[False, True]).drop(columns="_mean")
    return ["## Tübingen cause–effect pairs", "",
            "Share of pairs whose true direction a method scores above the reverse (ties count 1/2), unweighted: the "
            "benchmark's usual weights by source are not available offline. On d = 2 pairs this, not AUROC, is the "
            "number to read; the leaderboard rows stay as they are. Mooij et al. (JMLR 2016) report the classical "
            "bivariate methods (ANM, IGCI and others) at roughly 0.6–0.75 (weighted accuracy).", "",
            md_table(view), ""]


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


def provenance_lines(records: list[dict], superseded: list[dict]) -> list[str]:
    """Warnings a reader needs before any number: records left out, code versions mixed."""
    lines = []
    if superseded:
        n = len(superseded)
        lines.append(f"**{n} job file{' is' if n == 1 else 's are'} superseded** by newer runs of the same jobs "
                     "(same method, parameters, dataset and seed) and left out of every table below.")
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
    paths = [run_dir / name for name in ("jobs.csv", "leaderboard.csv", "diagnostics.csv")]
    for path, df in zip(paths, (jobs, lb, diag)):
        df.to_csv(path, index=False)

    edge_lists = write_edge_lists(jobs, run_dir)  # graphs/*.csv: each job's edges with the variables' names
    plot_dir, figures, plot_errors = run_dir / "plots", [], []
    for make, args in ((plots.metric_boxes, ()), (plots.auroc_vs_d, ()), (plots.runtime_vs_d, ()),
                       (plots.runtime_vs_auroc, ()),
                       (plots.pr_curves, (run_dir,)), (plots.adjacency_heatmaps, (run_dir,)),
                       (plots.sachs_graphs, (run_dir,)), (plots.score_histograms, (run_dir,))):
        try:
            made = make(jobs, *args, plot_dir)
            figures += made if isinstance(made, list) else [made] if made is not None else []
        except Exception as e:  # a broken figure must not cost the tables or the report
            plot_errors.append(f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=2)}")
    shortcut_md, shortcut_figs = shortcuts_section(jobs, plot_dir)
    figures += shortcut_figs
    machine = records[0].get("machine", {})
    lines = ["# TabSCM Bench report", "",
             f"{len(jobs)} jobs ({', '.join(f'{v} {k}' for k, v in jobs['status'].value_counts().items())}); methods: "
             f"{', '.join(sorted(jobs['method'].unique()))}; suites: {', '.join(sorted(jobs['suite'].unique()))}.",
             f"Git {', '.join(sorted({str(r.get('git_commit')) for r in records}))}; machine "
             f"{machine.get('platform')} ({machine.get('cpus')} CPUs). Every number below traces to a file in `jobs/`.",
             *provenance_lines(records, superseded), "",
             "## Verdict", "", *verdict(lb), "",
             "## Failure findings", "", *findings(jobs), "",
             "Per-flag counts per method are in `diagnostics.csv`:", "",
             *[f"- {line}" for line in summary_flags(diag)], "",
             "Thresholds:", "", *[f"- `{k}`: {v}" for k, v in THRESHOLDS.items()],
             "- `reads_simulator`: on observational linear-Gaussian data (where the CPDAG is all the data identify), "
             "the 95% bootstrap interval over jobs of `orientation_unidentifiable` (true edges the CPDAG leaves "
             f"undirected, oriented right) excludes 0.5, on at least {READS_SIM_MIN_EDGES} such edges", "",
             "A failed job (timeout, error, invalid) is scored as the empty graph in every mean below.", "",
             "## Dependence-blindness probe", "", *probe_lines(jobs), "",
             "## Leaderboard", "",
             "Means over jobs with 95% bootstrap intervals; rank by mean AUROC. `ok/jobs`: jobs that finished (the "
             "rest score as the empty graph). `shd` counts a reversal once; `SHD_cpdag` compares equivalence classes; "
             "`skel. AUROC` ignores direction; `orient.` is the share of true edges scored above their reversal, "
             "`compelled` the same over the true edges the truth's essential graph orients (CPDAG; I-essential graph "
             "for interventional data) and `unident.` over those it leaves undirected (on linear-Gaussian data nothing "
             "in the data orients them, so there 0.5 is the honest score). SID (parent-AID for CPDAG outputs) and the "
             "edge counts behind the split are in `leaderboard.csv`. A suite whose datasets differ in kind is also "
             "ranked per **tier**: `small` (synthetic, d <= 30), `large` (synthetic, d >= 50) and `real` (real data, "
             "e.g. Sachs); the suite's row over all its datasets comes first.", "", *leaderboard_markdown(lb),
             *untruthed_lines(jobs, run_dir),
             *tuebingen_lines(jobs),
             "## Sorting shortcuts in the data", "", *sortability_lines(jobs), "", *shortcut_md, "",
             "## Figures", "", *[f"- [{p.name}](plots/{p.name})" for p in figures], "",
             f"Each job's predicted graph, with the variables' names: {len(edge_lists)} edge lists in `graphs/` "
             "(`source,target,score,directed`; an undirected CPDAG edge is one row, directed false)."]
    if plot_errors:
        lines += ["", "Figures that failed to draw:", "", *[f"```\n{e}\n```" for e in plot_errors]]
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
    return paths + [run_dir / "report.md", plot_dir] + ([run_dir / "graphs"] if edge_lists else [])
