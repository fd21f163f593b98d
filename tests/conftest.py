import os
import tempfile

# Tests never touch the user's cache: one throwaway cache per test session.
os.environ.setdefault("TABSCM_BENCH_CACHE", tempfile.mkdtemp(prefix="tabscm-bench-cache-"))
