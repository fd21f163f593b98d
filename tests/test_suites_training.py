"""The ``ood`` tags describe the distribution the shipped TabSCM model was trained on; the ``shift`` tags the
axis a shift suite moves away from the base distribution."""
import json
from pathlib import Path

import datasets
from datasets.generator import INTERVENTIONS, NOISES
from datasets.suites import BASE_DISTRIBUTION, TRAINING_DISTRIBUTION

#: The shipped checkpoint's sidecar: the config it was trained with, whichever config file that was.
SHIPPED = Path(__file__).resolve().parent.parent / "methods" / "tabscm" / "checkpoints" / "tabscm.json"


def test_training_distribution_matches_the_shipped_checkpoints_config():
    data = json.loads(SHIPPED.read_text())["config"]["data"]
    t = TRAINING_DISTRIBUTION
    assert tuple(data["d"]) == t["d"] and tuple(data["n"]) == t["n"]
    assert tuple(data["edge_prob"]) == t["edge_prob"] and tuple(data["expected_degree"]) == t["expected_degree"]
    assert set(data["nonlinear"]) | {"linear"} == set(t["mechanisms"])
    assert set(data["noise"]) == set(t["noises"]) == set(NOISES) and set(data["graph"]) == set(t["graphs"])
    assert (data["mixed_share"] > 0) == t["mixed"] and set(data["interventions"]) == set(INTERVENTIONS)
    assert data["intervention_share"][1] <= t["intervention_share"][1]
    assert ("measurement_share" in data) == t.get("measured", False)


def test_the_training_distribution_covers_the_base_one():
    b, t = BASE_DISTRIBUTION, TRAINING_DISTRIBUTION
    assert set(b["graphs"]) <= set(t["graphs"]) and set(b["noises"]) <= set(t["noises"])
    for key in ("d", "n", "edge_prob", "expected_degree", "intervention_share"):
        assert t[key][0] <= b[key][0] and b[key][1] <= t[key][1], key


def test_shift_suites_move_one_axis_and_the_model_trained_on_all_of_them():
    for suite in ["ood-sf", "ood-dense", "ood-noise", "ood-n", "ood-mech"]:
        refs = datasets.suite_refs(suite)
        assert all(ref.tags["shift"] != "none" for ref in refs), suite
        assert not any(ref.tags["ood"] for ref in refs), suite
    assert {ref.tags["shift"] for ref in datasets.suite_refs("in-dist")} == {"none"}
    # the report's SCMs: in distribution up to d = 60, outside above it
    for ref in datasets.suite_refs("tabscm"):
        assert ref.tags["ood"] == (ref.tags["d"] > TRAINING_DISTRIBUTION["d"][1]), ref.name
