"""Job keys follow what a job depends on; a setting is an identity."""
import shutil
from pathlib import Path

import numpy as np
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
    # the run sets the seed: a seed given as a parameter is not part of the job's parameters, label or key
    seeded = build_jobs(["random(seed=3)"], quick, 1)
    assert [(j.params, j.label, j.seed) for j in seeded] == [(j.params, j.label, j.seed) for j in jobs
                                                             if j.method == "random"] and not seeded[0].params


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


# --- what a job's key and a record's identity depend on, spelled out (survivors of `make mutation`) ----------

def _small(name="pair", d=2, seed=0):
    from datasets.base import Dataset
    rng = np.random.default_rng(seed)
    return Dataset(name, rng.normal(size=(20, d)), np.triu(np.ones((d, d), int), 1))


def test_a_jobs_key_follows_method_params_dataset_seed_and_code_only():
    from bench.jobs import Job
    ds = _small()
    base = dict(method="m", params={"a": 1}, dataset=ds, suite="s", seed=0, budget_s=1.0, code={"method": "x"})
    key = Job(**base).key
    assert len(key) == 20 and key == Job(**base).key
    for change in ({"method": "n"}, {"params": {"a": 2}}, {"dataset": _small(seed=1)}, {"seed": 1},
                   {"code": {"method": "y"}}):
        assert Job(**{**base, **change}).key != key, change
    for same in ({"suite": "t"}, {"budget_s": 9.0}, {"tags": {"tier": "x"}}, {"label": "m(a=1)"}):
        assert Job(**{**base, **same}).key == key, same
    assert Job(**base).label == "m" and Job(**base).dataset_digest == ds.digest()
    assert Job(**base, key="given").key == "given"  # a stored job keeps its key
    import datetime  # a run file's YAML reads a date as a date: a value JSON has no type for still keys a job
    dated = [Job(**{**base, "params": {"since": datetime.date(2026, 1, day)}}).key for day in (1, 2)]
    assert dated[0] != dated[1] and key not in dated


def test_identity_is_method_params_dataset_and_seed_whatever_the_code():
    from bench.jobs import identity
    r = {"method": "pc", "params": {"alpha": 0.05}, "dataset": "d", "seed": 0, "key": "k1", "code": {"m": "a"}}
    assert identity(r) == identity({**r, "key": "k2", "code": {"m": "b"}, "runtime_s": 3})
    for change in ({"method": "ges"}, {"params": {"alpha": 0.1}}, {"dataset": "e"}, {"seed": 1}):
        assert identity({**r, **change}) != identity(r), change
    # the same setting whatever the order its parameters were written in, and any value a run file can hold (YAML
    # reads a date as a date)
    import datetime
    two = {**r, "params": {"alpha": 0.05, "depth": 2}}
    assert identity(two) == identity({**two, "params": {"depth": 2, "alpha": 0.05}})
    assert identity({**r, "params": {"since": datetime.date(2026, 1, 1)}}) != identity(r)


def test_method_specs_parse_to_a_name_and_yaml_values():
    from bench.jobs import parse_method_spec, split_methods
    assert parse_method_spec(" pc ") == ("pc", {})
    assert parse_method_spec("pc()") == ("pc", {})
    assert parse_method_spec(" pc (alpha=0.01, depth = 2,indep_test=kci,stable=true,) ") == \
        ("pc", {"alpha": 0.01, "depth": 2, "indep_test": "kci", "stable": True})
    with pytest.raises(ValueError, match=r"bad method spec 'pc\(alpha=1': expected name\(key=value,...\)"):
        parse_method_spec("pc(alpha=1")
    with pytest.raises(ValueError, match=r"bad parameter 'alpha' in 'pc\(alpha\)': expected key=value"):
        parse_method_spec("pc(alpha)")
    assert split_methods("a, b(x=1,y=(2)) ,,pkg.mod:C,") == ["a", "b(x=1,y=(2))", "pkg.mod:C"]
    assert split_methods("") == []


def test_a_label_quotes_strings_and_names_only_changed_parameters():
    assert label("m", {"b": "x", "a": 2, "seed": 3, "c": 1.5}, {"a": 1, "c": 1.5}) == "m(a=2,b='x')"
    assert label("m", {"seed": 3}, {}) == "m"


def test_a_timeout_overrides_every_budget_and_must_be_positive(quick):
    from methods import method_class
    assert {j.budget_s for j in build_jobs(["abs-corr", "pc"], quick, 1, timeout=7)} == {7.0}
    assert [j.budget_s for j in build_jobs(["pc"], quick, 1)] == [float(method_class("pc").time_budget_s)] * 2
    assert {j.budget_s for j in build_jobs(["pc"], quick, 1, timeout=0.5)} == {0.5}  # any positive number
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match=f"timeout must be a number of seconds > 0, got {bad!r}"):
            build_jobs(["empty"], quick, 1, timeout=bad)


def test_a_bivariate_method_runs_on_pairs_only(quick):
    data = quick + [(_small(), "pairs", {"tier": "x"})]
    jobs = build_jobs(["igci", "empty"], data, 1)
    assert [(j.method, j.dataset.d) for j in jobs if j.method == "igci"] == [("igci", 2)]
    assert sum(j.method == "empty" for j in jobs) == 3
    assert [j.tags for j in jobs if j.suite == "pairs"] == [{"tier": "x"}] * 2
    assert all(j.learned is False and j.code["scoring"] == jobs[0].code["scoring"] for j in jobs)


