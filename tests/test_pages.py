"""Pages copied ahead (bench.pages): a fork of the job server reports the server's pages it
wrote and no others, copying pages ahead leaves their contents as they were, and jobs run in
spares that copied pages ahead give the same predictions as jobs that did not."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.pages import PAGE

ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/pagemap is Linux's")

# A "server" with a 64-page buffer; each scenario runs in a fork of it, as a job's process does.
SCENARIOS = r"""
import json, os
import numpy as np
from bench import pages

buf = np.full(64 * pages.PAGE, 7, dtype=np.uint8)
first = -(-buf.ctypes.data // pages.PAGE) * pages.PAGE  # the buffer's first whole page
page = lambda i: first + i * pages.PAGE
pages.remember_server()

def in_fork(scenario):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(w, json.dumps(scenario()).encode())
        os._exit(0)
    os.close(w)
    out = b"".join(iter(lambda: os.read(r, 1 << 16), b""))
    os.waitpid(pid, 0)
    return json.loads(out)

def writes():
    buf[page(10) - buf.ctypes.data] = 8
    return sorted({page(10), page(20)} & set(pages.written_pages().tolist()))

def copies():
    ahead = np.array([page(20), page(21)], dtype=np.uint64)
    n = pages.populate(ahead)
    held = set(pages.written_pages().tolist())
    held_beyond = set(pages.written_pages(exclude=ahead).tolist())
    return {"copied": n, "held": sorted({page(20), page(21), page(30)} & held),
            "beyond": sorted({page(20), page(21)} & held_beyond), "sum": int(buf.sum(dtype=np.int64))}

print(json.dumps({"pages": [page(10), page(20), page(21)], "writes": in_fork(writes), "copies": in_fork(copies),
                  "sum": int(buf.sum(dtype=np.int64))}))
"""


@linux_only
def test_a_fork_reports_the_pages_it_wrote_and_copying_ahead_keeps_contents():
    out = subprocess.run([sys.executable, "-c", SCENARIOS], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout)
    p10, p20, p21 = r["pages"]
    assert r["writes"] == [p10]  # the page it wrote, not the one beside it it only shares
    c = r["copies"]
    assert c["copied"] == 2 and c["held"] == [p20, p21]  # copied, not one page more
    assert c["beyond"] == []  # what was copied ahead is not reported as written
    assert c["sum"] == r["sum"] == 7 * 64 * PAGE  # contents as they were


def test_jobs_in_spares_that_copied_pages_ahead_predict_the_same(tmp_path):
    """The first run's first PC jobs learn which pages they write; every later spare copies
    them ahead. Predictions are the same either way."""
    import time

    import datasets
    from bench import execute
    from bench.jobs import build_jobs
    from bench.runner import run_jobs
    from bench.store import load_arrays, load_records

    data = [(ds, "quick", {}) for ds in datasets.load_suite("quick")[:3]]
    jobs = build_jobs(["pc"], data, 1)
    execute._WRITTEN.pop("pc", None)
    outs = [tmp_path / "learning", tmp_path / "copied-ahead"]
    for out in outs:
        assert run_jobs(jobs, out, progress=False)["ok"] == len(jobs)
        deadline = time.time() + 30
        while execute._LEARNING and time.time() < deadline:  # pages come after each job's "done"
            execute._collect_pages()
            time.sleep(0.05)
        if sys.platform.startswith("linux"):
            assert execute._WRITTEN["pc"].size > 0  # learned in the first run, copied ahead in the second
    if sys.platform.startswith("linux"):
        assert execute._SPARE[0][2]  # the spare waiting now has copied them
    preds = [{r["key"]: load_arrays(out, r["key"]) for r in load_records(out)} for out in outs]
    assert preds[0].keys() == preds[1].keys() == {j.key for j in jobs}
    for key, a in preds[0].items():
        b = preds[1][key]
        assert np.array_equal(a["graph"], b["graph"]) and np.array_equal(a["scores"], b["scores"])
