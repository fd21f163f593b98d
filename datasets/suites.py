"""Named suites of synthetic datasets, each a list of (spec, seed) generated lazily and cached.

Suite seeds live in disjoint blocks of ``SEED_BLOCK`` starting at ``SUITE_SEED_BASE[suite]``
(suites that share graphs on purpose, such as ``linear-raw``/``-zscore``/``-iscm``, share a
block); the learned model trains on seeds from ``TRAINING_SEED_BASE`` upward, so no training
draw can repeat a benchmark dataset. Per-suite parameters (d, density, mechanism) are drawn
from ``SeedSequence(block base)``, so a suite is the same list on every call and machine.

Tags on every member become columns of the result tables: ``tier`` (tabscm, sweep-d and
default only; small: d <= 30, large: d >= 50, real), ``mechanism``, ``scaling``,
``interventional``, ``shift`` (what lies outside ``BASE_DISTRIBUTION``: the axis a shift suite
moves) and ``ood`` (outside the learned model's training distribution, ``TRAINING_DISTRIBUTION``).
"""
from __future__ import annotations

import numpy as np

from . import sachs as _sachs  # noqa: F401  (the default suite includes Sachs)
from .cache import cached
from .generator import GENERATOR_VERSION, NONLINEAR, SCMSpec, generate
from .registry import DatasetRef, dataset_ref, register_suite

TRAINING_SEED_BASE = 10**9  # the TabSCM trainer draws seeds >= this; every suite stays below
SEED_BLOCK = 1_000
SUITE_SEED_BASE = {
    "quick": 1_000,
    "default": 2_000,
    "sweep-d": 3_000,
    "sweep-n": 4_000,
    "tabscm": 10_000,        # also tabscm-small, tabscm-large (the same members)
    "linear": 20_000,        # linear-raw, linear-zscore, linear-iscm (the same graphs)
    "nonlinear": 21_000,     # nonlinear-raw, -zscore, -iscm
    "interventional": 22_000,
    "in-dist": 29_000,
    "ood-sf": 30_000,
    "ood-dense": 31_000,
    "ood-noise": 32_000,
    "ood-n": 33_000,
    "ood-mech": 34_000,
    "gcastle-linear": 35_000,  # datasets.external
    "bnlearn-gaussian": 36_000,  # datasets.bnlearn (seeds of the samples; the networks are fixed)
    "distorted": 37_000,     # also undistorted (the same SCMs)
    "pairs": 38_000,
}

#: The distribution the shift suites (``in-dist``, ``ood-*``) move one axis of: the first TabSCM's training
#: distribution (ER, d 5-30, Gaussian noise, n 200-1000, one mechanism per dataset, z-scored).
BASE_DISTRIBUTION = {"graphs": ("er",), "d": (5, 30), "edge_prob": (0.1, 0.5), "expected_degree": (1.0, 4.0),
                     "noises": ("gaussian",), "n": (200, 1000), "mixed": False, "intervention_share": (0.0, 0.3),
                     "mechanisms": ("linear", "mlp", "sine", "tanh", "quadratic", "threshold")}

#: The shipped TabSCM model's training distribution (the ``data:`` of the config it was trained with, kept in its
#: checkpoint's sidecar; tests/test_suites_training.py keeps the two in step). It covers every ``ood-*`` axis, so for
#: that model those suites test robustness along one axis, not transfer; it includes measured data (monotone
#: responses, measurement noise, outliers, hidden nodes, regimes) and graphs up to d = 100; real data stay outside.
TRAINING_DISTRIBUTION = {"graphs": ("er", "sf"), "d": (2, 100), "edge_prob": (0.05, 0.6), "expected_degree": (0.5, 8.0),
                         "noises": ("gaussian", "laplace", "uniform", "student"), "n": (50, 3000), "mixed": True,
                         "intervention_share": (0.0, 0.5), "mechanisms": BASE_DISTRIBUTION["mechanisms"],
                         "measured": True}


def tier(d: int) -> str:
    return "small" if d <= 30 else "large"


SCALING_LABEL = {"none": "raw", "zscore": "zscore", "iscm": "iscm"}


