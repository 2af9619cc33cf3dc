"""The file paths a patch posting touches, read from its diff headers or its diffstat.

Owns reading paths out of the two parts ``body.patch_parts`` cuts (the diff and the
diffstat; finding them is ``body``'s): ``diff --git`` lines, renames and copies, ``---`` /
``+++`` pairs (new and deleted files, ``/dev/null``, GNU and CVS diffs), and diffstat lines
with their ``{a => b}`` renames and ``…/`` shortened names.  Which paths a filter wants,
and a cover letter's union over its series, are the ``analysis`` stage's.
"""

from __future__ import annotations

import re

from .body import _line_after, diff_start, patch_parts

#: the prefix git's diffstat puts on a path it shortened to fit the width: ``.../kvm/x86.c``
SHORTENED = ".../"

# the file headers of a diff, one per line: `diff --git a/X b/Y`, the rename/copy lines of
# an extended header, and a `--- X` line directly followed by its `+++ Y` line (the pair
# alone, so that a hunk's removed line "-- a/x" is never taken for a header)
_HEADER_RE = re.compile(
    r"^(?:diff --git (?P<git>[^\n]+)"
    r"|(?:rename|copy) (?:from|to) (?P<moved>[^\n]+)"
    r"|--- (?P<old>[^\t\n]+)[^\n]*\n\+\+\+ (?P<new>[^\t\n]+)[^\n]*"
    r"|Index: (?P<index>[^\n]+))$",
    re.M,
)
# a diffstat file line: " path | 12 +++--", " path | Bin 0 -> 12 bytes"
_STAT_LINE_RE = re.compile(r"^ (\S.*?) +\| +(?:\d+|Bin)\b", re.M)
# a rename or copy line of a git diff's extended header
_MOVED_RE = re.compile(r"^(?:rename|copy) (?:from|to) ([^\n]+)$", re.M)
# the other lines of a git diff's extended header (git-diff(1), "extended header lines")
_EXTENDED = (
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "dissimilarity index ",
    "index ",
)
# a rename inside a diffstat path: "dir/{old => new}/file"
_BRACES_RE = re.compile(r"\{([^{}]*) => ([^{}]*)\}")
# C-style escapes in a path git quoted ("a/caf\303\251.c")
_ESCAPE_RE = re.compile(r"\\([0-7]{3}|.)")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f"}


