"""jobs.csv and diagnostics.csv from job records: settings as identities, trivial baselines by
registry name, and the reads_simulator flag."""
import itertools

import numpy as np
import pytest

from bench.tables import diagnostics_table, jobs_table

_keys = itertools.count()


def record(method, dataset="ds0", *, label=None, learned=None, suite="s", tier=None, seed=0, status="ok",
           tags=None, probe=None, **metrics):
    """A job record as the store holds it; metrics default to a plain, mediocre job."""
    m = {"auroc": 0.7, "auprc": 0.4, "f1": 0.4, "shd": 5.0, "shd_cpdag": 5.0, "sid": 10.0,
         "skeleton_auroc": 0.7, "orientation_accuracy": 0.6, "n_pred_edges": 4.0, "n_true_edges": 5.0}
    m.update(metrics)
    r = {"key": f"k{next(_keys)}", "method": method, "dataset": dataset, "suite": suite, "seed": seed,
         "status": status, "runtime_s": 0.1, "params": {}, "metrics": m, "flags": {},
         "tags": {"suite": suite, **({"tier": tier} if tier else {}), **(tags or {})}}
    r["d"] = r["tags"].get("d")  # the store keeps d at the top level as well
    if label is not None:
        r["label"] = label
    if learned is not None:
        r["learned"] = learned
    if probe is not None:
        r["probe"] = probe
    return r


LINGAUSS = {"mechanism": "linear", "noise": "gaussian", "interventional": False}


def test_label_is_the_method_and_registry_name_is_kept():
    jobs = jobs_table([record("pc", label="pc"), record("pc", label="pc(alpha=0.2)")])
    assert sorted(jobs["method"]) == ["pc", "pc(alpha=0.2)"]
    assert set(jobs["method_name"]) == {"pc"}


def test_old_records_fall_back_to_method_and_probe():
    jobs = jobs_table([record("tabscm", probe={"probe_blind": False, "probe_score_change": 0.3}),
                       record("pc")]).set_index("method")
    assert jobs.loc["tabscm", "learned"] and not jobs.loc["pc", "learned"]
    assert np.isnan(jobs.loc["pc", "orientation_unidentifiable"])  # new metric, absent from old records


def test_a_trivial_baseline_setting_is_still_a_trivial_baseline():
    jobs = jobs_table([record("abs-corr", label="abs-corr(edges_per_node=2.0)", auroc=0.9),
                       record("pc", auroc=0.8)]).set_index("method")
    assert jobs.loc["pc", "trivial_best"] == "abs-corr(edges_per_node=2.0)"
    assert jobs.loc["pc", "no_better_than_trivial"]
    assert not jobs.loc["abs-corr(edges_per_node=2.0)", "no_better_than_trivial"]


def _lingauss_jobs(method, values, edges=4, **tags):
    return [record(method, f"ds{i}", tags={**LINGAUSS, **tags}, orientation_unidentifiable=v,
                   n_unidentifiable_edges=edges) for i, v in enumerate(values)]


@pytest.mark.parametrize("values, edges, flagged", [
    ([0.9, 0.85, 1.0, 0.8, 0.95, 0.9, 0.85, 1.0], 4, True),    # orients what the data cannot: reads the simulator
    ([0.1, 0.2, 0.0, 0.15, 0.1, 0.2, 0.05, 0.1], 4, True),     # systematically reversed: also not the data
    ([0.2, 0.8, 0.4, 0.6, 0.5, 0.3, 0.7, 0.5], 4, False),      # at chance, as the data allow
    ([1.0], 4, False),                                         # too few unidentifiable edges to say
])
def test_reads_simulator_flag(values, edges, flagged):
    diag = diagnostics_table(jobs_table(_lingauss_jobs("m", values, edges))).set_index("method")
    assert bool(diag.loc["m", "reads_simulator"]) is flagged
    assert diag.loc["m", "lingauss_unidentifiable_edges"] == edges * len(values)


def test_reads_simulator_ignores_interventional_and_nonlinear_data():
    recs = _lingauss_jobs("m", [0.95] * 8, interventional=True) + _lingauss_jobs("m", [0.95] * 8, mechanism="mlp")
    diag = diagnostics_table(jobs_table(recs)).set_index("method")
    assert not diag.loc["m", "reads_simulator"]
