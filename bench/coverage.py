"""Coverage is part of a result: which jobs a folder's runs asked for (``run.json``, field ``expected``) and which it
holds, whether a run is writing to it now, and which of its jobs failed and were scored as the empty graph. The
report says so in its first lines, before any number."""
from __future__ import annotations

import json
from pathlib import Path

from .store import lock_holder

SHOWN = 6  # missing jobs named per method; the rest are counted


def expected_jobs(jobs) -> dict[str, list]:
    """What a run asks for, as ``run.json`` keeps it: method setting (label) -> sorted [suite, dataset, seed]."""
    out: dict[str, set] = {}
    for j in jobs:
        out.setdefault(j.label, set()).add((j.suite, j.dataset.name, int(j.seed)))
    return {lab: sorted(map(list, v)) for lab, v in sorted(out.items())}


def folder_expected(run_dir: str | Path) -> set[tuple] | None:
    """Every (method, suite, dataset, seed) the folder's runs asked for; None when no run recorded it (older folders)."""
    try:
        runs = json.loads((Path(run_dir) / "run.json").read_text())
    except (OSError, ValueError):
        return None
    runs = runs if isinstance(runs, list) else [runs]
    listed = [r["expected"] for r in runs if isinstance(r, dict) and isinstance(r.get("expected"), dict)]
    if not listed:
        return None
    return {(lab, str(s), str(d), int(seed)) for e in listed for lab, items in e.items() for s, d, seed in items}


def missing_jobs(run_dir: str | Path, jobs: pd.DataFrame) -> pd.DataFrame | None:
    """Per method setting: jobs expected, jobs held, and the missing ones (suite, dataset, seed); None if unknown."""
    import pandas as pd  # here: the runner imports this module, and a run with nothing to do needs no pandas
    expected = folder_expected(run_dir)
    if expected is None:
        return None
    have = set(zip(jobs["method"], jobs["suite"].astype(str), jobs["dataset"].astype(str), jobs["seed"].astype(int)))
    rows = []
    for method in sorted({e[0] for e in expected}):
        mine = {e for e in expected if e[0] == method}
        gone = sorted(mine - have)
        rows.append({"method": method, "expected": len(mine), "have": len(mine & have), "missing": gone})
    return pd.DataFrame(rows, columns=["method", "expected", "have", "missing"])


def coverage_lines(run_dir: str | Path, jobs: pd.DataFrame) -> list[str]:
    """The report's first lines: a live run, missing jobs (per method, have / expected), failed jobs scored empty."""
    lines = []
    if (pid := lock_holder(run_dir)) is not None:
        lines.append(f"**A run is writing to this folder now** (pid {pid}): every number below may change; "
                     "report again once it has finished.")
    cov = missing_jobs(run_dir, jobs)
    if cov is None:
        lines.append("This folder's `run.json` does not list the jobs its runs asked for (made by an older version), "
                     "so missing jobs cannot be counted.")
    elif not (cov["have"] < cov["expected"]).any():
        lines.append(f"All {int(cov['expected'].sum())} jobs this folder's runs asked for are here.")
    else:
        short = cov[cov["have"] < cov["expected"]]
        lines.append(f"**Jobs are missing** ({int((cov['expected'] - cov['have']).sum())} of "
                     f"{int(cov['expected'].sum())} that this folder's runs asked for; rerun the same command to "
                     "finish them). Rankings and paired tests below use only the datasets on which every compared "
                     "method has a record. Have / expected per method:")
        for _, r in short.iterrows():
            names = ", ".join(f"`{d}`" + (f" seed {s}" if s else "") for _, d, s in (m[1:] for m in r["missing"][:SHOWN]))
            more = f" and {len(r['missing']) - SHOWN} more" if len(r["missing"]) > SHOWN else ""
            lines.append(f"- **{r['method']}**: {r['have']}/{r['expected']}; missing {names}{more}")
        if (full := cov[cov["have"] == cov["expected"]]).size:
            lines.append("- complete: " + ", ".join(f"{m} {e}/{e}" for m, e in zip(full["method"], full["expected"])))
    failed = jobs[jobs["status"] != "ok"]
    if len(failed):
        lines.append("**Failed jobs are scored as the empty graph** in every mean, rank and test below: " + "; ".join(
            f"{m} {len(g)}/{int((jobs['method'] == m).sum())} ("
            + ", ".join(f"{n} {s}" for s, n in g["status"].value_counts().sort_index().items()) + ")"
            for m, g in failed.groupby("method")) + ".")
    return lines
