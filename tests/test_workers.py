"""The worker pool on its own (no Blender): a job that crashes its worker or hangs past its timeout
fails alone, with the reason; the other jobs finish; each worker starts once for many jobs.

The workers here are a few lines of Python speaking the pool's protocol through
``workers.serve`` — the same function the real bake worker uses — so what is tested is the pool's
handling of real processes that really crash, hang and write to stdout.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from microface_addon.cli.workers import Finished, Job, Pool, Started

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]

WORKER = textwrap.dedent(
    """
    import importlib.util, os, sys, time
    # workers.py on its own (it imports nothing of the package): a worker that starts fast
    spec = importlib.util.spec_from_file_location("workers", {path!r})
    workers = sys.modules["workers"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workers)
    serve = workers.serve

    print("chatter before serving")          # must not be taken for a result

    def handle(job):
        print("chatter while working")       # Python prints land on stderr
        os.write(1, b"C-level chatter\\n")    # and so does fd 1
        if job["do"] == "crash":
            print("about to abort", file=sys.stderr, flush=True)
            os.abort()
        if job["do"] == "hang":
            time.sleep(600)
        if job["do"] == "exit":
            os._exit(7)
        return {{"pid": os.getpid(), "echo": job["do"]}}

    sys.exit(serve(handle))
    """
)


@pytest.fixture
def worker(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(path=str(ROOT / "microface_addon/cli/workers.py")))
    return [sys.executable, str(script)]


def run(pool: Pool, jobs: list[Job]) -> tuple[dict[str, Finished], list[Started]]:
    done, started = {}, []
    for event in pool.run(jobs, poll_s=0.05):
        if isinstance(event, Finished):
            assert event.job.key not in done
            done[event.job.key] = event
        elif isinstance(event, Started):
            started.append(event)
    return done, started


def test_workers_start_once_for_many_jobs(worker):
    jobs = [Job(f"j{i}", {"do": f"j{i}"}) for i in range(8)]
    done, started = run(Pool(worker, 2), jobs)
    assert sorted(done) == sorted(j.key for j in jobs)
    assert all(d.error is None and d.result["echo"] == k for k, d in done.items())
    pids = {d.result["pid"] for d in done.values()}
    assert len(pids) == 2  # two workers took all eight jobs
    assert {s.pid for s in started} == pids
    assert all(d.pid == d.result["pid"] for d in done.values())


def test_a_crash_and_a_hang_fail_alone_and_fresh_workers_take_the_rest(worker):
    jobs = [
        Job("a", {"do": "a"}),
        Job("crash", {"do": "crash"}),
        Job("b", {"do": "b"}),
        Job("hang", {"do": "hang"}, timeout_s=1.0),
        Job("exit", {"do": "exit"}),
        Job("c", {"do": "c"}),
        Job("d", {"do": "d"}),
    ]
    done, _ = run(Pool(worker, 2), jobs)
    assert sorted(done) == sorted(j.key for j in jobs)
    for key in ("a", "b", "c", "d"):
        assert done[key].error is None and done[key].result["echo"] == key
    crash = done["crash"]
    assert crash.result is None
    assert crash.error.startswith("worker crashed (killed by SIGABRT)"), crash.error
    assert "about to abort" in crash.error  # the last thing it said
    assert done["exit"].error.startswith("worker crashed (exited with code 7)")
    hang = done["hang"]
    assert hang.result is None and hang.error == "timed out after 1 s (worker stopped)"
    assert 1.0 <= hang.seconds < 30
    for key in ("crash", "hang", "exit"):  # the dead or killed worker is gone
        with pytest.raises(ProcessLookupError):
            os.kill(done[key].pid, 0)


def test_a_worker_that_cannot_start_fails_each_job_with_the_reason(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sys; print('no bpy here', file=sys.stderr); sys.exit(3)\n")
    done, started = run(Pool([sys.executable, str(bad)], 1), [Job("x", {}), Job("y", {})])
    assert started == []
    for key in ("x", "y"):
        assert done[key].error == "worker failed to start (exited with code 3): no bpy here"
