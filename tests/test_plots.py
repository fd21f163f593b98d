"""One colour per method, the same in every figure and every run; figures that do not mislead: real data apart from
synthetic lines, step-wise precision-recall, nothing drawn that needs a truth where there is none."""
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest

from bench import plots
from bench.shortcuts import paired_by_scaling, shortcut_table, SCALING_ORDER, _plot as shortcuts_plot
from bench.tables import jobs_table
from tests.test_tables import record

METHODS = ["abs-corr", "abs-corr(edges_per_node=2.0)", "ges", "pc", "pc(alpha=0.2)", "tabscm"]


def test_styles_are_distinct_and_a_methods_colour_does_not_depend_on_the_others():
    labels = [f"m{i:02d}" for i in range(45)]
    styles = plots.method_styles(labels)
    assert len({(mcolors.to_hex(c), m) for c, m in styles.values()}) == len(labels)  # no colour+marker pair twice
    assert plots.method_styles(list(reversed(labels)) + labels[:5]) == styles
    import methods
    registered = methods.list_methods()
    alone = {m: plots.method_colors([m])[m] for m in registered}
    assert plots.method_colors(registered) == alone  # a method keeps its colour when others are added
    assert len({mcolors.to_hex(c) for c in alone.values()}) == len(registered)  # and no two registered share one
    assert plots.method_colors(registered + labels) == {**alone, **plots.method_colors(labels)}


@pytest.fixture
def drawn(monkeypatch):
    """Figures as they are saved, instead of files."""
    figs = {}

    def keep(fig, path):
        figs[Path(path).name] = fig
        return Path(path)

    monkeypatch.setattr(plots, "_save", keep)
    return figs


def _legend_colors(fig) -> dict[str, str]:
    out = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            color = handle.get_color() if hasattr(handle, "get_color") else handle.get_facecolor()
            out[label] = mcolors.to_hex(color)
    return out


def _jobs():
    recs = []
    for i, (d, scaling) in enumerate([(10, "none"), (10, "zscore"), (20, "none"), (20, "zscore")]):
        for m in METHODS:
            name = m.split("(")[0]
            recs.append(record(name, f"ds{i}", label=m, auroc=0.5 + 0.05 * METHODS.index(m),
                               tags={"d": d, "data_seed": d, "scaling": scaling, "mechanism": "linear"}))
    return jobs_table(recs)


def test_every_figure_uses_the_runs_colour_for_a_method(drawn, tmp_path):
    jobs = _jobs()
    expected = {m: mcolors.to_hex(c) for m, c in plots.method_colors(jobs["method"]).items()}
    plots.auroc_vs_d(jobs, tmp_path)
    plots.runtime_vs_d(jobs, tmp_path)
    scal = shortcut_table(paired_by_scaling(jobs), "scaling", SCALING_ORDER)
    shortcuts_plot(scal[scal["method"] != "ges"], tmp_path, jobs["method"])  # a subset keeps its colours
    for name in ("auroc_vs_d.png", "runtime_vs_d.png", "shortcuts.png"):
        seen = _legend_colors(drawn[name])
        assert seen and all(seen[m] == expected[m] for m in seen), name
    assert set(_legend_colors(drawn["auroc_vs_d.png"])) == set(METHODS)
    assert drawn["shortcuts.png"].axes[0].get_title().endswith("graphs, raw → z-scored")  # the scalings it has


def test_auroc_vs_d_has_one_line_per_method(drawn, tmp_path):
    jobs = _jobs()
    plots.auroc_vs_d(jobs, tmp_path)
    ax = drawn["auroc_vs_d.png"].axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in METHODS]
    assert len(lines) == len(METHODS) and all(len(ln.get_xdata()) == 2 for ln in lines)


def test_box_plots_colour_boxes_by_method(drawn, tmp_path):
    jobs = _jobs()
    paths = plots.metric_boxes(jobs, tmp_path)
    assert [p.name for p in paths] == ["auroc_by_mechanism.png"]
    ax = drawn["auroc_by_mechanism.png"].axes[0]
    faces = [mcolors.to_hex(p.get_facecolor()) for p in ax.patches][:len(METHODS)]
    expected = plots.method_colors(jobs["method"])
    assert faces == [mcolors.to_hex(expected[m]) for m in sorted(METHODS)]


