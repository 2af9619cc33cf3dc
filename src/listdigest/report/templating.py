"""The Jinja2 environment the template formats share; layouts live in ``templates/``."""

from __future__ import annotations

import functools
import os

import jinja2

TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")


@functools.lru_cache(maxsize=None)
def environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env
