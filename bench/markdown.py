"""Markdown for the report: tables and "mean [low, high]" intervals, in a module of its own so that
every section (report, shortcuts, leaderboard's verdict) formats alike without importing each other."""
import numpy as np
import pandas as pd


def md_table(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    def fmt(v):
        return ("–" if not np.isfinite(v) else floatfmt.format(v)) if isinstance(v, (float, np.floating)) else str(v)

    head, *body = ["| " + " | ".join(map(fmt, r)) + " |" for r in (df.columns, *df.itertuples(index=False))]
    return "\n".join([head, "|" + "|".join(["---"] * len(df.columns)) + "|", *body])


def ci_text(mean: float, low: float, high: float) -> str:
    """``0.664 [0.62, 0.70]``, or ``–`` when there is no number."""
    return "–" if mean is None or not np.isfinite(mean) else f"{mean:.3f} [{low:.2f}, {high:.2f}]"