def _unquote(path: str) -> str:
    """A path as git wrote it, quoted (``"a/x y.c"`` with octal escapes of UTF-8) or not."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path
    # octal escapes are the UTF-8 bytes of one character: made latin-1 code points here,
    # then read back as UTF-8
    out = _ESCAPE_RE.sub(
        lambda m: (
            chr(int(m.group(1), 8))
            if len(m.group(1)) == 3
            else _ESCAPES.get(m.group(1), m.group(1))
        ),
        path[1:-1],
    )
    try:
        return out.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return out


def _strip(path: str) -> str | None:
    """A header path without its first component (``a/``, ``b/``, a tree's name in a GNU
    diff: ``patch -p1``); None for ``/dev/null``."""
    path = _unquote(path.strip())
    if path == "/dev/null" or not path:
        return None
    _, slash, rest = path.partition("/")
    return rest if slash and rest else path


def _git_pair(line: str) -> tuple[str | None, ...]:
    """The two paths of a ``diff --git A B`` line.  Unquoted, the line is ambiguous when a
    path holds a space; git itself reads it as two equal halves, and so does this (a rename's
    halves differ, but its ``rename from/to`` lines say the paths)."""
    line = line.strip()
    if line.startswith('"'):
        end = line.find('" ', 1)
        while end > 0 and line[end - 1] == "\\":
            end = line.find('" ', end + 1)
        if end > 0:
            return _strip(line[: end + 1]), _strip(line[end + 2 :])
    n = len(line)
    if n % 2 == 1 and line[n // 2] == " ":
        a, b = line[: n // 2], line[n // 2 + 1 :]
        if a.partition("/")[2] == b.partition("/")[2]:
            return _strip(a), _strip(b)
    a, sep, b = line.partition(" b/")
    if sep:
        return _strip(a), b
    return ()


def _next_line(text: str, start: int) -> int:
    """The start of the next ``diff --git`` line after ``start``, or -1."""
    return _line_after(text.find("\ndiff --git ", start))


def _git_paths(text: str, start: int = 0) -> set[str | None]:
    """A git diff's paths, from ``text[start:]`` (``start`` at a line's start): its ``diff
    --git`` lines, found by substring search (a patch is mostly hunk lines, and this runs on
    every patch an index reads), and its rename and copy lines when it has any."""
    out: set[str | None] = set()
    find = text.find
    at = start if text.startswith("diff --git ", start) else _next_line(text, start)
    while at >= 0:
        begin = at + 11
        end = find("\n", begin)
        line = text[begin:end] if end >= 0 else text[begin:]
        # the common line, "a/PATH b/PATH" (unquoted, not renamed): one slice compare
        half = len(line) // 2
        path = line[2:half]
        if (
            line.startswith("a/")
            and len(line) % 2 == 1
            and line[half : half + 3] == " b/"
            and path == line[half + 3 :]
            and path
            and path == path.strip()
            and '"' not in line
        ):
            out.add(path)
        else:
            out.update(_git_pair(line))
            # a rename or copy (the halves differ): its extended header names both paths
            if end >= 0:
                out.update(_moved(text, end + 1))
        at = _next_line(text, end) if end >= 0 else -1
    return out


def _moved(text: str, at: int) -> set[str | None]:
    """The paths of the ``rename``/``copy`` lines in the extended header from ``at`` (the
    line after a ``diff --git`` line) to its first line of another kind."""
    out: set[str | None] = set()
    while at < len(text):
        end = text.find("\n", at)
        line = text[at:end] if end >= 0 else text[at:]
        m = _MOVED_RE.match(line)
        if m is not None:
            out.add(_unquote(m.group(1).strip()))
        elif not line.startswith(_EXTENDED):
            break
        if end < 0:
            break
        at = end + 1
    return out


def diff_paths(diff: str, start: int = 0) -> tuple[str, ...]:
    """Every path the file headers of the diff at ``diff[start:]`` name (old and new names of
    a rename or copy, created and deleted files), sorted, each once."""
    if diff.startswith("diff --git ", start) or diff.find("\ndiff --git ", start) >= 0:
        got = _git_paths(diff, start)
        got.discard(None)
        got.discard("")
        return tuple(sorted(p for p in got if p is not None))
    if start:
        diff = diff[start:]
    # a git diff says every path in its `diff --git` and rename/copy lines (above); its
    # `---`/`+++` lines add nothing, and a hunk may hold lines that look like them ("-- a/x"
    # removed): only a GNU or CVS diff is read by its `---`/`+++` and `Index:` lines
    out: set[str | None] = set()
    for m in _HEADER_RE.finditer(diff):
        kind = m.lastgroup
        if kind == "git":
            out.update(_git_pair(m.group("git")))
        elif kind == "moved":
            out.add(_unquote(m.group("moved").strip()))
        elif kind == "new":
            out.add(_strip(m.group("old")))
            out.add(_strip(m.group("new")))
        elif kind == "index":
            out.add(m.group("index").strip())
    out.discard(None)
    out.discard("")
    return tuple(sorted(p for p in out if p is not None))


def _stat_names(name: str) -> tuple[str, ...]:
    """The path(s) one diffstat name stands for: ``a/{b => c}/d`` is ``a/b/d`` and ``a/c/d``,
    ``old => new`` both."""
    m = _BRACES_RE.search(name)
    if m is not None:
        head, tail = name[: m.start()], name[m.end() :]
        names = (head + m.group(1) + tail, head + m.group(2) + tail)
        # "{ => sub}/x" leaves an empty component: "dir//x" is "dir/x"
        return tuple(n.replace("//", "/").lstrip("/") for n in names)
    if " => " in name:
        return tuple(n.strip() for n in name.split(" => ", 1))
    return (name,)


def diffstat_paths(diffstat: str) -> tuple[str, ...]:
    """Every path a diffstat's file lines name, sorted, each once; a name git shortened
    keeps its ``.../`` prefix (``analysis`` resolves it against the series' other paths)."""
    out: set[str] = set()
    for m in _STAT_LINE_RE.finditer(diffstat):
        out.update(_stat_names(m.group(1).strip()))
    out.discard("")
    return tuple(sorted(out))


def touched_paths(body: str) -> tuple[str, ...]:
    """The paths a patch posting's body touches: its diff's headers (all of them: a hunk's
    removed ``- `` line reads ``-- ``, which ``split_body`` takes for a signature), else (a
    cover letter, or a patch whose diff is not in the body) its diffstat's lines."""
    at = diff_start(body)
    got = diff_paths(body, at) if at >= 0 else ()
    if got:
        return got
    if " changed" not in body:  # no diffstat summary line: no search for one
        return ()
    diffstat = patch_parts(body, at)[0]
    return diffstat_paths(diffstat) if diffstat else ()


def is_shortened(path: str) -> bool:
    return path.startswith(SHORTENED)


def resolve(path: str, known: tuple[str, ...] | list[str] | frozenset[str]) -> tuple[str, ...]:
    """A diffstat's ``.../tail`` path as the full paths among ``known`` ending in ``/tail``
    (none when nothing known ends so); any other path as itself."""
    if not path.startswith(SHORTENED):
        return (path,)
    tail = path[len(SHORTENED) - 1 :]
    return tuple(sorted(k for k in known if k.endswith(tail)))
