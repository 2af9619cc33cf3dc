"""The plain-text digest: the seed digest's layout, with its defects fixed."""

from __future__ import annotations

from ..analysis.digest import Digest
from . import ReportOptions, register
from .templating import environment


def _patch_line(s) -> str:
    return f"{s.received:>3} of {s.expected:<3} {s.subject}  -- {s.author}"


@register("text", "txt")
def render_text(digest: Digest, options: ReportOptions) -> str:
    tpl = environment(False).get_template("digest.txt.j2")
    return tpl.render(d=digest, o=options, patch_line=_patch_line)
