"""Lines for an 80-column reader: what listdigest composes is wrapped at 80 columns, never
inside a word, and no composed line passes 100 on a real month of linux-spi and
linux-hyperv.

What is not composed, and so not held to the limit, is exactly:
- the quoted bodies and changelogs (``BodyEntry.text``, ``SeriesEntry.changelog``):
  commit messages and cover letters as their authors wrote them (a ``Fixes:`` line, a
  URL, a diffstat), printed as sent;
- an archive link (link base + Message-ID) alone on its line in text, and a Markdown
  link's destination ``(<URL>)``: a URL cannot be broken; a Message-ID makes some longer
  than 100 characters by itself.
Everything else (tables, patch list, headers, ``Versions:``, reviews, applied, hot
threads) is held to it, checked twice: on a render whose quoted texts are emptied (every
line left is composed), and line by line on the real render.
"""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from listdigest.pipeline import RangeSpec, report
from listdigest.report import ReportOptions, render
from listdigest.report.wrapping import keep, wrap
from listdigest.timeparse import parse_when
from listdigest.words import plural

LIMIT = 100
# a Markdown link destination as the renderer writes it
MD_DEST_RE = re.compile(r"\]\(<[^>]*>\)")

MONTHS = {
    "linux-spi": ("spi_epoch", "2025-12-15", "2026-01-14"),
    "linux-hyperv": ("hv_epoch", "2026-06-15", "2026-07-14"),
}


@pytest.fixture(scope="module", params=sorted(MONTHS))
def month(request, real_index):
    name = request.param
    fixture, since, until = MONTHS[name]
    epoch = request.getfixturevalue(fixture)
    d = report(
        epoch,
        RangeSpec(since=parse_when(since), until=parse_when(until)),
        list_name=name,
        index_path=real_index(fixture),
    )
    return name, d, ReportOptions(link_base=f"https://lore.kernel.org/{name}/")


def without_quotes(d):
    """The digest with every quoted body and changelog emptied: only composed text left."""
    series = tuple(
        dataclasses.replace(
            s,
            changelog="",
            bodies=tuple(dataclasses.replace(b, text="") for b in s.bodies),
        )
        for s in d.series
    )
    return dataclasses.replace(d, series=series)


def quoted_lines(d):
    return {
        line
        for s in d.series
        for t in (s.changelog, *(b.text for b in s.bodies))
        for line in t.split("\n")
    }


def is_link_line(line, options):
    """An archive link alone on its line (text)."""
    return re.fullmatch(re.escape(options.link_base) + r"\S+/", line.strip()) is not None


def md_composed_length(line):
    """A Markdown line's length without its link destination; None when the line has more
    than one, or text after its one (the wrapper ends a line after a URL)."""
    dests = MD_DEST_RE.findall(line)
    if len(dests) > 1:
        return None
    if dests and not re.search(r"\]\(<[^>]*>\)[)*,. ]*$", line):
        return None
    return len(MD_DEST_RE.sub("]", line))


def too_long_text(text, options, quoted=frozenset()):
    return [
        line
        for line in text.split("\n")
        if len(line) > LIMIT and not is_link_line(line, options) and line not in quoted
    ]


def too_long_markdown(text, quoted=frozenset()):
    out, fence = [], None
    for line in text.split("\n"):
        opener = re.match(r"^(`{3,})", line)
        if fence is None and opener:
            fence = opener.group(1)
            continue
        if fence is not None:
            if line == fence:
                fence = None
            elif len(line) > LIMIT and line not in quoted:
                out.append(line)  # a fenced line that is no line of a body: composed
            continue
        n = md_composed_length(line)
        if n is None or n > LIMIT:
            out.append(line)
    return out


@pytest.mark.real
def test_no_composed_line_passes_100_columns_in_text(month):
    _name, d, options = month
    assert len(d.series) > 20 and d.history is not None and d.history.reviews
    bare = render(without_quotes(d), "text", options)
    assert too_long_text(bare, options) == []
    full = render(d, "text", options)
    assert too_long_text(full, options, quoted_lines(d)) == []
    # before wrapping, the same month had composed lines far past the limit
    whole = render(without_quotes(d), "text", dataclasses.replace(options, width=0))
    assert max(len(line) for line in whole.split("\n") if not is_link_line(line, options)) > 140
    # and wrapping only moved white space
    assert bare.split() == whole.split()


