"""The HTML digest: one self-contained, email-safe page (inline styles, no scripts, no
external requests) that reads well on a phone, in webmail and in a text browser.

The count tables are HTML ``<table>``s (a bar under each label is a styled ``<div>``), so
their numbers survive a client that strips ``<svg>`` and ``w3m -dump`` prints one row per
line.  The messages-per-day chart is an SVG of a fixed size in pixels, in a horizontally
scrollable wrapper, so its labels keep their size on any screen; the same counts follow it
as a table.  Diffstats are set ``white-space:pre`` in a scrollable block, so a path never
wraps on a phone.  The geometry is computed here; the layout lives in
``templates/digest*.html.j2``, which Jinja2 renders with autoescaping on, so every string
that comes from a message is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import markupsafe

from ..analysis.digest import Digest
from . import ReportOptions, register
from .links import message_link
from .templating import render_template


class Ranked(Protocol):
    """A row of a count table (``analysis.counts.Count``)."""

    @property
    def count(self) -> int: ...

    @property
    def label(self) -> str: ...


#: the day chart: pixels per day, and its width bounds (a longer range scrolls sideways)
DAY_SLOT, DAY_MIN_WIDTH, DAY_MAX_WIDTH = 14, 300, 720
#: font size of the day chart's labels, in CSS pixels at any page width
LABEL_PX = 12


def _table(
    ident: str, title: str, rows: Sequence[Ranked], unit: str, what: str, color: str
) -> dict[str, Any]:
    """A count table: one row per entry, with a bar as wide as its share of the top count."""
    top = max((c.count for c in rows), default=0) or 1
    return {
        "id": ident,
        "title": title,
        "unit": unit,
        "what": what,
        "color": color,
        "rows": [
            {"count": c.count, "label": c.label, "pct": max(1, round(100 * c.count / top))}
            for c in rows
        ],
    }


def _day_chart(days: Sequence[Ranked]) -> dict[str, Any]:
    """Vertical bars, one per day, with the first, last and a few middle dates as ticks; the
    chart is ``DAY_SLOT`` pixels a day (within the width bounds), never scaled to the page."""
    if not days:
        return {}
    n = len(days)
    width = min(DAY_MAX_WIDTH, max(DAY_MIN_WIDTH, n * DAY_SLOT))
    height, base = 150, 126
    top = max(c.count for c in days) or 1
    slot = width / n
    bars: list[dict[str, Any]] = []
    for i, c in enumerate(days):
        h = round((base - 22) * c.count / top, 1)
        bars.append(
            {
                "x": round(i * slot + slot * 0.1, 2),
                "w": round(max(slot * 0.8, 0.5), 2),
                "y": round(base - h, 1),
                "h": h,
                "label": c.label,
                "count": c.count,
            }
        )
    want = min(n, 4)
    idx = sorted({round(k * (n - 1) / (want - 1)) for k in range(want)}) if want > 1 else [0]
    ticks = []
    for i in idx:
        x = i * slot + slot / 2
        anchor = "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")
        if anchor == "start":
            x = 0
        elif anchor == "end":
            x = width
        ticks.append(
            {
                "x": round(x, 1),
                "label": days[i].label[5:] if n > 1 else days[i].label,
                "anchor": anchor,
            }
        )
    return {
        "bars": bars,
        "ticks": ticks,
        "width": width,
        "height": height,
        "base": base,
        "max": top,
        "font": LABEL_PX,
        "rows": days,
    }


# one line of a diffstat, as git format-patch writes it: " path | 12 +++--" (or "Bin a -> b
# bytes"), the " N files changed, ..." summary, and the create/delete/rename/mode lines
_DIFFSTAT_RE = re.compile(
    r"^ (?:\S.*\s\|\s+(?:\d+ ?[-+]*|Bin .*)"
    r"|\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?"
    r"|(?:create|delete) mode \d+ \S.*|rename .*\(\d+%\)|mode change .*)$"
)


def segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into runs of prose and of diffstat lines: ``(is_diffstat, run)``, in
    order, so a diffstat can be set unwrapped while the prose around it wraps.  Each run but
    the last keeps its closing newline: joined, the runs are ``text`` again."""
    out: list[tuple[bool, list[str]]] = []
    for line in text.split("\n"):
        stat = bool(_DIFFSTAT_RE.match(line))
        if out and out[-1][0] == stat:
            out[-1][1].append(line)
        else:
            out.append((stat, [line]))
    return [
        (stat, "\n".join(lines) + ("\n" if i < len(out) - 1 else ""))
        for i, (stat, lines) in enumerate(out)
    ]


def context(digest: Digest, options: ReportOptions) -> dict[str, Any]:
    # the tables in the text digest's order: the seed's two, then the employers, reviewers
    top = digest.top
    tables = [
        _table(
            "domains",
            f"Top {top} contributor Email domains (Based on Email Body)",
            digest.domains,
            "Postings",
            "Domain",
            "#3584e4",
        ),
        _table(
            "contributors",
            f"Top {top} contributors (Based on Email Body)",
            digest.contributors,
            "Postings",
            "Contributor",
            "#26a269",
        ),
        _table(
            "employers",
            f"Top {top} employers (Based on Email Body)",
            digest.employers,
            "Postings",
            "Employer",
            "#c64600",
        ),
    ]
    h = digest.history
    if h is not None and h.top_reviewers:
        tables.append(
            _table(
                "reviewers",
                f"Top {top} reviewers (Reviewed/Acked/Tested/Reported-by given)",
                h.top_reviewers,
                "Trailers",
                "Reviewer",
                "#813d9c",
            )
        )
    return {
        "d": digest,
        "o": options,
        "link": lambda msgid: message_link(options.link_base, msgid),
        "days": _day_chart(digest.per_day),
        "tables": tables,
        "segments": segments,
    }


@register("html", "html")
def render_html(digest: Digest, options: ReportOptions) -> str:
    # the body is rendered on its own, not included: an included template's context is
    # out of reach of render_template, which empties a render's context after it
    body = markupsafe.Markup(render_fragment(digest, options))
    return render_template("digest.html.j2", True, options.cache_dir, d=digest, body=body)


def render_fragment(digest: Digest, options: ReportOptions) -> str:
    """The page's body only (for the Atom feed's entry content)."""
    return render_template(
        "digest_body.html.j2", True, options.cache_dir, **context(digest, options)
    )
