"""The harness: jobs, runner, store, metrics, diagnostics, leaderboard, plots and report."""
__version__ = "0.1.0"
