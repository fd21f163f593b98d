"""Markdown for the report: tables and "mean [low, high]" intervals, in a module of its own so that
every section (report, shortcuts, leaderboard's verdict) formats alike without importing each other."""
import numpy as np
import pandas as pd


def md_table(df: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    def fmt(v):
        return ("–" if not np.isfinite(v) else floatfmt.format(v)) if isinstance(v, (float, np.floating)) else str(v)

    head, *body = ["| " + " | ".join(map(fmt, r)) + " |" for r in (df.columns, *df.itertuples(index=False))]
    return "\n".join([head, "|" + "|".join(["---"] * len(df.columns)) + "|", *body])


def ci_text(mean: float, low: float, high: float, signed: bool = False) -> str:
    """``0.664 [0.62, 0.70]``; ``0.664 [–]`` without an interval (fewer than 3 datasets); ``–`` without a number."""
    if mean is None or not np.isfinite(mean):
        return "–"
    num = f"{mean:+.3f}" if signed else f"{mean:.3f}"
    return f"{num} [–]" if not (np.isfinite(low) and np.isfinite(high)) else f"{num} [{low:.2f}, {high:.2f}]"


def p_text(p: float) -> str:
    return "–" if p is None or not np.isfinite(p) else f"{p:.2g}" if p >= 1e-4 else "< 1e-4"


def wtl_text(r) -> str:
    """``8 wins, 1 tie, 1 loss``: a paired row's per-dataset record, ties named."""
    return ", ".join(f"{int(r[k])} {w if int(r[k]) == 1 else w + ('es' if w == 'loss' else 's')}"
                     for k, w in (("wins", "win"), ("ties", "tie"), ("losses", "loss")))


def paired_text(r) -> str:
    """One paired row (``bench.paired``) as a sentence: record, mean difference with its interval, Wilcoxon p."""
    n = int(r["datasets"])
    return (f"**{r['method']}** vs {r['reference']} on {n} dataset{'s' * (n != 1)}: {wtl_text(r)}; mean "
            f"{r['metric'].upper() if r['metric'] in ('auroc', 'auprc', 'f1', 'shd') else r['metric']} difference "
            f"{ci_text(r['mean_diff'], r['ci_low'], r['ci_high'], signed=True)}, Wilcoxon p "
            + ("" if (p := p_text(r["p_wilcoxon"])).startswith("<") else "= ") + p)
