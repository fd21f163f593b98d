"""Job keys follow what a job depends on; a setting is an identity."""
import shutil
from pathlib import Path

import pytest

import datasets
from bench.jobs import build_jobs, code_digest, label

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def quick():
    return [(ds, "quick", {}) for ds in datasets.load_suite("quick")[:2]]


def test_labels_name_non_default_parameters(quick):
    jobs = build_jobs(["abs-corr", "abs-corr(edges_per_node=2.0)", "pc(indep_test=kci,alpha=0.2)"], quick, 1)
    assert sorted({j.label for j in jobs}) == ["abs-corr", "abs-corr(edges_per_node=2.0)",
                                               "pc(alpha=0.2,indep_test='kci')"]
    assert label("pc", {"alpha": 0.05}, {"alpha": 0.05}) == "pc"
    assert len({j.key for j in jobs}) == len(jobs)


def test_a_stochastic_baseline_runs_several_seeds(quick):
    jobs = build_jobs(["random", "abs-corr"], quick, 1)
    assert sum(j.method == "random" for j in jobs) == 5 * len(quick)
    assert sum(j.method == "abs-corr" for j in jobs) == len(quick)


def test_a_deterministic_method_runs_once_whatever_the_seeds(quick):
    """More seeds of a deterministic method repeat its output: they would pose as replicates."""
    for seeds in (1, 3, 7):
        jobs = build_jobs(["random", "abs-corr", "pc"], quick, seeds)
        assert [j.seed for j in jobs if j.method == "abs-corr"] == [0] * len(quick)
        assert [j.seed for j in jobs if j.method == "pc"] == [0] * len(quick)
        assert sum(j.method == "random" for j in jobs) == max(seeds, 5) * len(quick)


def test_an_unrelated_method_module_changes_no_key(quick, tmp_path):
    before = {j.key for j in build_jobs(["pc", "abs-corr", "tabscm"], quick, 1)}
    new = ROOT / "methods" / "zz_unrelated_for_a_test.py"
    shutil.copy(ROOT / "methods" / "baselines.py", tmp_path / "copy.py")
    new.write_text('"""An unrelated method module."""\nfrom .base import Method\n\n\nclass Unrelated(Method):\n'
                   '    def fit(self, obs):\n        raise NotImplementedError\n')
    try:
        code_digest.cache_clear()
        after = {j.key for j in build_jobs(["pc", "abs-corr", "tabscm"], quick, 1)}
    finally:
        new.unlink()
        code_digest.cache_clear()
    assert after == before


def test_a_methods_own_code_is_in_its_key(tmp_path):
    assert code_digest("methods.baselines") != code_digest("methods.classical")
    # what a module imports from the project, directly or not, is part of its code; the rest is not
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name, body in {"__init__": "", "a": "from . import b\n", "b": "from .c import f\n", "c": "f = 1\n",
                       "other": "g = 2\n"}.items():
        (pkg / f"{name}.py").write_text(body)
    before = code_digest("pkg.a", roots=(tmp_path,))
    (pkg / "other.py").write_text("g = 3\n")
    code_digest.cache_clear()
    assert code_digest("pkg.a", roots=(tmp_path,)) == before
    (pkg / "c.py").write_text("f = 2\n")
    code_digest.cache_clear()
    assert code_digest("pkg.a", roots=(tmp_path,)) != before


def test_bad_seeds_are_refused(quick):
    for seeds in (0, 2.9, "3", True):
        with pytest.raises(ValueError, match="seeds must be an integer"):
            build_jobs(["empty"], quick, seeds)


def test_every_job_of_a_stochastic_method_has_its_own_key(quick):
    """The key tells seeds, datasets and settings apart: two seeds of one dataset never share a record."""
    jobs = build_jobs(["random", "abs-corr", "abs-corr(edges_per_node=2.0)"], quick, 1)
    assert len(jobs) == (5 + 2) * len(quick)
    assert len({j.key for j in jobs}) == len(jobs)
    assert {j.key for j in build_jobs(["random"], quick, 1)} <= {j.key for j in jobs}  # stable