def test_paired_scatter_has_a_point_per_dataset_and_the_diagonal(drawn, tmp_path):
    from bench.leaderboard import leaderboard
    recs = [record(m, f"d{i}", suite=s, learned=m == "tabscm" or None, seed=seed,
                   auroc=(0.9 if m == "tabscm" and i % 3 else 0.6) if m != "abs-corr" else 0.7)
            for s in ("s1", "s2") for i in range(5) for m in ("tabscm", "abs-corr", "pc")
            for seed in (range(3) if m == "tabscm" else [0])]
    jobs = jobs_table(recs)
    plots.paired_scatter(jobs, leaderboard(jobs), tmp_path)
    fig = drawn["paired_scatter.png"]
    panels = [ax for ax in fig.axes if ax.collections]
    assert len(panels) == 2  # one per suite
    ax = panels[0]
    assert len(ax.collections[0].get_offsets()) == 5  # datasets, not jobs (tabscm ran 3 seeds)
    diag = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == list(ln.get_ydata())]
    assert diag and "3 above, 0 on, 2 below" in ax.get_title()
    assert sorted(t.get_text() for t in ax.texts) == ["2", "3"]  # points on one spot say how many they are


def test_cd_diagram_is_drawn_from_the_rank_test(drawn, tmp_path):
    import pandas as pd
    from bench.paired import rank_test
    m = pd.DataFrame({"a": [0.9, 0.8, 0.85, 0.7, 0.95, 0.9], "b": [0.7, 0.75, 0.6, 0.65, 0.8, 0.7],
                      "c": [0.5, 0.55, 0.5, 0.6, 0.5, 0.52]}, index=[f"d{i}" for i in range(6)])
    ranks, friedman, nemenyi = rank_test(m)
    paths = plots.cd_diagrams(jobs_table([record(x) for x in "abc"]), [("s", "all", ranks, friedman, nemenyi)],
                              tmp_path)
    assert [p.name for p in paths] == ["cd_s.png"]
    text = " ".join(t.get_text() for ax in drawn["cd_s.png"].axes for t in ax.texts)
    assert all(name in text for name in "abc") and "(1.00)" in text and "(3.00)" in text


def test_training_coverage_draws_the_benchmark_datasets_against_the_training_cloud(tmp_path, monkeypatch):
    import pandas as pd

    from bench import training_coverage as coverage
    from bench.plots import training_coverage
    from tests.test_report import _coverage_jobs

    rng = np.random.default_rng(0)
    cloud = pd.DataFrame({"kurtosis_max": rng.gamma(2, size=200), "n": rng.integers(50, 3000, 200).astype(float),
                          "abs_corr_mean": rng.uniform(0, 0.6, 200), "nonlinearity_median": rng.uniform(0, 0.1, 200)})
    asked = []
    monkeypatch.setattr(coverage, "reference_for", lambda name, params: asked.append(name) or coverage.Reference(cloud))
    paths = training_coverage(_coverage_jobs(), tmp_path)
    assert [p.name for p in paths] == ["training_coverage_tabscm.png"] and paths[0].stat().st_size > 10_000
    assert asked == ["tabscm"]  # learned methods only
    assert training_coverage(_coverage_jobs().drop(columns=["outside_training"]), tmp_path) == []


