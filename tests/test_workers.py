"""The worker helpers: ordered results from pools fed by generators, and Forked."""

import os

import pytest

from listdigest.workers import Forked, ordered_map


def _square(x):
    return x * x


def _tagged(items, in_child):
    return [(x, in_child, os.getpid()) for x in items]


def test_ordered_map_takes_a_generator_and_keeps_order():
    def gen():
        yield from range(50)

    assert list(ordered_map(_square, gen(), 2)) == [i * i for i in range(50)]
    assert list(ordered_map(_square, gen(), 1)) == [i * i for i in range(50)]


def test_unordered_map_gives_every_result_once():
    def gen():
        yield from range(50)

    got = list(ordered_map(_square, gen(), 2, ordered=False))
    assert sorted(got) == [i * i for i in range(50)]


def test_ordered_map_passes_on_an_error_raised_while_making_tasks():
    def gen():
        yield 1
        raise ValueError("bad task source")

    with pytest.raises(ValueError, match="bad task source"):
        list(ordered_map(_square, gen(), 2))


def test_forked_work_runs_in_a_child_while_this_process_goes_on():
    started = Forked(_tagged, list(range(10)), min_items=4, workers=2)
    here = [x * 2 for x in range(1000)]  # this process is free meanwhile
    got = started.result()
    assert here[-1] == 1998
    assert [g[0] for g in got] == list(range(10))
    assert {g[1] for g in got} == {True} and os.getpid() not in {g[2] for g in got}


def test_forked_work_stays_here_when_small_or_on_one_core():
    assert {g[1] for g in Forked(_tagged, [1, 2, 3], min_items=4, workers=2).result()} == {False}
    assert {g[1] for g in Forked(_tagged, list(range(10)), min_items=4, workers=1).result()} == {
        False
    }


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_default_workers_counts_the_cores_this_process_may_use():
    """Under ``taskset -c 0`` (or a container's cpuset) one core is usable whatever the
    machine has: one worker, so a build does not run two parsers on one core."""
    import shutil
    import subprocess
    import sys

    if shutil.which("taskset") is None:
        pytest.skip("taskset is not installed")
    code = "from listdigest.workers import default_workers; print(default_workers())"
    one = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert one.stdout.strip() == "1"
    every = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert every.stdout.strip() == str(min(len(os.sched_getaffinity(0)), 4))
