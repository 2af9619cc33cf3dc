"""Run state: atomic replacement, and the per-list lock."""

from __future__ import annotations

import os

import pytest

from listdigest.errors import StateError
from listdigest.store.state import State, locked, read_state, write_state


def test_roundtrip_and_atomic_replace(tmp_path):
    d = str(tmp_path / "s")
    assert read_state(d, "kvm") is None
    write_state(d, "kvm", State(to_commit="a" * 40, count=1))
    write_state(d, "kvm", State(to_commit="b" * 40, count=2, message_id="<x@y>"))
    st = read_state(d, "kvm")
    assert st.to_commit == "b" * 40 and st.count == 2 and st.message_id == "<x@y>"
    assert sorted(os.listdir(d)) == ["kvm.json"]  # no temporary file left behind


def test_corrupt_state_is_an_error(tmp_path):
    (tmp_path / "kvm.json").write_text("{not json")
    with pytest.raises(StateError, match=r"kvm\.json: unreadable state file"):
        read_state(str(tmp_path), "kvm")


def test_lock_is_exclusive_per_list(tmp_path):
    d = str(tmp_path)
    with locked(d, "kvm"):
        with pytest.raises(StateError) as ei, locked(d, "kvm"):
            pass
        assert str(ei.value) == f"another run holds {os.path.join(d, 'kvm.lock')}"
        with locked(d, "hv"):  # another list is independent
            pass
    with locked(d, "kvm"):  # released
        pass
