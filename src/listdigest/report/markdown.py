"""The Markdown digest: the text digest's content, with every series and body linked."""

from __future__ import annotations

from ..analysis.digest import Digest
from . import ReportOptions, register
from .links import md_escape, md_fence, message_link
from .templating import environment


@register("markdown", "md")
def render_markdown(digest: Digest, options: ReportOptions) -> str:
    def link(msgid: str, text: str) -> str:
        url = message_link(options.link_base, msgid)
        return f"[{md_escape(text)}](<{url}>)" if url else md_escape(text)

    env = environment(False)
    tpl = env.get_template("digest.md.j2")
    return tpl.render(d=digest, o=options, link=link, fence=md_fence, md=md_escape)
