"""The Jinja2 environment the template formats share; layouts live in ``templates/``."""

from __future__ import annotations

import functools
import os
from typing import Any

import jinja2

from ..words import plural
from .links import md_escape, md_fence, message_link
from .wrapping import keep, wrap

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")


@functools.cache
def environment(autoescape: bool, cache_dir: str | None = None) -> jinja2.Environment:
    """The templates' environment; with ``cache_dir``, compiled templates are kept there
    (Jinja's bytecode cache), so a process does not compile the digest's templates again
    (0.05-0.1 s, a third of a daily report's time).  A directory that cannot be made or
    written is no error: the templates are compiled as without it."""
    cache = None
    if cache_dir:
        try:
            os.makedirs(cache_dir, exist_ok=True)
            cache = (
                jinja2.FileSystemBytecodeCache(cache_dir) if os.access(cache_dir, os.W_OK) else None
            )
        except OSError:
            cache = None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        bytecode_cache=cache,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["state_text"] = state_text
    env.globals["unknown_line"] = unknown_line
    env.globals["plural"] = plural
    # what the text and Markdown templates call on every line are filters: Jinja calls a
    # filter directly, a function through Context.call (1.2 us more a call; a
    # whole-archive digest makes ~40,000)
    env.filters.update(
        keep=keep,
        plural=plural,
        state_text=state_text,
        unknown_line=unknown_line,
        patch_line=patch_line,
        md=md_escape,
        fence=md_fence,
        w=_wrap_text,
        link=_link_text,
        mdw=_wrap_markdown,
        mdlink=_link_markdown,
    )
    return env


def render_template(name: str, autoescape: bool, cache_dir: str | None, **values: Any) -> str:
    """Template ``name`` rendered with ``values``, leaving nothing of them behind.  A
    template that defines a macro makes a reference cycle (the macro and the render's
    context, which holds ``values``); the CLI runs without the cyclic collector
    (``cli._Group``), so the whole digest would stay to the end of the process.  The
    context is emptied once the text is made."""
    tpl = environment(autoescape, cache_dir).get_template(name)
    ctx = tpl.new_context(values)  # its own dicts (not shared): emptied below
    try:
        return tpl.environment.concat(tpl.root_render_func(ctx))  # type: ignore[attr-defined]
    finally:
        ctx.vars.clear()
        ctx.parent.clear()


# the filters that need the render's options (``o``: width, link base) take the context


@jinja2.pass_context
def _wrap_text(ctx: jinja2.runtime.Context, line: str, indent: int | str = 4) -> str:
    return wrap(line, ctx["o"].width, indent)


@jinja2.pass_context
def _wrap_markdown(ctx: jinja2.runtime.Context, line: str, indent: int | str = 2) -> str:
    return wrap(line, ctx["o"].width, indent, markdown=True)


@jinja2.pass_context
def _link_text(ctx: jinja2.runtime.Context, msgid: str) -> str:
    return message_link(ctx["o"].link_base, msgid)


@jinja2.pass_context
def _link_markdown(ctx: jinja2.runtime.Context, msgid: str, text: str) -> str:
    """``text`` linked to the message (escaped, unlinked without a link base)."""
    url = message_link(ctx["o"].link_base, msgid)
    return f"[{md_escape(text)}](<{url}>)" if url else md_escape(text)


def patch_line(s) -> str:
    """A series' line in the text digest's patch list."""
    return f"{s.received:>3} of {s.expected:<3} {s.subject}  {keep('-- ' + s.author)}"


def unknown_line(d, units: bool = True) -> str:
    """Under the employer table: how much of it is "(Unknown)", and whom to map first
    (``units``: each address with its count kept whole for the wrapper)."""
    total = d.totals.patches
    pct = round(100 * d.unknown_postings / total) if total else 0
    unit = keep if units else str
    who = ", ".join(unit(f"{c.label} ({c.count})") for c in d.unmapped[:5])
    return (
        f"(Unknown): {d.unknown_postings} of {plural(total, 'posting')} ({pct} %) have no known"
        f" employer; most from {who}. Map them with --employer-map."
    )


def state_text(st) -> str:
    """One line saying where a series stands (``analysis.lifecycle.SeriesState``), and the
    code trees it landed in ("; landed in linux-next as 0123456789ab")."""
    base = _state_text(st)
    landed = getattr(st, "landed", ())
    if landed:
        base += "; " + ", ".join(f"landed in {x.tree} as {x.commit}" for x in landed)
    return base


def _state_text(st) -> str:
    s = st.state
    if s == "applied":
        where = st.tree or "(tree not named)"
        return f"applied to {where}{f' ({st.branch})' if st.branch else ''} by {st.by}, {st.date}"
    if s == "superseded":
        return f"superseded by v{st.superseded_version}, {st.date}"
    if s == "changes-requested":
        return f"changes requested by {st.by}, {st.date}"
    if s == "reviewed":
        return "reviewed by " + ", ".join(st.reviewers)
    if s == "discussed":
        return f"discussed, {plural(st.replies, 'reply', 'replies')}, no review tag yet"
    if s == "stale":
        return f"stale, nothing since {st.last_activity}"
    return "new, no reply yet"
