"""Every file the harness writes appears whole or not at all: it is written under a temporary name in the same
folder (starting with a dot, ending in ``.tmp``, so no reader's pattern matches it) and renamed over the target.
A run killed, or out of disk, midway leaves the previous complete version in place."""

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644  # readable by others, so that a results folder can be shared
TEMP_SUFFIX = ".tmp"


def write_atomic(path: str | Path, write) -> Path:
    """Call ``write(f)`` on a temporary binary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda f: f.write(data))


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode())


def remove_temporaries(folder: str | Path) -> None:
    """Remove what writes killed midway left in ``folder`` (call only where no other process writes)."""
    for p in Path(folder).glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            p.unlink()
