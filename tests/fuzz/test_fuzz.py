"""The short fuzz run CI does: >= 100,000 inputs over the parsers, no crash, no input over
1 s of CPU.  Seeds are real messages (see conftest) and crafted hostile ones; mutations are
deterministic (fixed random seed), so a failure reproduces.  For long runs see
``python -m tests.fuzz.long --help``.

A crash found here must become a named test in ``tests/test_regressions.py``.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listdigest.message import MessageError, parse_message
from listdigest.message.headers import decoded, parse_date, received_time
from listdigest.message.subject import parse_subject
from listdigest.sources import RawMessage

from . import engine
from . import targets as T

#: the CI run must feed at least this many inputs in total
CI_TOTAL = 100_000
#: no single input may take more CPU time than this
PER_INPUT_LIMIT = 1.0
#: set LISTDIGEST_FUZZ_SEED to explore other mutations with the same test
SEED = int(os.environ.get("LISTDIGEST_FUZZ_SEED", "8"))

TARGETS = T.targets()

# 100,000 inputs: in the full suite (CI), not in the fast tier
pytestmark = pytest.mark.slow


def test_ci_budget_is_at_least_100k():
    assert sum(t.ci_inputs for t in TARGETS.values()) >= CI_TOTAL


def _report(stats: engine.Stats, tmp_path) -> str:
    lines = [f"{stats.target}: {len(stats.crashes)} crash(es) in {stats.inputs} inputs"]
    for i, c in enumerate(stats.crashes[:5]):
        path = tmp_path / f"crash-{stats.target}-{i}.bin"
        path.write_bytes(c.data)
        lines.append(f"--- input saved to {path}\n{c.error}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(TARGETS))
def test_fuzz_target(name, fuzz_messages, tmp_path):
    target = TARGETS[name]
    seeds = [s[: target.max_input] for s in T.seeds_for(name, fuzz_messages)]
    stats = engine.run(
        name,
        target.fn,
        target.allowed,
        seeds,
        count=target.ci_inputs,
        seed=SEED,
        max_input=target.max_input,
    )
    print(f"fuzz {name}: {stats.inputs} inputs, slowest {stats.max_seconds * 1000:.1f} ms CPU")
    assert stats.inputs == target.ci_inputs
    assert not stats.crashes, _report(stats, tmp_path)
    assert stats.max_seconds < PER_INPUT_LIMIT, (
        f"{name}: slowest input took {stats.max_seconds:.2f}s: {stats.slowest[:200]!r}"
    )


# --------------------------------------------------------------------------- structured (hypothesis)

_TOKENS = st.sampled_from(
    [
        "[",
        "]",
        "PATCH",
        "RFC",
        "v2",
        "v5.1",
        "V3",
        "1/3",
        "01/17",
        "6/5",
        "3/n",
        "1 of 3",
        ",",
        " ",
        "Re:",
        "Aw:",
        "回复:",
        "FW:",
        "net-next",
        "AUTOSEL",
        "6.1",
        "x",
        "(v2)",
        "[was",
        "\t",
        "：",
        "GIT PULL",
        "RESEND",
        "0/0",
        "99999999999999999999",
        "v99999999999999999999",
        "/",
        "\u202e",
        "\x00",
    ]
)
_HYP = settings(max_examples=600, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


@_HYP
@given(st.lists(_TOKENS, max_size=40).map("".join) | st.text(max_size=300))
def test_hypothesis_subject_never_raises(subject):
    s = parse_subject(subject)
    assert isinstance(s.reply, bool)


_CHARSETS = st.sampled_from(
    [
        "utf-8",
        "UTF-8",
        "iso-8859-1",
        "x-unknown",
        "idna",
        "utf-16",
        "bogus",
        "gb2312",
        "utf-8*en",
        "us-ascii",
        "rot13",
        "base64",
        "",
        "utf-7",
        "iso-2022-jp",
    ]
)


@_HYP
@given(
    st.lists(st.tuples(_CHARSETS, st.sampled_from("bBqQ"), st.binary(max_size=40)), max_size=6),
    st.text(max_size=40),
)
def test_hypothesis_encoded_words_decode_to_one_clean_line(words, plain):
    import base64

    parts = []
    for cs, enc, payload in words:
        if enc in "bB":
            text = base64.b64encode(payload).decode()
        else:
            text = "".join(f"={b:02X}" for b in payload)
        parts.append(f"=?{cs}?{enc}?{text}?=")
    value = plain + " ".join(parts)
    out = decoded(value)
    assert "\r" not in out and "\n" not in out and "\x00" not in out


@_HYP
@given(
    st.integers(0, 9999),
    st.integers(-20, 40),
    st.integers(-5, 40),
    st.integers(-1, 99),
    st.integers(-1, 99),
    st.integers(-99999, 99999),
    st.sampled_from(["Mon, ", "", "Foo, "]),
    st.sampled_from(["Jan", "Feb", "XYZ", "dec"]),
)
def test_hypothesis_dates_are_none_or_in_range(year, day, hour, minute, sec, zone, wd, month):
    value = f"{wd}{day} {month} {year} {hour:02d}:{minute:02d}:{sec:02d} {zone:+05d}"
    ts = parse_date(value)
    assert ts is None or 0 <= ts <= 7258118400
    ts2 = received_time([f"from x by y; {value}"])
    assert ts2 == ts
    if ts is not None:
        dt.datetime.fromtimestamp(ts, dt.timezone.utc)


_HEADER_NAMES = st.sampled_from(
    [
        "From",
        "Subject",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Received",
        "X-Original-From",
        "Reply-To",
        "To",
        "Cc",
    ]
)


@_HYP
@given(
    st.lists(st.tuples(_HEADER_NAMES, st.binary(max_size=80)), max_size=12),
    st.binary(max_size=400),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_hypothesis_messages_parse_or_are_refused(headers, body, nl):
    raw = b"".join(k.encode() + b": " + v + nl for k, v in headers) + nl + body
    try:
        m = parse_message(RawMessage(data=raw))
    except MessageError:
        return
    for s in (m.subject, m.msgid, m.from_name, m.author_name, m.from_addr):
        assert "\n" not in s and "\r" not in s and "\x00" not in s
