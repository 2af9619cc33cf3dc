"""The file paths a patch posting touches, read from its diff headers or its diffstat.

Owns reading paths out of the two parts ``body.patch_parts`` cuts (the diff and the
diffstat; finding them is ``body``'s): ``diff --git`` lines, renames and copies, ``---`` /
``+++`` pairs (new and deleted files, ``/dev/null``, GNU and CVS diffs), and diffstat lines
with their ``{a => b}`` renames and ``…/`` shortened names.  Which paths a filter wants,
and a cover letter's union over its series, are the ``analysis`` stage's.
"""

from __future__ import annotations

import re

from .body import diff_onward, patch_parts

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


def _git_paths(diff: str) -> set[str | None]:
    """A git diff's paths: its ``diff --git`` lines, found by substring search (a patch is
    mostly hunk lines, and this runs on every patch an index reads), and its rename and copy
    lines when it has any."""
    out: set[str | None] = set()
    at = 0 if diff.startswith("diff --git ") else diff.find("\ndiff --git ")
    while at >= 0:
        start = at + 11 if at == 0 and diff.startswith("diff --git ") else at + 12
        end = diff.find("\n", start)
        out.update(_git_pair(diff[start : end if end >= 0 else len(diff)]))
        at = diff.find("\ndiff --git ", start) if end >= 0 else -1
    if "\nrename " in diff or "\ncopy " in diff:
        out.update(_unquote(m.group(1).strip()) for m in _MOVED_RE.finditer(diff))
    return out


def diff_paths(diff: str) -> tuple[str, ...]:
    """Every path a diff's file headers name (old and new names of a rename or copy, created
    and deleted files), sorted, each once."""
    if diff.startswith("diff --git ") or "\ndiff --git " in diff:
        got = _git_paths(diff)
        got.discard(None)
        got.discard("")
        return tuple(sorted(p for p in got if p is not None))
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
    diff = diff_onward(body)
    got = diff_paths(diff) if diff else ()
    if got:
        return got
    diffstat = patch_parts(body)[0]
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
