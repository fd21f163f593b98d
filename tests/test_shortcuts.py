"""Shortcut sentences are said only of methods that do better than chance with the cue."""
import pandas as pd

from bench.shortcuts import sentences, simulator_lines, sortability_lines
from bench.tables import jobs_table
from tests.test_tables import LINGAUSS, record


def _twins(method, sortable_auroc, standardized_auroc, n=3):
    """Each SCM raw (sortable) and z-scored (not), with the same data_seed."""
    recs = []
    for i in range(n):
        for scaling, auroc, vs in (("none", sortable_auroc, 0.97), ("zscore", standardized_auroc, 0.5)):
            r = record(method, f"scm{i}-{scaling}", auroc=auroc, tags={"data_seed": i, "scaling": scaling})
            r["dataset_properties"] = {"var_sortability": vs, "r2_sortability": 0.5}
            recs.append(r)
    return recs


def test_sortability_gain_is_not_said_for_a_below_chance_method():
    jobs = jobs_table(_twins("varsort", 0.98, 0.72) + _twins("tabscm-seed", 0.48, 0.36))
    text = "\n".join(sortability_lines(jobs))
    assert "**varsort** gains from it: AUROC 0.980" in text
    assert "tabscm-seed" not in text


def test_sortability_says_none_when_only_below_chance_methods_gain():
    text = "\n".join(sortability_lines(jobs_table(_twins("tabscm-seed", 0.48, 0.36))))
    assert "No method that beats chance" in text


def _scal(method, raw_orient, std_orient):
    return pd.DataFrame([
        {"method": method, "scaling": s, "auroc": 0.6, "f1": 0.3, "orientation_accuracy": o, "trivial": False,
         "best_trivial": "abs-corr", "best_trivial_auroc": 0.7, "gap_to_trivial": -0.1}
        for s, o in (("none", raw_orient), ("zscore", std_orient))])


def test_scale_shortcut_needs_orientation_above_chance_on_raw_data():
    said = sentences(pd.concat([_scal("notears", 0.76, 0.28), _scal("lost", 0.45, 0.25)]))
    assert any("**notears** orients edges by a scale shortcut" in s for s in said)
    assert not any("**lost**" in s for s in said)


def test_simulator_sentence_names_the_reader_and_the_honest_methods():
    recs = [record("tabscm", f"d{i}", learned=True, tags=LINGAUSS, orientation_unidentifiable=v,
                   n_unidentifiable_edges=5) for i, v in enumerate([0.8, 0.9, 0.85, 0.8, 0.9, 0.95])]
    recs += [record("ges", f"d{i}", tags=LINGAUSS, orientation_unidentifiable=v, n_unidentifiable_edges=5)
             for i, v in enumerate([0.5, 0.4, 0.6, 0.5, 0.3, 0.7])]
    lines = simulator_lines(jobs_table(recs))
    assert lines[0].startswith("- **tabscm** orients edges that no observational data can orient: 0.87 [")
    assert "of 30 unidentifiable true edges" in lines[0] and "it reads the simulator, not the data" in lines[0]
    assert "ges 0.50 [" in lines[1] and "tabscm" not in lines[1]


def test_simulator_sentence_without_qualifying_jobs():
    lines = simulator_lines(jobs_table([record("pc")]))
    assert len(lines) == 1 and "to test whether it reads the simulator" in lines[0]
