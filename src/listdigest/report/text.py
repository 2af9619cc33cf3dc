"""The plain-text digest: the seed digest's layout, with its defects fixed.

The seed's lines stay as it printed them (the ``From A to B`` line, the domain and the
contributor tables one after the other, the ``New:  title`` / subject / ``Author:`` head of
each series); what the digest adds comes after them.  Every line listdigest composes is
wrapped at ``ReportOptions.width`` with its continuation indented; bodies are quoted as sent.
"""

from __future__ import annotations

from ..analysis.digest import Digest
from . import ReportOptions, register
from .templating import render_template

#: the patch list's continuation indent: under the subject, past "NNN of NNN  "
PATCH_INDENT = 11


@register("text", "txt")
def render_text(digest: Digest, options: ReportOptions) -> str:
    return render_template(
        "digest.txt.j2", False, options.cache_dir, d=digest, o=options, patch_indent=PATCH_INDENT
    )
