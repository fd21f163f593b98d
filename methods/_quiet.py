"""Keep third-party libraries quiet inside a job, and say what they tried to print.

``quiet()`` wraps a library call: it captures Python-level stdout/stderr (progress bars,
per-iteration prints), records warnings instead of printing them, and drops log records from
the root logger and the named library loggers for its duration. Everything is restored on
exit. What was suppressed is counted in the yielded ``Suppressed`` (``summary()`` goes into a
prediction's info), so a quiet library is not a silent failure.

The root logger's level and handlers are put back on exit: gcastle calls
``logging.basicConfig(level=INFO)`` at import, and its module-level ``logging.info(...)`` calls
``basicConfig()`` again whenever the root logger has no handler (so a bare root logger gets a
``NullHandler`` for the duration). ``import_quietly(name)`` imports such a module under ``quiet()``.

Not thread-safe (stdout, warnings filters and logger state are process-wide); the runner fits
each job in its own process.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import logging
import os
import sys
import warnings
from dataclasses import dataclass, field

MAX_MESSAGES = 5
KEEP_CHARS = 2000


class _Sink(io.TextIOBase):
    """A text stream that counts what is written and keeps only its first KEEP_CHARS characters."""

    def __init__(self):
        super().__init__()
        self.chars = 0
        self.head = ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.chars += len(s)
        if len(self.head) < KEEP_CHARS:
            self.head += s[:KEEP_CHARS - len(self.head)]
        return len(s)


@dataclass
class Suppressed:
    """What a library tried to say while quiet: character counts, warnings, log records."""

    stdout: _Sink = field(default_factory=_Sink)
    stderr: _Sink = field(default_factory=_Sink)
    warnings: list = field(default_factory=list)
    log_records: int = 0

    def summary(self) -> dict:
        """JSON-serialisable counts plus the first few distinct warning messages."""
        msgs: list[str] = []
        for w in self.warnings:
            m = f"{w.category.__name__}: {str(w.message)[:200]}"
            if m not in msgs:
                msgs.append(m)
        return {"stdout_chars": self.stdout.chars, "stderr_chars": self.stderr.chars,
                "log_records": self.log_records, "n_warnings": len(self.warnings),
                "warnings": msgs[:MAX_MESSAGES]}


class _Drop(logging.Filter):
    def __init__(self, sink: Suppressed):
        super().__init__()
        self.sink = sink

    def filter(self, record: logging.LogRecord) -> bool:
        self.sink.log_records += 1
        return False


@contextlib.contextmanager
def quiet(*loggers: str):
    """Silence stdout, stderr, warnings, the root logger and the named loggers; yield a Suppressed.

    Records logged through the root logger (``logging.info(...)``, as gcastle does) or through
    one of ``loggers`` are dropped and counted; other loggers are left alone.
    """
    sink = Suppressed()
    drop = _Drop(sink)
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    if not handlers:  # module-level logging.info() calls basicConfig() on a bare root logger
        root.addHandler(logging.NullHandler())
    targets = [root] + [logging.getLogger(name) for name in loggers]
    for lg in targets:
        lg.addFilter(drop)
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(sink.stdout), contextlib.redirect_stderr(sink.stderr):
            warnings.simplefilter("default")  # once per location: a warning in a loop stays one
            try:
                yield sink
            finally:
                sink.warnings.extend(caught)
    finally:
        for lg in targets:
            lg.removeFilter(drop)
        _restore_root(level, handlers)


def _restore_root(level: int, handlers: list) -> None:
    """Put the root logger's level and handlers back (basicConfig may have changed both)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            with contextlib.suppress(Exception):
                if not isinstance(h, logging.NullHandler):
                    h.close()
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


def import_quietly(name: str, env: dict[str, str] | None = None):
    """Import module ``name`` without letting it print or reconfigure the root logger.

    ``env``: environment variables set (if unset) before the import, e.g. a backend choice that
    spares a library's "please set X" message.
    """
    if name in sys.modules:
        return sys.modules[name]
    for k, v in (env or {}).items():
        os.environ.setdefault(k, v)
    torch = sys.modules.get("torch")
    dtype = torch.get_default_dtype() if torch is not None else None
    try:
        with quiet():  # restores the root logger's level and handlers on exit
            return importlib.import_module(name)
    finally:
        # gcastle's NOTEARS module calls torch.set_default_dtype(torch.double) at import, which
        # would turn every later tensor in the process (e.g. the TabSCM model's) into float64
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_default_dtype(dtype or torch.float32)
