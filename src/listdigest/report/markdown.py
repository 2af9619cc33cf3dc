"""The Markdown digest: the text digest's content, with every series and body linked.

Composed lines are wrapped at ``ReportOptions.width`` like the text digest's (a link's
``(<URL>)`` stays whole, glued to the last word of its text); bodies are fenced, as sent.
"""

from __future__ import annotations

from ..analysis.digest import Digest
from . import ReportOptions, register
from .templating import render_template


@register("markdown", "md")
def render_markdown(digest: Digest, options: ReportOptions) -> str:
    return render_template("digest.md.j2", False, options.cache_dir, d=digest, o=options)