def test_relative_and_package_imports_are_followed(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {"__init__.py": "from .c import f\n", "c.py": "f = 1\n", "d.py": "g = 1\n", "e.py": "h = 1\n",
             "sub/__init__.py": "from .. import e\n", "sub/b.py": "k = 1\n",
             "sub/a.py": "from ..d import g\nfrom . import b\nimport pkg.sub\n"}
    for name, body in files.items():
        (pkg / name).write_text(body)
    before = code_digest("pkg.sub.a", roots=(tmp_path,))
    # ..d from a module (before a second from-import), . b, .. from a package, pkg's own __init__ import
    for name in ("d.py", "sub/b.py", "e.py", "c.py"):
        (pkg / name).write_text((pkg / name).read_text() + "x = 2\n")
        code_digest.cache_clear()
        now = code_digest("pkg.sub.a", roots=(tmp_path,))
        assert now != before, name
        before = now


def test_a_methods_code_is_its_scripts_or_its_own_packages(tmp_path, monkeypatch):
    import hashlib
    import sys
    import types

    from bench.jobs import method_code
    script = tmp_path / "my_method.py"
    script.write_text("x = 1\n")
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace(__file__=str(script)))
    for main in ("__main__", "__mp_main__"):  # a script, or a script's module in a spawned worker
        cls = type("Mine", (), {"__module__": main})
        assert method_code(cls) == hashlib.sha256(b"x = 1\n").hexdigest()[:16]
    assert method_code(type("Gone", (), {"__module__": "no_such_module_for_a_test"})) == "unknown"
    monkeypatch.setitem(sys.modules, "__main__", types.SimpleNamespace())  # an interactive session: no file
    assert method_code(type("Typed", (), {"__module__": "__main__"})) == "unknown"
    # a plugin package outside the project: its own sibling modules are its code
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "__init__.py").write_text("")
    (tmp_path / "plug" / "m.py").write_text("from .helper import k\n")
    (tmp_path / "plug" / "helper.py").write_text("k = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    mod = importlib.import_module("plug.m")
    plug = type("Plug", (), {"__module__": mod.__name__})
    before = method_code(plug)
    (tmp_path / "plug" / "helper.py").write_text("k = 2\n")
    code_digest.cache_clear()
    assert method_code(plug) != before
    # a class defined in a package's __init__.py: the package is its module
    (tmp_path / "plug2").mkdir()
    (tmp_path / "plug2" / "__init__.py").write_text("from .helper import k\n")
    (tmp_path / "plug2" / "helper.py").write_text("k = 1\n")
    init = type("Init", (), {"__module__": importlib.import_module("plug2").__name__})
    before = method_code(init)
    (tmp_path / "plug2" / "helper.py").write_text("k = 2\n")
    code_digest.cache_clear()
    assert method_code(init) != before


def test_git_commit_is_head_dirty_outside_results_and_none_outside_git(tmp_path, monkeypatch):
    import subprocess

    import bench.jobs as jobs
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    monkeypatch.setattr(jobs, "ROOT", tmp_path)
    jobs.git_commit.cache_clear()
    try:
        assert jobs.git_commit() is None  # not a repository
        subprocess.run(git + ["init", "-q"], check=True)
        (tmp_path / "a.txt").write_text("a")
        subprocess.run(git + ["add", "a.txt"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "a"], check=True)
        head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        (tmp_path / "results").mkdir()
        (tmp_path / "results" / "r.json").write_text("{}")
        jobs.git_commit.cache_clear()
        assert jobs.git_commit() == head  # results/ does not count
        (tmp_path / "b.txt").write_text("b")
        jobs.git_commit.cache_clear()
        assert jobs.git_commit() == head + "-dirty"
    finally:
        jobs.git_commit.cache_clear()


def test_a_jobs_key_is_stable_across_versions():
    """Stored results are found by key: the same inputs must give the same key in every version of the
    harness, or every stored job silently reruns. (Inputs fixed here; the code digests are given.)"""
    from bench.jobs import Job
    from datasets.base import Dataset
    ds = Dataset("k", np.arange(6.0).reshape(3, 2), np.array([[0, 1], [0, 0]]))
    job = Job("m", {"a": 1}, ds, "s", 2, 1.0, code={"method": "x", "files": "y", "scoring": "z"})
    assert job.key == "5e23b90df1a401d09214", job.key


def test_a_job_records_its_code_and_whether_the_method_is_learned(quick):
    from bench.jobs import SCORING_MODULES, method_code
    from methods import get_method, method_class
    (job,) = build_jobs(["tabscm"], quick[:1], 1)
    assert job.learned is True and build_jobs(["pc"], quick[:1], 1)[0].learned is False
    assert job.code == {"method": method_code(method_class("tabscm")), "files": get_method("tabscm").fingerprint(),
                        "scoring": code_digest(*SCORING_MODULES)}
    assert label("m", {"a": None}, {}) == "m(a=None)"  # a parameter without a known default is shown
