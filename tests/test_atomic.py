"""Every output appears whole or not at all; a full or read-only disk is one line and exit 2, and leaves the previous
complete outputs in place. The disks are small tmpfs mounts (tests run as root, CI too; skipped where mounting is
not allowed)."""
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench.atomic import write_atomic
from bench.cli import main

ROOT = Path(__file__).resolve().parent.parent
PNG_END = b"IEND\xaeB`\x82"


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("previous\n")

    def half_then_fail(f):
        f.write(b"half of the new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomic(path, half_then_fail)
    assert path.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["report.md"]


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    path.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` until it is full, then free ``leave`` bytes. Unbuffered: a buffered file's close would flush
    the part of the last chunk the full disk refused, and raise."""
    filler, chunk = disk / "filler", b"\0" * 65536
    with open(filler, "ab", buffering=0) as f:
        with contextlib.suppress(OSError):
            while True:
                f.write(chunk)
    with contextlib.suppress(OSError):
        os.truncate(filler, max(0, filler.stat().st_size - leave))


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in [out / "report.md", *out.glob("*.csv"),
                                                               *(out / "plots").glob("*.png")] if p.exists()}


def assert_whole(out: Path, before: dict[str, bytes]) -> None:
    """Each output is its previous version or a complete new one, and no temporary file is left."""
    now = outputs(out)
    assert set(before) <= set(now)
    for name, data in now.items():
        if data == before.get(name):
            continue
        if name.endswith(".png"):
            assert data.endswith(PNG_END), name
        elif name.endswith(".csv"):
            assert data.endswith(b"\n") and len(pd.read_csv(out / name)) > 0, name
        else:
            assert data.rstrip().splitlines()[-1].startswith(b"Each job's predicted graph"), name  # report.md's end
    assert not [p for p in out.rglob(".*.tmp")]


def _run(out: Path, methods: str, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "bench", "run", "--suite", "quick", "--methods", methods, "--out", str(out),
           "--quiet", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _refused_in_one_line(stderr: str, *words: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr and all(w in lines[0] for w in words), stderr
    return lines[0]


@pytest.mark.slow
def test_on_a_nearly_full_disk_run_and_report_say_so_and_keep_whole_outputs(tmp_path, capsys):
    with small_disk(tmp_path / "disk", "48m") as disk:
        out = disk / "out"
        assert _run(out, "empty").returncode == 0
        before = outputs(out)
        assert len(before) >= 5 and any(name.endswith(".png") for name in before)
        # more jobs, with the first, smaller outputs put back: the report to write is larger than the one in place
        assert _run(out, "abs-corr,empty,partial-corr").returncode == 0
        for p in (out / "plots").glob("*.png"):
            p.unlink()
        for name, data in before.items():
            (out / name).write_bytes(data)
        for leave in (0, 12_000, 24_000, 40_000, 1_000_000):  # the report fails at different points (plots: 10-35 KB)
            (disk / "filler").unlink(missing_ok=True)
            fill(disk, leave)
            capsys.readouterr()
            code = main(["report", str(out)])
            err = capsys.readouterr().err
            if code == 0:  # enough room for everything: a complete new report
                assert leave > 0
            else:
                assert code == 2
                _refused_in_one_line(err, "cannot write the report", "No space left on device")
            assert_whole(out, before)
            before = outputs(out)
        (disk / "filler").unlink()
        fill(disk, 40_000)
        res = _run(out, "abs-corr,empty,partial-corr,varsort,r2sort")  # new jobs to write, then a report
        assert res.returncode == 2
        _refused_in_one_line(res.stderr, "No space left on device")
        assert_whole(out, before)
        assert not list((out / "jobs").glob(".*.tmp"))


@pytest.mark.slow
def test_a_read_only_folder_is_refused_plainly_and_left_as_it_was(tmp_path):
    with small_disk(tmp_path / "disk", "48m") as disk:
        out = disk / "out"
        assert _run(out, "empty").returncode == 0
        before = outputs(out)
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)]).returncode == 0
        line = _refused_in_one_line(_run(out, "empty,abs-corr").stderr, "cannot write results here",
                                    "Read-only file system")
        assert "kept" not in line
        res = subprocess.run([sys.executable, "-m", "bench", "report", str(out)], cwd=ROOT, capture_output=True,
                             text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert res.returncode == 2
        _refused_in_one_line(res.stderr, "cannot write the report", "Read-only file system")
        assert outputs(out) == before
