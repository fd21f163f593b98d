"""Python code run in a fresh interpreter from the repository root: what a module imports, prints or
changes at import time can only be seen from a process that has not imported it yet."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, *, check: bool = True, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """The finished process (text output captured). ``check``: fail the test, showing the end of
    stderr, unless it exited 0. ``kwargs`` go to subprocess.run (env, input)."""
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout, **kwargs)
    if check:
        assert res.returncode == 0, res.stderr[-2000:]
    return res
