"""The HTML digest: one self-contained, email-safe page (inline styles, inline SVG charts,
no scripts, no external requests) that reads well on a phone.

Chart geometry is computed here; the layout lives in ``templates/digest*.html.j2``, which
Jinja2 renders with autoescaping on, so every string that comes from a message is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..analysis.digest import Count, Digest
from . import ReportOptions, register
from .links import message_link
from .templating import environment

CHART_WIDTH = 400


def _bar_chart(ident: str, title: str, rows: Sequence[Count], color: str) -> dict[str, Any]:
    """Horizontal bars, one row per entry: label on one line, bar + count below it."""
    top = max((c.count for c in rows), default=0) or 1
    room = CHART_WIDTH - 40
    out = []
    for i, c in enumerate(rows):
        out.append(
            {
                "y": i * 32,
                "label": c.label,
                "count": c.count,
                "w": max(2, round(room * c.count / top, 1)),
            }
        )
    return {
        "id": ident,
        "title": title,
        "rows": out,
        "width": CHART_WIDTH,
        "height": max(32, len(rows) * 32),
        "color": color,
    }


def _day_chart(days: Sequence[Count]) -> dict[str, Any]:
    """Vertical bars, one per day, with the first, last and a few middle dates as ticks."""
    if not days:
        return {}
    height, base = 150, 126
    top = max(c.count for c in days) or 1
    n = len(days)
    slot = CHART_WIDTH / n
    bars: list[dict[str, Any]] = []
    for i, c in enumerate(days):
        h = round((base - 18) * c.count / top, 1)
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
            x = CHART_WIDTH
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
        "width": CHART_WIDTH,
        "height": height,
        "base": base,
        "max": top,
    }


def context(digest: Digest, options: ReportOptions) -> dict[str, Any]:
    # the tables in the text digest's order, each as a bar chart
    bars = [
        _bar_chart(
            "domains",
            f"Top {digest.top} contributor Email domains (Based on Email Body)",
            digest.domains,
            "#3584e4",
        ),
        _bar_chart(
            "employers",
            f"Top {digest.top} employers (Based on Email Body)",
            digest.employers,
            "#c64600",
        ),
        _bar_chart(
            "contributors",
            f"Top {digest.top} contributors (Based on Email Body)",
            digest.contributors,
            "#26a269",
        ),
    ]
    h = digest.history
    if h is not None and h.top_reviewers:
        bars.append(
            _bar_chart(
                "reviewers",
                f"Top {digest.top} reviewers (Reviewed/Acked/Tested/Reported-by given)",
                h.top_reviewers,
                "#813d9c",
            )
        )
    return {
        "d": digest,
        "o": options,
        "link": lambda msgid: message_link(options.link_base, msgid),
        "days": _day_chart(digest.per_day),
        "bars": bars,
    }


@register("html", "html")
def render_html(digest: Digest, options: ReportOptions) -> str:
    return environment(True).get_template("digest.html.j2").render(**context(digest, options))


def render_fragment(digest: Digest, options: ReportOptions) -> str:
    """The page's body only (for the Atom feed's entry content)."""
    return environment(True).get_template("digest_body.html.j2").render(**context(digest, options))
