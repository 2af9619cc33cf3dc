"""Renderers: a ``Digest`` to text, Markdown, HTML, JSON and Atom.

One registry maps a format name to a render function ``(Digest, ReportOptions) -> str``;
adding a format is adding a module and, for template formats, a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..analysis.digest import Digest

#: the column text and Markdown lines are wrapped at (what listdigest composes; quoted
#: bodies are printed as sent)
WIDTH = 80


@dataclass(frozen=True)
class ReportOptions:
    #: archive link prefix; a message's link is link_base + msgid + "/"
    link_base: str = ""
    #: where the Atom feed itself is published (its rel="self" link); default: link_base
    feed_url: str = ""
    #: the web page the feed stands for (rel="alternate"); default: link_base
    page_url: str = ""
    #: wrap composed text and Markdown lines at this column; 0 leaves every line whole
    width: int = WIDTH
    #: where compiled templates are kept between runs (``templating.environment``); None:
    #: compiled in each process
    cache_dir: str | None = None


Renderer = Callable[[Digest, ReportOptions], str]
RENDERERS: dict[str, Renderer] = {}
#: file name extension of each format
EXTENSIONS: dict[str, str] = {}


def register(name: str, ext: str) -> Callable[[Renderer], Renderer]:
    def deco(fn: Renderer) -> Renderer:
        RENDERERS[name] = fn
        EXTENSIONS[name] = ext
        return fn

    return deco


def _load() -> None:
    """Import the built-in renderers so they register themselves."""
    from . import atom, html, jsonfmt, markdown, text  # noqa: F401


def render(digest: Digest, fmt: str, options: ReportOptions = ReportOptions()) -> str:
    _load()

    try:
        fn = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format: {fmt}") from None
    return fn(digest, options)


def formats() -> list[str]:
    _load()

    return sorted(RENDERERS)
