"""The ``listdigest`` command line: the only place that prints errors and exits."""

from __future__ import annotations

import sys
from typing import Optional

import click

from . import __version__
from .errors import ListdigestError


class _Group(click.Group):
    """Turns library errors into one ``Error: …`` line and an exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ListdigestError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            click.echo(f"Error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="listdigest")
def main() -> None:
    """Turn a mailing-list archive (public-inbox, mbox, Maildir) into a digest."""


def _map_options(fn):
    """The options naming identity and employer files, shared by ``report`` and ``who``."""
    opts = [
        click.option("--employer-map", "employer_maps", metavar="FILE", multiple=True,
                     help="gitdm domain-map/EmailMap file: '[user@]domain Employer [< YYYY-MM-DD]'. "
                          "Repeatable; a later file's lines replace an earlier file's for the same key."),
        click.option("--mailmap", "mailmaps", metavar="FILE", multiple=True,
                     help="git .mailmap file merging a person's names and addresses. Repeatable."),
        click.option("--aliases", "aliases", metavar="FILE", multiple=True,
                     help="gitdm aliases file: 'alias@address canonical@address'. Repeatable."),
        click.option("--no-default-map", is_flag=True,
                     help="Do not load the shipped employer map (only --employer-map files)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _affiliations(employer_maps, mailmaps, aliases, no_default_map):
    from .analysis.employers import load_affiliations

    return load_affiliations(employer_maps, mailmaps, aliases, default_map=not no_default_map)


@main.command()
@click.argument("path", type=click.Path())
@click.option("--from", "from_rev", metavar="REV", help="Start after this commit (git's FROM..TO: FROM excluded).")
@click.option("--to", "to_rev", metavar="REV", help="End at this commit (included). Default: the newest message.")
@click.option("--since", metavar="DATE", help="Only messages received at or after DATE (YYYY-MM-DD, ISO datetime, or 2d/12h/1w).")
@click.option("--until", metavar="DATE", help="Only messages received at or before DATE (a bare date includes that whole day).")
@click.option("--list-name", metavar="NAME", help="List name in the title (default: the archive's directory name).")
@click.option("--top", type=click.IntRange(1, 10000), default=15, show_default=True, help="Rows in the domain and contributor tables.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option("--link-base", metavar="URL", help="Archive link prefix (default https://lore.kernel.org/<list>/).")
@_map_options
def report(path, from_rev, to_rev, since, until, list_name, top, fmt, output, link_base,
           employer_maps, mailmaps, aliases, no_default_map) -> None:
    """Print the digest of a range of the archive at PATH.

    PATH is a public-inbox v2 inbox (git/N.git epochs), a single epoch or v1 repository,
    an mbox file (.gz too) or a Maildir.
    """
    from .pipeline import RangeSpec, report as build
    from .report import ReportOptions, render
    from .timeparse import parse_when

    spec = RangeSpec(
        from_rev=from_rev,
        to_rev=to_rev,
        since=parse_when(since) if since else None,
        until=parse_when(until, end_of_day=True) if until else None,
    )
    if spec.since is not None and spec.until is not None and spec.since > spec.until:
        raise_range("--since is after --until")
    affiliations = _affiliations(employer_maps, mailmaps, aliases, no_default_map)
    digest = build(path, spec, list_name=list_name, top=top, affiliations=affiliations)
    base = link_base or f"https://lore.kernel.org/{digest.list_name}/"
    text = render(digest, fmt, ReportOptions(link_base=base))
    _write(text, output)


@main.command()
@click.argument("address")
@click.option("--name", default="", metavar="NAME", help="The display name the address was written with (mailmap rules may need it).")
@click.option("--date", "date", metavar="DATE", help="Employer at this date (YYYY-MM-DD or ISO datetime; default: now).")
@_map_options
def who(address, name, date, employer_maps, mailmaps, aliases, no_default_map) -> None:
    """Show what the maps say about ADDRESS, and which file and line say it."""
    import time

    from .analysis.employers import describe
    from .timeparse import parse_when

    aff = _affiliations(employer_maps, mailmaps, aliases, no_default_map)
    when = parse_when(date) if date else int(time.time())
    e = describe(aff, name, address.strip().strip("<>"), when)
    click.echo(_format_who(e), nl=False)


def _format_who(e) -> str:
    """``who``'s report: identity, employer at the date, the deciding line, every candidate."""
    from .analysis.people import format_address
    from .timeparse import day

    lines = [f"address:   {format_address(e.name, e.addr)}"]
    ident = format_address(e.identity.name, e.identity.addr)
    if e.identity.via:
        lines.append(f"identity:  {ident}")
        lines += [f"  via      {o}" for o in e.identity.via]
    else:
        lines.append(f"identity:  {ident} (no mailmap or alias entry)")
    lines.append(f"employer:  {e.match.employer} on {day(e.when)}")
    if e.match.origin is not None:
        lines.append(f"  matched  {e.match.key} at {e.match.origin}")
    else:
        lines.append("  matched  no map entry")
    for key, hist in e.candidates:
        lines.append(f"entries for {key}:")
        for a in hist:
            span = f"until {a.until}" if a.until else "current"
            lines.append(f"  {a.employer} ({span})  {a.origin}")
    return "\n".join(lines) + "\n"


def raise_range(msg: str) -> None:
    from .errors import RangeError

    raise RangeError(msg)


def _write(text: str, output: Optional[str]) -> None:
    """Write atomically to a file (never a half-written digest), or to stdout."""
    if not output or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    import os
    import tempfile

    d = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".listdigest-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
