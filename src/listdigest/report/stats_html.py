"""``Stats`` as one self-contained HTML page: the text layout's tables as HTML tables, with
plain CSS bars for the tenure histogram; no scripts, no external requests, every name
escaped.

Owns the page only; every figure comes from ``analysis.stats``.
"""

from __future__ import annotations

from html import escape

from ..analysis.stats import Ranking, Stats
from ..timeparse import day
from .stats_text import _num, _pct

_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "td,th{padding:2px 8px;text-align:left}td.n{text-align:right}"
    ".grid{display:flex;flex-wrap:wrap;gap:0 2em}"
    ".bar{background:#4a7ab5;height:.8em;display:inline-block}"
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
    ro = s.roles
    parts.append(
        "<h2>Who does what</h2><table>"
        f'<tr><td>only authored</td><td class="n">{ro.only_author}</td></tr>'
        f'<tr><td>only reviewed</td><td class="n">{ro.only_reviewer}</td></tr>'
        f'<tr><td>both</td><td class="n">{ro.both}</td></tr></table>'
    )
    if s.tenure:
        most = max(max(b.authors, b.reviewers) for b in s.tenure) or 1
        parts.append("<h3>Tenure</h3><table><tr><th></th><th>authors</th><th>reviewers</th></tr>")
        for b in s.tenure:
            parts.append(
                f"<tr><td>{escape(b.label)}</td>"
                + "".join(
                    f'<td><span class="bar" style="width:{8 * v // most}em"></span> {v}</td>'
                    for v in (b.authors, b.reviewers)
                )
                + "</tr>"
            )
        parts.append("</table>")
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
        + "</table></body></html>\n"
    )
    return "\n".join(parts)
