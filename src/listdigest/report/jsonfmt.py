"""JSON output: ``Digest.to_dict()`` with its ``schema_version`` (schema: docs/json-schema.json)."""

from __future__ import annotations

import json

from ..analysis.digest import Digest
from . import ReportOptions, register


@register("json", "json")
def render_json(digest: Digest, options: ReportOptions) -> str:
    d = digest.to_dict()
    if options.link_base:
        for s in d["series"]:
            s["link"] = options.link_base + s["key"] + "/"
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"
