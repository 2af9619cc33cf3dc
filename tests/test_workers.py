"""The worker helpers: ordered results from pools fed by generators, and fork_half."""

import os

import pytest

from listdigest.workers import fork_half, ordered_map


def _square(x):
    return x * x


def _tagged(items, in_child):
    return [(x, in_child, os.getpid()) for x in items]


def test_ordered_map_takes_a_generator_and_keeps_order():
    def gen():
        for i in range(50):
            yield i

    assert list(ordered_map(_square, gen(), 2)) == [i * i for i in range(50)]
    assert list(ordered_map(_square, gen(), 1)) == [i * i for i in range(50)]


def test_ordered_map_passes_on_an_error_raised_while_making_tasks():
    def gen():
        yield 1
        raise ValueError("bad task source")

    with pytest.raises(ValueError, match="bad task source"):
        list(ordered_map(_square, gen(), 2))


def test_fork_half_splits_work_between_this_process_and_a_child():
    got = fork_half(_tagged, list(range(10)), min_items=4, workers=2)
    assert [g[0] for g in got] == list(range(10))
    assert {g[1] for g in got[:5]} == {False} and {g[1] for g in got[5:]} == {True}
    assert {g[2] for g in got[:5]} == {os.getpid()} and os.getpid() not in {g[2] for g in got[5:]}


def test_fork_half_stays_here_when_work_is_small_or_one_core():
    assert {g[1] for g in fork_half(_tagged, [1, 2, 3], min_items=4, workers=2)} == {False}
    assert {g[1] for g in fork_half(_tagged, list(range(10)), min_items=4, workers=1)} == {False}