@pytest.mark.real
def test_no_composed_line_passes_100_columns_in_markdown(month):
    _name, d, options = month
    bare = render(without_quotes(d), "markdown", options)
    assert too_long_markdown(bare) == []
    full = render(d, "markdown", options)
    assert too_long_markdown(full, quoted_lines(d)) == []
    whole = render(without_quotes(d), "markdown", dataclasses.replace(options, width=0))
    assert bare.split() == whole.split()


# -- the wrapper itself ------------------------------------------------------------------


def test_wrap_breaks_only_at_spaces_and_indents_the_rest():
    line = "  3 of 3   " + "word " * 30 + "end"
    out = wrap(line, 40, 11)
    assert out.split() == line.split()
    assert all(len(x) <= 40 for x in out.split("\n"))
    assert all(x.startswith(" " * 11) for x in out.split("\n")[1:])
    assert wrap(line, 0) == line and wrap("short", 80) == "short"


def test_plain_fast_path_breaks_lines_as_the_word_loop_does():
    """``wrap`` has two ways to break a plain line (only spaces in it): piece by piece with
    ``rfind``, and the word loop that Markdown and other white space take.  On 30,000
    random lines (list markers, runs of spaces, words longer than the width, kept units)
    the two give the same pieces, at every width and indent."""
    from listdigest.report.wrapping import KEEP, _wrap_plain, _wrap_words

    rng = random.Random(14)
    vocab = ["-", "*", "+", "1.", "12)", "a", "net:", "mana", "[PATCH", "v2", "3/7]", "x" * 45]
    vocab += [f"Ann{KEEP}Lee{KEEP}<ann@example.org>", "https://lore.kernel.org/r/" + "m" * 70]
    checked = 0
    for _ in range(30000):
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 25))]
        line = " " * rng.choice((0, 0, 2, 4)) + "".join(
            w + " " * rng.choice((1, 1, 1, 2, 3)) for w in words
        )
        body = line.rstrip(" ")
        width = rng.randint(8, 100)
        pad = rng.choice(("", "  ", "    ", "           "))
        if len(body) > width:
            checked += 1
            assert _wrap_plain(body, width, pad) == _wrap_words(body, width, pad, False), (
                body,
                width,
                pad,
            )
    assert checked > 20000


def test_wrap_keeps_a_long_word_whole_on_a_line_of_its_own():
    url = "https://lore.kernel.org/x/" + "a" * 120 + "/"
    out = wrap(f"see {url} now", 40).split("\n")
    assert out == ["see", "    " + url, "    now"]


def test_wrap_moves_a_kept_unit_whole():
    author = keep("-- Erni Sri Satya Vennela <ernis@linux.microsoft.com>")
    out = wrap("[PATCH] net: mana: Fall back to the standard MTU  " + author, 60, 2)
    assert out.split("\n") == [
        "[PATCH] net: mana: Fall back to the standard MTU",
        "  -- Erni Sri Satya Vennela <ernis@linux.microsoft.com>",
    ]
    assert "\ue000" not in wrap(author, 0)


def test_markdown_wrap_never_opens_a_block_and_ends_a_line_after_a_url():
    # a continuation line starting "- ", "1." or "#" would become a list or a heading
    line = "- " + "x" * 70 + " - 1. # > = ok"
    out = wrap(line, 72, 2, markdown=True).split("\n")
    assert all(not re.match(r"\s*([-#>=]|\d+\.)(\s|$)", x) for x in out[1:]), out
    link = "[a b c](<https://lore.kernel.org/x/" + "m" * 90 + "@x/>)"
    out = wrap(f"- 1 of 1 {link} — Ann <a@x>", 80, 2, markdown=True).split("\n")
    assert out == ["- 1 of 1 " + link, "  — Ann <a@x>"]
    # trailing spaces (a hard break) stay at the end
    assert wrap("word " * 30 + " ", 40, "", markdown=True).endswith("word  ")


def test_plural():
    assert plural(1, "message") == "1 message" and plural(0, "message") == "0 messages"
    assert (
        plural(2, "reply", "replies") == "2 replies" and plural(1, "reply", "replies") == "1 reply"
    )
    assert plural(1, "series") == "1 series" and plural(3, "series") == "3 series"