def test_training_coverage_names_a_few_far_datasets_and_none_over_another(drawn, tmp_path, monkeypatch):
    """Every real or outside dataset named made 99 Tübingen labels one black smear: a panel names at most
    COVERAGE_LABELS, the farthest from the training cloud first, no two where they would overlap."""
    import pandas as pd

    from bench import training_coverage as coverage
    from tests.test_report import _coverage_jobs

    rng = np.random.default_rng(0)
    cloud = pd.DataFrame({"kurtosis_max": rng.gamma(2, size=200), "n": rng.integers(50, 3000, 200).astype(float),
                          "abs_corr_mean": rng.uniform(0, 0.6, 200), "nonlinearity_median": rng.uniform(0, 0.1, 200)})
    monkeypatch.setattr(coverage, "reference_for", lambda name, params: coverage.Reference(cloud))
    row = _coverage_jobs().iloc[0]
    rows = [{**row, "dataset": f"far{i:02d}", "ds_kurtosis_max": 50.0 + i, "ds_n": 5000.0 * 1.5 ** i}
            for i in range(30)]  # spread along a line beyond the cloud, farther with i
    rows += [{**row, "dataset": f"clump{i}", "ds_kurtosis_max": 1000.0, "ds_n": 5000.0} for i in range(5)]
    plots.training_coverage(pd.DataFrame(rows), tmp_path)
    ax = drawn["training_coverage_tabscm.png"].axes[0]
    names = [t.get_text() for t in ax.texts]
    assert len(names) == plots.COVERAGE_LABELS and names[0] == "far29"  # the farthest first
    assert "far28" not in names  # it would be written over far29
    assert sum(n.startswith("clump") for n in names) == 1  # five at one point: one name
    assert f"named: {len(names)} of the 35" in ax.get_title()


def _mixed_jobs():
    """Synthetic d = 10 and 20 and a real dataset at d = 11, as the default suite has."""
    recs = []
    for ds, d, real in (("syn10", 10, False), ("syn20", 20, False), ("sachs", 11, True)):
        tags = {"d": d, "mechanism": "real" if real else "linear", **({"shift": "real data", "tier": "real"}
                                                                         if real else {"tier": "small"})}
        recs += [record(m, ds, suite="default", auroc=0.6, tags=tags) for m in ("pc", "ges")]
    return jobs_table(recs)


def test_real_data_is_never_on_a_line_through_synthetic_sizes(drawn, tmp_path):
    plots.auroc_vs_d(_mixed_jobs(), tmp_path)
    fig = drawn["auroc_vs_d.png"]
    titles = [ax.get_title() for ax in fig.axes]
    syn, real = (fig.axes[[i for i, t in enumerate(titles) if key in t][0]] for key in ("synthetic", "real data"))
    for line in syn.get_lines():
        if line.get_label() in ("pc", "ges"):
            assert sorted(line.get_xdata()) == [10, 20]
    assert [ln for ln in real.get_lines() if ln.get_label() in ("pc", "ges")]
    assert all(ln.get_linestyle() == "None" for ln in real.get_lines() if ln.get_label() in ("pc", "ges"))


def test_a_suite_of_one_size_is_points_not_a_line_and_pairs_get_no_boxes(drawn, tmp_path):
    """A synthetic suite with one d (the cause-effect pairs) has no trend to draw; a pair's AUROC is 0, 1/2 or 1, so a
    box from 0 to 1 would hide the share; the boxes keep the other datasets."""
    pairs = [record(m, f"p{i}", suite="pairs", auroc=float(i % 2), tags={"d": 2, "data_seed": i, "mechanism": "mlp"})
             for i in range(4) for m in ("pc", "ges")]
    plots.auroc_vs_d(jobs_table(pairs), tmp_path)
    ax = drawn["auroc_vs_d.png"].axes[0]
    assert "one size" in ax.get_xlabel() and [t.get_text() for t in ax.get_xticklabels()] == ["4 datasets, d = 2 (mean)"]
    assert all(ln.get_linestyle() == "None" for ln in ax.get_lines() if ln.get_label() in ("pc", "ges"))
    assert plots.metric_boxes(jobs_table(pairs), tmp_path) == []
    big = [record(m, "big", suite="s", tags={"d": 10, "data_seed": 9, "mechanism": "linear"}) for m in ("pc", "ges")]
    plots.metric_boxes(jobs_table(pairs + big), tmp_path)
    assert [ax.get_title() for ax in drawn["auroc_by_mechanism.png"].axes if ax.get_visible()] == ["linear (1 datasets)"]