def training_shift(spec: SCMSpec, dist: dict = TRAINING_DISTRIBUTION) -> list[str]:
    """What about ``spec`` lies outside ``dist`` (empty: inside it).

    Scaling is not counted: it is its own axis (tag ``scaling``: none / zscore / iscm), so
    that "in vs out of distribution" and "raw vs standardized" stay separate comparisons.
    """
    degree = spec.edge_probability * (spec.d - 1)
    checks = [
        ("graph", spec.graph not in dist["graphs"]),
        ("d", not dist["d"][0] <= spec.d <= dist["d"][1]),
        ("density", not (dist["expected_degree"][0] - 1e-9 <= degree <= dist["expected_degree"][1] + 1e-9
                         or dist["edge_prob"][0] - 1e-9 <= spec.edge_probability <= dist["edge_prob"][1] + 1e-9)),
        ("noise", spec.noise not in dist["noises"]),
        ("n", not dist["n"][0] <= spec.rows <= dist["n"][1]),
        ("mechanism", not set(spec.mechanisms) <= set(dist["mechanisms"])
         or (len(spec.mechanisms) > 1 and not dist["mixed"])),
        ("interventions", spec.intervention_share > dist["intervention_share"][1] + 1e-9),
        ("measurement", spec.measured and not dist.get("measured", False)),
    ]
    return [name for name, shifted in checks if shifted]


def synthetic_ref(name: str, spec: SCMSpec, seed: int, suite: str, **tags) -> DatasetRef:
    """A lazily generated, disk-cached suite member. ``tags`` go into meta and result tables.

    ``tier`` is not a default: the leaderboard breaks a suite down by tier wherever it has one,
    so only suites whose members differ in size (tabscm, sweep-d, default) set it.

    Default tags from the spec: d, n, mechanism, scaling (none/zscore/iscm), interventional,
    graph_model, noise, data_seed (the generator seed; ``seed`` in result tables is the
    method's), shift (against ``BASE_DISTRIBUTION``) and ood (against ``TRAINING_DISTRIBUTION``).
    """
    if not 0 <= seed < TRAINING_SEED_BASE:
        raise ValueError(f"suite seed {seed} is outside [0, TRAINING_SEED_BASE)")
    shift = training_shift(spec, BASE_DISTRIBUTION)
    all_tags = {"suite": suite, "d": spec.d, "n": spec.rows, "mechanism": "+".join(spec.mechanisms),
                "scaling": spec.scaling, "interventional": spec.intervention_share > 0,
                "graph_model": spec.graph, "noise": spec.noise,
                "ood": bool(training_shift(spec)), "shift": "+".join(shift) or "none", "data_seed": int(seed), **tags}
    payload = {"spec": spec.to_dict(), "seed": seed, "name": name, "meta": all_tags,
               "version": GENERATOR_VERSION}
    return DatasetRef(name, lambda: cached(payload, lambda: generate(spec, seed, name, all_tags)), all_tags)


def _rng(block: str) -> np.random.Generator:
    """The stream a suite draws its members' parameters from: a child of the block's base seed
    that no member's own ``SeedSequence(seed)`` uses."""
    return np.random.default_rng(np.random.SeedSequence(SUITE_SEED_BASE[block], spawn_key=(1000,)))


def _named_ref(name: str, suite: str, **tags) -> DatasetRef:
    """A registered named dataset (e.g. Sachs) as a suite member with tags."""
    ref = dataset_ref(name)
    return DatasetRef(name, ref.load, {"suite": suite, **tags})


# ---------------------------------------------------------------- quick

