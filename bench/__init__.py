"""The harness: jobs, runner, store, metrics, diagnostics, leaderboard, plots and report; ``check`` for training loops."""
__version__ = "0.1.0"


def __getattr__(name):
    if name == "check":  # lazily: ``python -m bench`` and the job servers need none of what it imports
        from .healthcheck import check
        return check
    raise AttributeError(f"module 'bench' has no attribute {name!r}")


__all__ = ["check"]
