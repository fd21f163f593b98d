import os
import tempfile

# Tests never touch the user's cache: one throwaway cache per test session.
os.environ.setdefault("TABSCM_BENCH_CACHE", tempfile.mkdtemp(prefix="tabscm-bench-cache-"))

if "MUTANT_UNDER_TEST" in os.environ:  # `make mutation`'s fork server: import graphical-models (pgmpy, torch)
    import warnings                    # once, not again in every mutant's worker

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import graphical_models  # noqa: F401