def _run_with_arrays(tmp_path, truth, preds: dict, has_truth=True):
    """A run folder with one dataset (truth [d, d]) and one job per method, its scores/graph in jobs/*.npz."""
    from bench.store import write_result
    (tmp_path / "truths").mkdir(parents=True, exist_ok=True)
    np.save(tmp_path / "truths" / "dig.npy", truth)
    (tmp_path / "truths" / "dig.names").write_text("\n".join(f"v{i}" for i in range(len(truth))))
    recs = []
    for m, (scores, graph) in preds.items():
        r = record(m, "ds", tags={"d": len(truth)}, **({} if has_truth else {"auroc": float("nan")}))
        r.update(dataset_digest="dig", dataset_properties={"has_truth": has_truth})
        if not has_truth:
            r["metrics"] = {}
        write_result(tmp_path, r, {"scores": scores, "graph": graph})
        recs.append(r)
    return jobs_table(recs)


def _truth_and_preds(seed=0, d=8):
    rng = np.random.default_rng(seed)
    truth = np.triu(rng.random((d, d)) < 0.4, 1).astype(np.int8)
    noisy = truth + rng.random((d, d))
    np.fill_diagonal(noisy, 0)
    return truth, {"empty": (np.zeros((d, d)), np.zeros((d, d), np.int8)),
                   "scorer": (noisy, (noisy > 1).astype(np.int8)),
                   "graph-only": (truth.astype(float), truth)}


def test_pr_curves_are_steps_and_a_constant_is_one_point(drawn, tmp_path):
    truth, preds = _truth_and_preds()
    plots.pr_curves(_run_with_arrays(tmp_path, truth, preds), tmp_path, tmp_path)
    ax = drawn["pr_curves.png"].axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert len(lines["empty"].get_xdata()) == 1 and lines["empty"].get_linestyle() == "None"
    assert lines["empty"].get_xdata()[0] == 1.0  # everything predicted: recall 1 at the share of true edges
    assert lines["graph-only"].get_linestyle() == "None"  # a graph has points, not a line between them
    assert lines["scorer"].get_drawstyle() == "steps-post"


def test_without_a_truth_no_figure_needs_one(drawn, tmp_path):
    truth, preds = _truth_and_preds()
    jobs = _run_with_arrays(tmp_path, np.zeros_like(truth), preds, has_truth=False)
    assert plots.auroc_vs_d(jobs, tmp_path) is None and plots.pr_curves(jobs, tmp_path, tmp_path) is None
    assert plots.runtime_vs_auroc(jobs, tmp_path) is None and plots.metric_boxes(jobs, tmp_path) == []
    [path] = plots.adjacency_heatmaps(jobs, tmp_path, tmp_path)
    titles = [ax.get_title() for ax in drawn[path.name].axes if ax.get_title()]
    assert titles and all(t.endswith(": scores") for t in titles)  # no empty truth panel


def test_adjacency_shows_names_a_colour_bar_and_says_what_it_shows(drawn, tmp_path):
    truth, preds = _truth_and_preds()
    [path] = plots.adjacency_heatmaps(_run_with_arrays(tmp_path, truth, preds), tmp_path, tmp_path)
    fig = drawn[path.name]
    heat = [ax for ax in fig.axes if ax.get_title()]
    assert heat[0].get_title() == "true graph" and all(ax.get_title().endswith(": scores") for ax in heat[1:])
    assert [t.get_text() for t in heat[1].get_xticklabels()] == [f"v{i}" for i in range(len(truth))]
    assert len(fig.axes) == 2 * len(heat)  # a colour bar beside every panel
    assert "scores" in fig._suptitle.get_text()


def test_score_histograms_print_no_axis_offset(drawn, tmp_path):
    truth, preds = _truth_and_preds()
    d = len(truth)
    preds["near-constant"] = (0.2674 + 1e-7 * np.random.default_rng(1).random((d, d)), np.zeros((d, d), np.int8))
    plots.score_histograms(_run_with_arrays(tmp_path, truth, preds), tmp_path, tmp_path)
    fig = drawn["score_histograms.png"]
    fig.canvas.draw()
    assert all(ax.xaxis.get_offset_text().get_text() == "" for ax in fig.axes)
