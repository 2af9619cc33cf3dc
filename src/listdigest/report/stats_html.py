"""``Stats`` as one self-contained HTML page: the text layout's tables as HTML tables, and
three inline SVG charts (rank movement of the top reviewers and authors, the tenure
histogram, the time-to-first-reply / time-to-applied distribution), each drawn at a fixed
pixel size (labels 12 px on a phone and a desktop alike, in a wrapper that scrolls sideways
when it is wider than the screen) with a table of the same numbers beside it; no scripts,
no external requests, every name escaped.

Owns the page only; every figure comes from ``analysis.stats``.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..analysis.stats import Ranking, Stats
from ..timeparse import day
from .stats_text import _num, _pct

_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{padding:2px 8px;text-align:left}td.n{text-align:right}td:last-child{overflow-wrap:anywhere}"
    ".grid>div,.chart>table{min-width:0}"
    ".grid{display:flex;flex-wrap:wrap;gap:0 2em}"
    ".chart{display:flex;flex-wrap:wrap;gap:.5em 2em;align-items:flex-start}"
    ".scroll{overflow-x:auto;max-width:100%}"
    ".scroll svg{display:block}"
)

#: chart geometry, in CSS pixels (the SVGs carry no viewBox scaling: 1 unit = 1 px)
FONT = 12
ROW = 20
WIDTH = 340
#: the two series' colours (bars and legend)
COLOURS = ("#4a7ab5", "#d9822b")
#: the longest name a rank-movement chart prints (the table beside it has the whole name)
NAME_CHARS = 25


def _svg(cid: str, label: str, height: int, body: str) -> str:
    # a line per element: nothing in the drawing, a space between words in ``w3m -dump``
    lines = body.replace("><", ">\n<")
    return (
        f'<div class="scroll"><svg id="{cid}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif" font-size="{FONT}" style="font-size:{FONT}px">'
        f"<title>{escape(label)}</title>\n{lines}\n</svg></div>"
    )


def _bars_chart(
    cid: str, title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]
) -> str:
    """Horizontal bars, one group per row (a bar per series, its count after it), a legend
    on top, and the table of the same counts beside it."""
    label_w, bar_h = 90, 8
    most = max((v for _, vs in rows for v in vs), default=0) or 1
    span = WIDTH - label_w - 40
    group = len(series) * (bar_h + 2) + 8
    top = ROW + 4
    out = []
    x = 0
    for i, name in enumerate(series):
        out.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{COLOURS[i]}"/>'
            f'<text x="{x + 14}" y="14">{escape(name)}</text>'
        )
        x += 14 + 8 * len(name) + 16
    for j, (name, vs) in enumerate(rows):
        y = top + j * group
        out.append(f'<text x="0" y="{y + group // 2 + 2}">{escape(name)}</text>')
        for i, v in enumerate(vs):
            by = y + i * (bar_h + 2)
            w = round(span * v / most)
            out.append(
                f'<rect x="{label_w}" y="{by}" width="{w}" height="{bar_h}" fill="{COLOURS[i]}"/>'
                f'<text x="{label_w + w + 4}" y="{by + bar_h}" font-size="10" '
                f'style="font-size:10px">{v}</text>'
            )
    chart = _svg(cid, title, top + len(rows) * group, "".join(out))
    head = "<tr><th></th>" + "".join(f'<th class="n">{escape(n)}</th>' for n in series)
    body = "".join(
        f"<tr><td>{escape(name)}</td>" + "".join(f'<td class="n">{v}</td>' for v in vs) + "</tr>"
        for name, vs in rows
    )
    return (
        f'<h3>{escape(title)}</h3><div class="chart">{chart}<table>{head}</tr>{body}</table></div>'
    )


def _previous_rank(rank: int, move: str) -> int | None:
    """The rank before, from the row's movement ("+3" up three places); None when new."""
    if move == "=":
        return rank
    if move[:1] in "+-" and move[1:].isdigit():
        return rank + int(move)
    return None


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "\u2026"


