"""``Stats`` as text and JSON: aligned tables in the layout of the published development
statistics mails (rank, movement, count, name), and ``Stats.to_dict()`` as JSON.

Owns the layout only; every figure comes from ``analysis.stats``.
"""

from __future__ import annotations

import json

from ..analysis.stats import Ranking, Stats
from ..timeparse import day

#: how wide a name may be before it is cut (a table stays one line per row)
NAME_WIDTH = 52


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _num(x: float | None, unit: str) -> str:
    return "-" if x is None else f"{x:g}{unit}"


def _signed(x: float) -> str:
    return f"{x:+.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{int(x):+d}"


def ranking_lines(r: Ranking, moves: bool) -> list[str]:
    """One table: a heading, then ``rank (move) [value] name`` rows, values right-aligned."""
    out = [f"{r.title}:"]
    if not r.rows:
        return [*out, "   (none)"]
    vw = max(len(str(x.value)) for x in r.rows)
    for x in r.rows:
        name = x.name if len(x.name) <= NAME_WIDTH else x.name[: NAME_WIDTH - 1] + "…"
        move = f"({x.move:>4}) " if moves else ""
        out.append(f"  {x.rank:>3} {move}[{x.value:>{vw}}] {name}")
    return out


def render_text(stats: Stats) -> str:
    s = stats
    t = s.totals
    moves = s.previous is not None
    span = f"{day(s.since)}..{day(s.until)}" if s.since and s.until else "?"
    lines = [
        f"{s.list_name} development statistics, {span} ({t.days:g} days; "
        f"archive {s.start or '?'}..{s.end or '?'})",
        "",
        f"Messages: {t.messages} ({t.messages_per_day:g}/day) from {t.people} people "
        f"({t.people_per_day:g}/day), {t.bot_messages} from bots not counted",
        f"Threads: {t.threads}; change sets: {t.change_sets}; "
        f"review share: {_pct(t.review_share)} of messages",
    ]
    if s.previous is not None:
        lines.append(f"Previous period: {s.previous[0] or '?'}..{s.previous[1] or '?'}")
        for c in s.change:
            if c.name == "review share":
                lines.append(
                    f"  {c.name:<13} {_pct(c.now):>7}  was {_pct(c.before):>7}  "
                    f"({100 * c.delta:+.1f} points)"
                )
            else:
                lines.append(
                    f"  {c.name:<13} {c.now:>7g}  was {c.before:>7g}  ({_signed(c.delta)})"
                )
    lines.append("")
    for title, rankings in (("People", s.rankings), ("Companies", s.company_rankings)):
        lines += [f"== {title} ==", ""]
        for r in rankings:
            lines += ranking_lines(r, moves)
            lines.append("")
        if title == "Companies":
            lines.append(f"(Unknown): {_pct(s.unknown_share)} of messages")
            if s.unmapped:
                lines.append(
                    "  top unmapped domains: " + ", ".join(f"{d} {n}" for d, n in s.unmapped[:5])
                )
            lines.append("")
    ro = s.roles
    people = ro.only_author + ro.only_reviewer + ro.both
    lines += ["== Who does what ==", ""]
    if people:
        lines += [
            f"  only authored  {ro.only_author:>5}  {_pct(ro.only_author / people):>4}",
            f"  only reviewed  {ro.only_reviewer:>5}  {_pct(ro.only_reviewer / people):>4}",
            f"  both           {ro.both:>5}  {_pct(ro.both / people):>4}",
        ]
    if s.tenure:
        lines += ["", "Tenure (since the first message in the archive):"]
        lines.append(f"  {'':<12} {'authors':>8} {'reviewers':>10}")
        for b in s.tenure:
            lines.append(f"  {b.label:<12} {b.authors:>8} {b.reviewers:>10}")
        lines.append("")
        lines.append(f"First-time authors ({len(s.first_time_authors)}):")
        lines += [f"  {a}" for a in s.first_time_authors] or ["  (none)"]
    o = s.outcomes
    lines += [
        "",
        "== Change sets posted in the range ==",
        "",
        f"  change sets        {o.change_sets:>5}  (single patch {o.single_patch}, series {o.series})",
        f"  with a review tag  {o.with_review_tag:>5}  from someone other than the author",
        f"  replied to         {o.replied:>5}  by someone other than the author",
        f"  applied            {o.applied:>5}",
        f"  versions posted    {o.mean_versions_posted:>5g}  per change set "
        f"(highest version {o.mean_highest_version:g} on average)",
        f"  first reply        median {_num(o.first_reply_median_h, ' h')}, "
        f"90th percentile {_num(o.first_reply_p90_h, ' h')}",
        f"  applied after      median {_num(o.applied_median_d, ' d')}, "
        f"90th percentile {_num(o.applied_p90_d, ' d')}",
        "",
        "== Review coverage of applied change sets ==",
        "",
        f"  applied                   {s.coverage.applied:>5}",
        f"  Reviewed-by/Acked-by      {s.coverage.reviewed:>5}  "
        f"{_pct(s.coverage.reviewed_share):>4}  from someone other than the author",
        f"  cross-company             {s.coverage.cross_company:>5}  "
        f"{_pct(s.coverage.cross_company_share):>4}  reviewer of another company",
        "",
    ]
    return "\n".join(lines)


def render_json(stats: Stats) -> str:
    return json.dumps(stats.to_dict(), indent=2, ensure_ascii=False) + "\n"