@register_suite("quick", "a handful of small datasets every method finishes in seconds (tests, smoke runs)")
def quick() -> list[DatasetRef]:
    base = SUITE_SEED_BASE["quick"]
    specs = [
        ("quick-linear-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="linear")),
        ("quick-linear-z-d10", SCMSpec(d=10, n=500, expected_degree=2.0, mechanism="linear", scaling="zscore")),
        ("quick-mlp-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="mlp", scaling="zscore")),
        ("quick-int-d8", SCMSpec(d=8, n=500, expected_degree=2.0, mechanism="linear",
                                 intervention_share=0.3, n_targets=3, scaling="zscore")),
    ]
    return [synthetic_ref(name, spec, base + i, "quick")
            for i, (name, spec) in enumerate(specs)]


# ---------------------------------------------------------------- default (make bench)

@register_suite("default", "what `make bench` runs: one linear and one MLP graph raw/z-scored/iSCM, "
                           "linear d=20, interventional, Sachs obs853 and int7466 (10 datasets)")
def default() -> list[DatasetRef]:
    """Small enough that every method (NOTEARS ~13 s per d=10 dataset) finishes in ~10 min on 2 cores."""
    base, refs = SUITE_SEED_BASE["default"], []
    scal = {"none": "raw", "zscore": "zscore", "iscm": "iscm"}
    for k, mech in enumerate(("linear", "mlp")):
        spec = SCMSpec(d=10, n=1000, expected_degree=2.0, mechanism=mech)
        for scaling, label in scal.items():
            refs.append(synthetic_ref(f"default-{mech}-d10-{label}", spec.replace(scaling=scaling), base + k,
                                      "default", tier="small"))
    refs.append(synthetic_ref("default-linear-d20-raw", SCMSpec(d=20, n=1000, expected_degree=2.0), base + 2,
                              "default", tier="small"))
    refs.append(synthetic_ref("default-int-linear-d10-zscore",
                              SCMSpec(d=10, n=1000, expected_degree=2.0, intervention_share=0.3, n_targets=3,
                                      scaling="zscore"), base + 3, "default", tier="small"))
    for name, interventional in (("sachs-obs853", False), ("sachs-int7466", True)):
        refs.append(_named_ref(name, "default", d=11, n=853 if not interventional else 7466,
                               mechanism="real (Sachs)", scaling="none", interventional=interventional,
                               tier="real", ood=True, shift="real data"))
    return refs


# ---------------------------------------------------------------- tabscm (the original report)

def _stratified(rng: np.random.Generator, count: int, lo: float, hi: float) -> np.ndarray:
    """``count`` draws from U(lo, hi), one per equal-width stratum, in random order."""
    return lo + (hi - lo) * (rng.permutation(count) + rng.random(count)) / count


def _tabscm_members(suite: str, keep: str | None = None) -> list[DatasetRef]:
    """100 SCMs: 20 small (d 10-30), 80 large (d 50-100); per tier half linear, the other half
    spread evenly over MLP, sine, tanh, quadratic, threshold; edge probability per unordered
    pair U(0.1, 0.5) per graph; do-interventions on U(10%, 30%) of rows over 1..d/5 targets;
    n U{500..2000} (max_rows 2000); z-scored.

    d and edge probability are drawn stratified within each tier (one draw per equal-width
    stratum, shuffled), so the suite's number of true edges (the SHD of the empty graph)
    averages ~705 with sd ~540 for any seed (sd of that mean over seeds ~12; plain
    uniform draws give ~705 +- 44), near the report's 678 +- 561.
    """
    rng, base = _rng("tabscm"), SUITE_SEED_BASE["tabscm"]
    refs = []
    i = 0
    for tier_name, count, (d_lo, d_hi) in (("small", 20, (10, 30)), ("large", 80, (50, 100))):
        per = count // 10
        mechs = ["linear"] * (count // 2) + [m for m in NONLINEAR for _ in range(per)]
        mechs = [mechs[k] for k in rng.permutation(count)]
        ds = np.floor(_stratified(rng, count, d_lo, d_hi + 1)).astype(int)
        ps = _stratified(rng, count, 0.1, 0.5)
        for mech, d, p in zip(mechs, ds.tolist(), ps.tolist()):
            n = int(rng.integers(500, 2001))
            share = float(rng.uniform(0.1, 0.3))
            n_targets = int(rng.integers(1, max(2, d // 5) + 1))
            spec = SCMSpec(d=d, n=n, edge_prob=round(p, 4), mechanism=mech, intervention_share=round(share, 4),
                           n_targets=n_targets, scaling="zscore", max_rows=2000)
            name = f"tabscm-{i:03d}-{tier_name}-{mech}-d{d}"
            if keep is None or keep == tier_name:
                refs.append(synthetic_ref(name, spec, base + i, suite, tier=tier_name))
            i += 1
    return refs


@register_suite("tabscm", "the original report's suite: 100 SCMs (20 small d 10-30, 80 large d 50-100), "
                          "half linear, interventions, n <= 2000, density ~30%")
def tabscm() -> list[DatasetRef]:
    return _tabscm_members("tabscm")


@register_suite("tabscm-small", "the 20 small SCMs of tabscm (d 10-30)")
def tabscm_small() -> list[DatasetRef]:
    return _tabscm_members("tabscm-small", "small")


@register_suite("tabscm-large", "the 80 large SCMs of tabscm (d 50-100)")
def tabscm_large() -> list[DatasetRef]:
    return _tabscm_members("tabscm-large", "large")


# ---------------------------------------------------------------- sweeps

@register_suite("sweep-d", "scaling in d: linear ER, expected degree 2, d 10/20/50/100, n 1000, z-scored")
def sweep_d() -> list[DatasetRef]:
    base = SUITE_SEED_BASE["sweep-d"]
    return [synthetic_ref(f"sweep-d{d}", SCMSpec(d=d, n=1000, expected_degree=2.0, scaling="zscore"), base + k,
                          "sweep-d", tier=tier(d))
            for k, d in enumerate((10, 20, 50, 100))]


@register_suite("sweep-n", "scaling in n: one linear ER SCM, d 20, n 200/500/1000/2000 (smaller n = first rows)")
def sweep_n() -> list[DatasetRef]:
    seed = SUITE_SEED_BASE["sweep-n"]  # one SCM: the same graph and weights at every n
    return [synthetic_ref(f"sweep-n{n}", SCMSpec(d=20, n=n, expected_degree=2.0, scaling="zscore"), seed,
                          "sweep-n")
            for n in (200, 500, 1000, 2000)]


# ---------------------------------------------------------------- shortcut suites (issue 8)

def _graph_draws(block: str, count: int = 10, d_range=(10, 20), degree=(1.5, 3.0), rng=None):
    """[(i, d, expected degree, seed)] shared by the raw / z-scored / iSCM versions of a suite."""
    rng, base = rng or _rng(block), SUITE_SEED_BASE[block]
    return [(i, int(rng.integers(d_range[0], d_range[1] + 1)), round(float(rng.uniform(*degree)), 3), base + i)
            for i in range(count)]


def _scaling_suite(kind: str, scaling: str) -> list[DatasetRef]:
    """10 graphs (d 10-20, expected degree 1.5-3, n 1000) shared by the raw / z-scored / iSCM suites.

    Nonlinear mechanisms read their parents standardized (see ``generator``), so without more their
    raw data carry no scale growth and iSCM equals z-scoring; the nonlinear suites therefore use
    ``scale_growth`` (a nonlinear node's output keeps the scale of its raw parents' linear
    combination), as the nonlinear SCMs of Ormaniec et al. accumulate variance, so that raw,
    z-scored and iSCM data differ for them too.
    """
    label = SCALING_LABEL[scaling]
    suite = f"{kind}-{label}"
    mech = "linear" if kind == "linear" else NONLINEAR
    refs = []
    for i, d, deg, seed in _graph_draws(kind):
        spec = SCMSpec(d=d, n=1000, expected_degree=deg, mechanism=mech, scaling=scaling,
                       scale_growth=kind == "nonlinear")
        refs.append(synthetic_ref(f"{suite}-{i:02d}-d{d}", spec, seed, suite,
                                  mechanism="linear" if kind == "linear" else "nonlinear-mix"))
    return refs


def _register_scaling_suites() -> None:
    for kind, what in (("linear", "linear-Gaussian"), ("nonlinear", "mixed nonlinear (per node: MLP, sine, "
                                                                      "tanh, quadratic, threshold)")):
        for scaling, label in SCALING_LABEL.items():
            how = {"none": "raw (varsortable)", "zscore": "z-scored after generation",
                   "iscm": "standardized inside generation (iSCM)"}[scaling]
            note = "; nonlinear outputs keep their parents' scale" if kind == "nonlinear" else ""
            register_suite(f"{kind}-{label}", f"10 {what} ER graphs, d 10-20, n 1000, {how}{note}; "
                                              f"same graphs as the other {kind}-* suites")(
                lambda kind=kind, scaling=scaling: _scaling_suite(kind, scaling))


_register_scaling_suites()


@register_suite("interventional", "10 ER graphs (linear and MLP), d 10-20, do-interventions on 30% of rows "
                                  "over d/3 targets, z-scored: direction is identifiable")
def interventional() -> list[DatasetRef]:
    refs = []
    for i, d, deg, seed in _graph_draws("interventional"):
        mech = ("linear", "mlp")[i % 2]
        spec = SCMSpec(d=d, n=1000, expected_degree=deg, mechanism=mech, intervention_share=0.3,
                       n_targets=max(2, d // 3), scaling="zscore")
        refs.append(synthetic_ref(f"interventional-{i:02d}-{mech}-d{d}", spec, seed, "interventional"))
    return refs


# ---------------------------------------------------------------- in vs out of the training distribution

def _ood_suite(block: str, shift: str, make) -> list[DatasetRef]:
    """10 z-scored datasets, in the training distribution except for ``make``'s changes.

    ``make(i, rng) -> (dict of SCMSpec changes, label)`` on top of: ER, d 10-20, expected degree
    1.5-3, Gaussian noise, n 500, linear (even i) or MLP (odd i).
    """
    rng = _rng(block)
    refs = []
    for i, d, deg, seed in _graph_draws(block, rng=rng):
        fields = {"d": d, "n": 500, "expected_degree": deg, "mechanism": ("linear", "mlp")[i % 2],
                  "scaling": "zscore"}
        changes, label = make(i, rng)
        fields.update(changes)
        spec = SCMSpec(**fields)
        refs.append(synthetic_ref(f"{block}-{i:02d}-{label}-d{spec.d}", spec, seed, block))
        if refs[-1].tags["shift"] != shift:
            raise AssertionError(f"{refs[-1].name}: shift {refs[-1].tags['shift']!r}, meant {shift!r}")
    return refs


@register_suite("in-dist", "control for the ood-* suites: 10 datasets of the base distribution "
                           "(ER, degree 1.5-3, Gaussian, n 500, linear or MLP, z-scored)")
def in_dist() -> list[DatasetRef]:
    return _ood_suite("in-dist", "none", lambda i, rng: ({}, ("linear", "mlp")[i % 2]))


@register_suite("ood-sf", "shifted from in-dist: scale-free (Barabasi-Albert) graphs, otherwise as in-dist")
def ood_sf() -> list[DatasetRef]:
    # m = round(degree / 2) edges per new node: alternately 1 (trees) and 2 (realized degree ~3.5)
    return _ood_suite("ood-sf", "graph", lambda i, rng: ({"graph": "sf", "expected_degree": (2.0, 3.0)[i % 2]},
                                                         f"sf-m{i % 2 + 1}"))


@register_suite("ood-dense", "shifted from in-dist: dense ER graphs, d 10, expected degree 5-6 "
                             "(edge probability 0.56-0.67)")
def ood_dense() -> list[DatasetRef]:
    return _ood_suite("ood-dense", "density",
                      lambda i, rng: ({"d": 10, "expected_degree": round(float(rng.uniform(5.0, 6.0)), 3)}, "dense"))


@register_suite("ood-noise", "shifted from in-dist: Laplace (5) and uniform (5) noise, otherwise as in-dist")
def ood_noise() -> list[DatasetRef]:
    return _ood_suite("ood-noise", "noise",
                      lambda i, rng: ({"noise": ("laplace", "uniform")[(i // 2) % 2]}, ("laplace", "uniform")[(i // 2) % 2]))


@register_suite("ood-n", "shifted from in-dist: n 50 (5) and n 2000 (5), otherwise as in-dist")
def ood_n() -> list[DatasetRef]:
    return _ood_suite("ood-n", "n", lambda i, rng: ({"n": (50, 2000)[(i // 2) % 2]}, f"n{(50, 2000)[(i // 2) % 2]}"))


@register_suite("ood-mech", "shifted from in-dist: a different nonlinear mechanism at each node "
                            "(the base distribution has one per dataset)")
def ood_mech() -> list[DatasetRef]:
    mixes = (("sine", "quadratic"), ("tanh", "threshold"), ("mlp", "sine", "threshold"), ("quadratic", "tanh"))
    return _ood_suite("ood-mech", "mechanism", lambda i, rng: ({"mechanism": mixes[i % 4]},
                                                                "+".join(mixes[i % 4])))


# ---------------------------------------------------------------- measurement

def _distortion_suite(suite: str, distorted: bool) -> list[DatasetRef]:
    """20 SCMs (ER, d 10-30, expected degree 1.5-3, n 1000, observational, z-scored; mechanisms in turn linear,
    MLP, tanh, sine, quadratic; Gaussian noise on even members, Laplace on odd ones), measured as they are
    (``undistorted``) or each column through a monotone response drawn from exp, tanh, cube and log
    (``distorted``: the post-nonlinear model of a sensor or assay). The same seeds give the same SCMs, so the
    pair shows what measurement alone costs each method."""
    rng = _rng("distorted")
    mechs = ("linear", "mlp", "tanh", "sine", "quadratic")
    refs = []
    for i, d, deg, seed in _graph_draws("distorted", count=20, d_range=(10, 30), rng=rng):
        mech, noise = mechs[i % 5], ("gaussian", "laplace")[i % 2]
        spec = SCMSpec(d=d, n=1000, expected_degree=deg, mechanism=mech, noise=noise, scaling="zscore",
                       distortion=("exp", "tanh", "cube", "log") if distorted else ())
        refs.append(synthetic_ref(f"{suite}-{i:02d}-{mech}-d{d}", spec, seed, suite, distorted=distorted))
    return refs


@register_suite("distorted", "20 SCMs (ER, d 10-30, linear and nonlinear, n 1000) observed through a monotone "
                             "response per column (exp, tanh, cube, log): the SCMs of undistorted, measured")
def distorted() -> list[DatasetRef]:
    return _distortion_suite("distorted", True)


@register_suite("undistorted", "the 20 SCMs of distorted, observed as they are (its control)")
def undistorted() -> list[DatasetRef]:
    return _distortion_suite("undistorted", False)


# ---------------------------------------------------------------- cause-effect pairs

#: The kinds of ``pairs``, 20 pairs each: what generates them, and what a bivariate method can use to orient them.
PAIR_KINDS = {
    "anm": dict(noise=("laplace", "uniform", "student")),             # additive non-Gaussian noise (SIM)
    "anm-gaussian": dict(noise=("gaussian",)),                        # additive Gaussian noise (SIM-G's case)
    "heteroscedastic": dict(noise=("gaussian",), heteroscedastic=True),  # the noise's sd varies with the cause
    "confounded": dict(noise=("gaussian", "laplace"), hidden=1),      # a hidden common cause of both (SIM-c)
    "measured": dict(noise=("gaussian", "laplace"), distortion=("exp", "tanh", "cube", "log"),
                     measurement_noise=0.1),                          # post-nonlinear: a monotone response, sensor noise
    "linear-gaussian": dict(noise=("gaussian",), mechanism="linear"),  # control: no data orient these
}


@register_suite("pairs", "synthetic cause-effect pairs in the spirit of Mooij et al.'s SIM benchmarks: 120 pairs "
                         "(d 2, one edge, n 1000, z-scored), 20 of each kind: anm, anm-gaussian, heteroscedastic, "
                         "confounded (a hidden common cause), measured (post-nonlinear) and linear-gaussian "
                         "(a control no data orient)")
def pairs() -> list[DatasetRef]:
    """Bivariate orientation where the truth is known and no test set is spent: the nonlinear mechanisms in
    turn (MLP, sine, tanh, quadratic, threshold), the noise families of each kind in turn. The generator's
    node permutation puts the cause first or second at random. ``confounded`` draws three nodes with every
    edge and leaves the common cause unmeasured, so the truth is the one edge between the measured two."""
    base, refs = SUITE_SEED_BASE["pairs"], []
    for k, (kind, how) in enumerate(PAIR_KINDS.items()):
        how = dict(how)
        noises, mech = how.pop("noise"), how.pop("mechanism", None)
        for i in range(20):
            spec = SCMSpec(d=2, n=1000, edge_prob=1.0, mechanism=mech or NONLINEAR[i % len(NONLINEAR)],
                           noise=noises[i % len(noises)], scaling="zscore", **how)
            name = f"pairs-{kind}-{i:02d}-{spec.mechanism}"
            refs.append(synthetic_ref(name, spec, base + 20 * k + i, "pairs", kind=kind))
    return refs
