"""The OOD tags of the suites describe the distribution the shipped TabSCM model was trained on."""
from pathlib import Path

import yaml

import datasets
from datasets.suites import TRAINING_DISTRIBUTION

CONFIG = Path(__file__).resolve().parent.parent / "methods" / "tabscm" / "configs" / "tabscm.yaml"


def test_training_distribution_matches_the_tabscm_config():
    data = yaml.safe_load(CONFIG.read_text())["data"]
    t = TRAINING_DISTRIBUTION
    assert tuple(data["d"]) == t["d"] and tuple(data["n"]) == t["n"]
    assert tuple(data["edge_prob"]) == t["edge_prob"] and tuple(data["expected_degree"]) == t["expected_degree"]
    assert set(data["nonlinear"]) | {"linear"} == set(t["mechanisms"])
    assert data["noise"] == t["noise"] and data["scaling"] == t["scaling"]
    assert tuple(data["intervention_share"]) == t["intervention_share"]


def test_ood_suites_are_out_and_the_control_is_in():
    for suite in ["ood-sf", "ood-dense", "ood-noise", "ood-n", "ood-mech"]:
        assert all(ref.tags["ood"] for ref in datasets.suite_refs(suite)), suite
    assert not any(ref.tags["ood"] for ref in datasets.suite_refs("in-dist"))
    # the report's small SCMs differ from training only in having up to 2,000 rows
    assert {ref.tags["shift"] for ref in datasets.suite_refs("tabscm-small")} <= {"none", "n"}
