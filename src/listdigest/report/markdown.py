"""The Markdown digest: the text digest's content, with every series and body linked.

Composed lines are wrapped at ``ReportOptions.width`` like the text digest's (a link's
``(<URL>)`` stays whole, glued to the last word of its text); bodies are fenced, as sent.
"""

from __future__ import annotations

from ..analysis.digest import Digest
from . import ReportOptions, register
from .links import md_escape, md_fence, message_link
from .templating import environment
from .wrapping import wrap


@register("markdown", "md")
def render_markdown(digest: Digest, options: ReportOptions) -> str:
    def link(msgid: str, text: str) -> str:
        url = message_link(options.link_base, msgid)
        return f"[{md_escape(text)}](<{url}>)" if url else md_escape(text)

    def w(line: str, indent: int | str = 2) -> str:
        return wrap(line, options.width, indent, markdown=True)

    env = environment(False, options.cache_dir)
    tpl = env.get_template("digest.md.j2")
    return tpl.render(d=digest, o=options, link=link, fence=md_fence, md=md_escape, w=w)