def _movement_chart(r: Ranking, cid: str) -> str:
    """A slope chart of ``r``: previous rank on the left, rank now on the right (a rank
    below the table's, and "new", at the bottom), and the table of the same rows."""
    n = len(r.rows)
    left, right, name_x = 34, 104, 140
    # a rank below the table's, or "new": a slot of its own under the table's ranks
    out_of = sorted(
        (x for x in r.rows if (_previous_rank(x.rank, x.move) or n + 10**6) > n),
        key=lambda x: _previous_rank(x.rank, x.move) or n + 10**6,
    )
    slot = {x.rank: n + 1 + i for i, x in enumerate(out_of)}
    below = n + len(out_of)
    out = [
        f'<text x="0" y="{FONT}">before</text>',
        f'<text x="{right - 16}" y="{FONT}">now</text>',
    ]

    def y(rank: int) -> int:
        return ROW + rank * ROW - ROW // 2

    for x in r.rows:
        prev = _previous_rank(x.rank, x.move)
        py = y(slot.get(x.rank, prev or 0))
        tag = "new" if prev is None else f"#{prev}"
        colour = COLOURS[0] if prev is None or prev >= x.rank else COLOURS[1]
        out.append(
            f'<line x1="{left}" y1="{py}" x2="{right}" y2="{y(x.rank)}" stroke="{colour}" '
            'stroke-width="2"/>'
            f'<circle cx="{left}" cy="{py}" r="3" fill="{colour}"/>'
            f'<circle cx="{right}" cy="{y(x.rank)}" r="3" fill="{colour}"/>'
            f'<text x="{left - 6}" y="{py + 4}" text-anchor="end">{escape(tag)}</text>'
            f'<text x="{right + 6}" y="{y(x.rank) + 4}">#{x.rank}</text>'
            f'<text x="{name_x}" y="{y(x.rank) + 4}">{escape(_short(x.name))}</text>'
        )
    chart = _svg(cid, f"{r.title}: rank movement", y(below) + ROW // 2, "".join(out))
    head = '<tr><th class="n">before</th><th class="n">now</th><th>move</th><th>name</th></tr>'
    body = "".join(
        f'<tr><td class="n">{escape(str(_previous_rank(x.rank, x.move) or "new"))}</td>'
        f'<td class="n">{x.rank}</td><td class="n">{escape(x.move)}</td>'
        f"<td>{escape(x.name)}</td></tr>"
        for x in r.rows
    )
    return (
        f"<h3>{escape(r.title)}: rank movement</h3>"
        f'<div class="chart">{chart}<table>{head}{body}</table></div>'
    )


def _ranking(r: Ranking, moves: bool) -> str:
    head = "<tr><th>#</th>" + ("<th>move</th>" if moves else "") + "<th>n</th><th>name</th></tr>"
    rows = "".join(
        f'<tr><td class="n">{x.rank}</td>'
        + (f'<td class="n">{escape(x.move)}</td>' if moves else "")
        + f'<td class="n">{x.value}</td><td>{escape(x.name)}</td></tr>'
        for x in r.rows
    )
    return f"<div><h3>{escape(r.title)}</h3><table>{head}{rows}</table></div>"


def render_html(stats: Stats) -> str:
    s = stats
    t = s.totals
    moves = s.previous is not None
    span = f"{day(s.since)}..{day(s.until)}" if s.since and s.until else "?"
    title = escape(f"{s.list_name} development statistics, {span}")
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head><body>',
        f"<h1>{title}</h1>",
        f"<p>{t.messages} messages ({t.messages_per_day:g}/day) from {t.people} people "
        f"({t.people_per_day:g}/day); {t.threads} threads, {t.change_sets} change sets; "
        f"review share {_pct(t.review_share)}; {t.bot_messages} bot messages not counted.</p>",
    ]
    if s.previous is not None:
        parts.append(
            "<table><tr><th>compared with "
            + escape(f"{s.previous[0]}..{s.previous[1]}")
            + "</th><th>now</th><th>before</th></tr>"
            + "".join(
                f'<tr><td>{escape(c.name)}</td><td class="n">{c.now:g}</td>'
                f'<td class="n">{c.before:g}</td></tr>'
                for c in s.change
            )
            + "</table>"
        )
    for heading, rankings in (("People", s.rankings), ("Companies", s.company_rankings)):
        parts.append(f"<h2>{heading}</h2><div class='grid'>")
        parts += [_ranking(r, moves) for r in rankings]
        parts.append("</div>")
    parts.append(f"<p>(Unknown): {_pct(s.unknown_share)} of messages.</p>")
    if moves:
        charts = [
            _movement_chart(r, f"move-{r.key}")
            for r in s.rankings
            if r.key in ("reviewers_cs", "authors_cs") and r.rows
        ]
        if charts:
            parts.append("<h2>Rank movement</h2>")
            parts += charts
    ro = s.roles
    parts.append(
        "<h2>Who does what</h2><table>"
        f'<tr><td>only authored</td><td class="n">{ro.only_author}</td></tr>'
        f'<tr><td>only reviewed</td><td class="n">{ro.only_reviewer}</td></tr>'
        f'<tr><td>both</td><td class="n">{ro.both}</td></tr></table>'
    )
    if s.tenure:
        parts.append(
            _bars_chart(
                "tenure",
                "Tenure",
                ("authors", "reviewers"),
                [(b.label, (b.authors, b.reviewers)) for b in s.tenure],
            )
        )
        parts.append(
            "<h3>First-time authors</h3><ul>"
            + "".join(f"<li>{escape(a)}</li>" for a in s.first_time_authors)
            + "</ul>"
        )
    o, c = s.outcomes, s.coverage
    rows = [
        ("change sets", f"{o.change_sets} (single patch {o.single_patch}, series {o.series})"),
        ("with a review tag from someone else", str(o.with_review_tag)),
        ("replied to by someone else", str(o.replied)),
        ("applied", str(o.applied)),
        ("versions posted per change set", f"{o.mean_versions_posted:g}"),
        (
            "first reply (median, p90)",
            f"{_num(o.first_reply_median_h, ' h')}, {_num(o.first_reply_p90_h, ' h')}",
        ),
        (
            "applied after (median, p90)",
            f"{_num(o.applied_median_d, ' d')}, {_num(o.applied_p90_d, ' d')}",
        ),
        ("applied with Reviewed-by/Acked-by", f"{c.reviewed} ({_pct(c.reviewed_share)})"),
        ("cross-company review", f"{c.cross_company} ({_pct(c.cross_company_share)})"),
    ]
    parts.append(
        "<h2>Change sets</h2><table>"
        + "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )
    if o.durations:
        parts.append(
            _bars_chart(
                "durations",
                "Time to first reply and to applied (change sets)",
                ("first reply", "applied"),
                [(b.label, (b.first_reply, b.applied)) for b in o.durations],
            )
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)
