"""The CLI runs every command with the cyclic garbage collector off (``cli._Group``: a
command's objects form no cycles, and the collector only rescans the growing heap).  Then
whatever is caught in a reference cycle stays to the end of the process: a digest's
messages kept by a cycle cost memory in a multi-list run and a full collection at exit
(0.04 s of a whole-archive report on linux-hyperv).  These tests hold the digest's path
free of cycles, on a real archive and its index."""

from __future__ import annotations

import gc
from collections import Counter

import pytest

from listdigest.pipeline import RangeSpec, render_formats, report
from listdigest.report import formats


def _cyclic_garbage(work) -> Counter:
    """The types (module.name) of the objects ``work()`` left in reference cycles."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        work()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()


@pytest.mark.parametrize("indexed", [True, False], ids=["index", "no-index"])
def test_a_digest_leaves_no_message_in_a_reference_cycle(kvmppc_epoch, real_index, indexed):
    ix = real_index("kvmppc_epoch") if indexed else None

    def work() -> None:
        d = report(kvmppc_epoch, RangeSpec(), index_path=ix)
        assert d.totals.patches > 1000 and d.series  # a real digest was made
        assert len(render_formats(d, formats(), "https://lore.kernel.org/kvm-ppc")) > 4

    left = _cyclic_garbage(work)
    assert left == {k: n for k, n in left.items() if not k.startswith("listdigest.")}, left
