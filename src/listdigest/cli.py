"""The ``listdigest`` command line: the only place that prints errors and exits."""

from __future__ import annotations

import gc
import os
import sys

import click

from . import __version__
from .errors import ListdigestError, SourceError, TransientError
from .sources import MISSING_BLOB
from .words import plural


def _exit_code(exc: ListdigestError) -> int:
    """The exit code of an error (README, "Exit codes"): its class's, except that an
    archive server out of reach (``sources.sync`` raises it) is worth a retry later."""
    from .sources.sync import HostUnreachableError

    if isinstance(exc, HostUnreachableError):
        return TransientError.exit_code
    return exc.exit_code


class _Group(click.Group):
    """Turns library errors into one ``Error: …`` line and an exit code, never a traceback."""

    def invoke(self, ctx):
        # a command is one short process whose objects (messages, rows, series) form no
        # cycles: reference counting frees them, and the cyclic collector only rescans the
        # growing heap (0.1 s of a whole-archive report; peak memory the same, 136 MB)
        gc.disable()
        try:
            return super().invoke(ctx)
        except ListdigestError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(_exit_code(exc))
        except BrokenPipeError:
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            sys.exit(130)
        except OSError as exc:
            click.echo(
                f"Error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}",
                err=True,
            )
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listdigest")
def main() -> None:
    """Turn a mailing-list archive (public-inbox, mbox, Maildir) into a digest."""


def _option(name: str, *decls: str, extra: str = "", **kw):
    """A ``report``/``who`` option whose default, bounds and help come from the settings
    table (``settings.LIST_SETTINGS``), so the option and the configuration key agree."""
    from .settings import setting

    s = setting(name)
    assert s.option is not None
    if s.bounds is not None:
        kw.update(type=click.IntRange(*s.bounds), default=s.default, show_default=True)
    if kw.get("multiple"):
        extra += " Repeatable."
    return click.option(s.option, *decls, help=(s.help + extra).strip(), **kw)


def _map_options(fn):
    """The options naming identity and employer files, shared by ``report`` and ``who``."""
    opts = [
        _option("employer_maps", "employer_maps", metavar="FILE", multiple=True),
        _option("mailmaps", "mailmaps", metavar="FILE", multiple=True),
        _option("aliases", "aliases", metavar="FILE", multiple=True),
        _option("no_default_map", "no_default_map", is_flag=True),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _filter_options(fn):
    """The options that make a digest of some files: ``--path``, ``--maintainers``,
    ``--section``."""
    opts = [
        _option("paths", "paths", metavar="PATTERN", multiple=True),
        _option("maintainers", "maintainers", metavar="FILE"),
        _option("sections", "sections", metavar="NAME", multiple=True),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def _affiliations(employer_maps, mailmaps, aliases, no_default_map):
    from .analysis.employers import load_affiliations

    return load_affiliations(employer_maps, mailmaps, aliases, default_map=not no_default_map)


@main.command()
@click.argument("targets", metavar="PATH...", type=click.Path(), nargs=-1)
@click.option(
    "--lore",
    metavar="URL",
    help="Digest straight from a public-inbox server (e.g. https://lore.kernel.org/kvm) instead of "
    "PATH: one search for the messages received in --since..--until, downloaded as an mbox. "
    "Search results may be capped by the server (a capped answer is an error); for big ranges "
    "use `listdigest sync` and report on the mirror.",
)
@click.option(
    "--from",
    "from_rev",
    metavar="REV",
    help="Start after this commit (git's FROM..TO: FROM excluded).",
)
@click.option(
    "--to",
    "to_rev",
    metavar="REV",
    help="End at this commit (included). Default: the newest message.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only messages received at or after DATE (YYYY-MM-DD, ISO datetime, or 2d/12h/1w).",
)
@click.option(
    "--until",
    metavar="DATE",
    help="Only messages received at or before DATE (a bare date includes that whole day).",
)
@_option("name", "list_name", metavar="NAME", extra=" Default: the archive's directory name.")
@_option("top", "top")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "json", "atom"]),
    default=None,
    help="Output format. Default: from -o FILE's extension (.txt .md .html .json .atom .xml), "
    "else text.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--quiet-if-empty",
    is_flag=True,
    help="Print (or write) nothing when the range holds no message, instead of a short "
    "“no traffic” digest. Either way the exit code is 0.",
)
@click.option("--no-pager", is_flag=True, help="Never page the output on a terminal.")
@_option("no_infer", "no_infer", is_flag=True)
@_option("link_base", "link_base", metavar="URL")
@click.option(
    "--index",
    "index_file",
    metavar="FILE",
    help="Archive index to use and update (default: in $XDG_DATA_HOME/listdigest/index/).",
)
@click.option(
    "--no-index",
    is_flag=True,
    help="Use no index: no history (every series is New, no waiting/first-time sections).",
)
@_option("waiting_days", "waiting_days")
@_option("hot", "hot")
@_option("trees", "trees", metavar="PATH[:REF]", multiple=True)
@_option("landed_days", "landed_days")
@_option("bots", "bot_patterns", metavar="TEXT", multiple=True)
@_map_options
@_filter_options
def report(
    targets,
    lore,
    from_rev,
    to_rev,
    since,
    until,
    list_name,
    top,
    fmt,
    output,
    quiet_if_empty,
    no_pager,
    link_base,
    index_file,
    no_index,
    waiting_days,
    hot,
    trees,
    landed_days,
    bot_patterns,
    employer_maps,
    mailmaps,
    aliases,
    no_default_map,
    no_infer,
    paths,
    maintainers,
    sections,
) -> None:
    """Print the digest of a range of the archive at PATH (or of a --lore URL).

    PATH is a public-inbox v2 inbox (git/N.git epochs), a single epoch or v1 repository,
    an mbox file (.gz too) or a Maildir; `-` reads an mbox from standard input
    (`lei q … -o - | listdigest report -`).  A range without messages gives a short
    "no traffic" digest and exit code 0 (nothing with --quiet-if-empty).  On a terminal,
    long output goes through $PAGER (default `less -FRX`).

    Several PATHs (archive paths, or lore list URLs mirrored by `sync` first) make one
    digest of all those lists: a message cross-posted to several is counted once, and
    series say which lists carried them.  Each list keeps its own index.

    With --lore URL, --since is required; the server's search (rt: received-time ranges)
    selects the messages, so it must have a search index (lore.kernel.org has).  Search
    results are capped by the server: when it sends fewer messages than it matched, the
    report stops with an error rather than print a short digest.
    """
    from .pipeline import DigestOptions, RangeSpec, build_report, path_filter, render_formats
    from .timeparse import parse_when

    path: str = targets[0] if targets else ""
    spec = RangeSpec(
        from_rev=from_rev,
        to_rev=to_rev,
        since=parse_when(since) if since else None,
        until=parse_when(until, end_of_day=True) if until else None,
    )
    if spec.since is not None and spec.until is not None and spec.since > spec.until:
        raise_range("--since is after --until")
    if lore:
        if path:
            raise click.UsageError("give PATH or --lore URL, not both")
        if spec.since is None:
            raise click.UsageError("--lore needs --since (a server search, not the whole archive)")
        if from_rev or to_rev:
            raise click.UsageError(
                "--from/--to need a git archive; use --since/--until with --lore"
            )
    elif not path:
        raise click.UsageError("missing PATH (or --lore URL)")
    fmt = fmt or format_of(output, REPORT_FORMATS)
    options = DigestOptions(
        list_name=list_name,
        top=top,
        hot=hot,
        waiting_days=waiting_days,
        trees=tuple(trees),
        landed_days=landed_days,
        tree_progress=_tree_progress(),
        bots=tuple(b.lower() for b in bot_patterns),
        affiliations=_affiliations(employer_maps, mailmaps, aliases, no_default_map),
        infer=not no_infer,
        index_path=None
        if (no_index or lore or path == "-")
        else (index_file or default_index_path(path)),
        path_filter=path_filter(paths, maintainers, sections, "report"),
    )
    if len(targets) > 1:
        got = _report_lists(targets, spec, options, index_file, no_index, link_base)
    else:
        got = build_report(
            lore or path,
            spec,
            options,
            lore=bool(lore),
            link_base=link_base,
            progress=_progress(),
            stdin=sys.stdin.buffer if path == "-" else None,
        )
    for w in got.warnings:
        click.echo(f"Warning: {w}", err=True)
    if not (got.empty and quiet_if_empty):
        text = render_formats(got.digest, [fmt], got.link_base, cache_dir=_template_cache())[fmt]
        _write(text, output, pager=not no_pager)
    if sys.stderr.isatty():
        # advice for a person at a terminal, after the digest (a pager has shown it, a bad
        # -o said so first); cron would mail it every day
        for n in got.notes:
            click.echo(n, err=True)


def _report_lists(targets, spec, options, index_file, no_index, link_base):
    """``report A B C``: one digest of several lists, each with its own default index (a
    lore URL is mirrored first, as `run` does)."""
    from .multilist import report_lists
    from .pipeline import is_url
    from .sources.sync import sync as sync_list

    if index_file:
        raise click.UsageError("--index names one archive's index; several PATHs use their own")
    if "-" in targets:
        raise click.UsageError("- (an mbox on standard input) is one list; give archive paths")
    local = []
    for p in targets:
        if is_url(p):
            dest = default_mirror_dir(p)
            sync_list(p, dest, env=os.environ)
            p = dest
        local.append(p)
    return report_lists(
        local,
        spec,
        options,
        index_paths=[None if no_index else default_index_path(p) for p in local],
        link_base=link_base,
        progress=_progress(),
    )


#: ``-o FILE``'s extension -> the format it implies when --format is absent
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".atom": "atom",
    ".xml": "atom",
}
REPORT_FORMATS = ("text", "markdown", "html", "json", "atom")


def format_of(output: str | None, known: tuple[str, ...]) -> str:
    """The format ``-o FILE``'s extension names (``x.html`` -> html), if the command has it;
    else text."""
    if output and output != "-":
        ext = os.path.splitext(output)[1].lower()
        fmt = EXTENSIONS.get(ext)
        if fmt in known:
            return fmt
    return "text"


def _warn_missing(where) -> None:
    """One warning per message whose blob the repository lacks (skipped, not fatal)."""
    for w in where:
        click.echo(f"Warning: {w}: {MISSING_BLOB}; skipped", err=True)


def default_mirror_dir(url: str) -> str:
    """``$XDG_DATA_HOME/listdigest/mirrors/<host>/<list path>`` (XDG default ~/.local/share)."""
    import os
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    segments = [s for s in parts.path.split("/") if s and s not in (".", "..")]
    host = parts.netloc.replace(":", "_") or "local"
    return os.path.join(data_home, "listdigest", "mirrors", host, *segments)


@main.command()
@click.argument("url")
@click.argument("dest", required=False, type=click.Path(file_okay=False))
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (for cron).")
def sync(url, dest, quiet) -> None:
    """Mirror the public-inbox list at URL into DEST (a v2 inbox that `report` reads).

    Epochs are found from the server's manifest.js.gz; new ones are cloned
    (git clone --mirror), known ones fetched.  Run it again to continue an interrupted sync
    or to pick up new messages and epochs.  A forced update (the server rewrote history to
    purge a message) is accepted and reported with the number of commits dropped.

    DEST defaults to $XDG_DATA_HOME/listdigest/mirrors/<host>/<list>.
    """
    from .sources.sync import summary
    from .sources.sync import sync as do_sync

    target = dest or default_mirror_dir(url)
    progress = None
    if not quiet and sys.stderr.isatty():
        progress = _tty_progress()
    try:
        import os

        result = do_sync(url, target, progress=progress, env=os.environ)
    finally:
        if progress is not None:
            click.echo("\r\x1b[K", nl=False, err=True)
    if not quiet:
        click.echo(summary(result))


def _tty_progress():
    """Our lines stay on screen; git's progress lines overwrite one another."""

    def show(line: str) -> None:
        if line.startswith("epoch "):
            click.echo("\r\x1b[K" + line, err=True)
        else:
            click.echo("\r\x1b[K  " + line[:150], nl=False, err=True)

    return show


def _xdg(var: str, fallback: str) -> str:
    import os

    base = os.environ.get(var) or os.path.join(os.path.expanduser("~"), fallback)
    return os.path.join(base, "listdigest")


def default_config_path() -> str:
    import os

    return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), "config.toml")


def default_state_dir() -> str:
    return _xdg("XDG_STATE_HOME", os.path.join(".local", "state"))


@main.group()
def config() -> None:
    """Inspect the configuration file."""


@config.command("check")
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Configuration file (default: $XDG_CONFIG_HOME/listdigest/config.toml).",
)
def config_check(config_path) -> None:
    """Validate the configuration and what a run would meet: each archive, each `start`,
    the SMTP password; name the exact key at fault (exit code 3)."""
    from .config import load_config
    from .pipeline import check_config

    path = config_path or default_config_path()
    cfg = load_config(path)
    check_config(cfg, environ=os.environ)
    from .multilist import check_digests

    check_digests(cfg)
    for dg in cfg.digests:
        click.echo(f"{dg.key}: {' + '.join(a.key for a in dg.archives)} (one digest)")
    for lst in cfg.lists:
        click.echo(
            f"{lst.key}: {lst.archive} -> {', '.join(lst.delivery)} ({', '.join(lst.formats)})"
        )
    click.echo(f"{path}: OK, {len(cfg.lists)} list{'s' if len(cfg.lists) != 1 else ''}")


@config.command("init")
@click.argument("path", required=False)
def config_init(path) -> None:
    """Write a commented example configuration to PATH (never over an existing file), or
    print it.  `config check` accepts it as it is."""
    from .config import example_config
    from .errors import ConfigFileError

    text = example_config()
    if not path or path == "-":
        sys.stdout.write(text)
        return
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise ConfigFileError(f"{parent}: no such directory")
    try:
        with open(path, "x", encoding="utf-8") as f:
            f.write(text)
    except FileExistsError:
        raise ConfigFileError(f"{path}: exists; not overwritten") from None
    click.echo(f"{path}: written; edit it, then run `listdigest config check --config {path}`")


@main.command()
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Configuration file (default: $XDG_CONFIG_HOME/listdigest/config.toml).",
)
@click.option(
    "--state-dir",
    metavar="DIR",
    help="Where each list's last delivered commit is kept (default: $XDG_STATE_HOME/listdigest).",
)
@click.option(
    "--list",
    "only",
    metavar="NAME",
    multiple=True,
    help="Run only this configured list (repeatable).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent; deliver nothing, record nothing."
)
def run(config_path, state_dir, only, dry_run) -> None:
    """Digest each configured list from where its last digest ended, deliver it, record it.

    The state advances only after a successful delivery; a failed list exits 1 and its
    next run covers the whole undelivered range.
    """
    from .config import load_config
    from .pipeline import is_url, mirrored, run_list

    cfg = load_config(config_path or default_config_path())
    digests = [d for d in cfg.digests if not only or d.key in only]
    lists = [cfg.get(k) for k in only if cfg.get_digest(k) is None] if only else list(cfg.lists)
    sdir = state_dir or default_state_dir()
    code = 0
    for dg in digests:
        code = _worse(code, _run_digest(cfg, dg, sdir, dry_run))
    for lst in lists:
        try:
            if is_url(lst.archive):
                lst = mirrored(lst, default_mirror_dir(lst.archive), env=os.environ)
            out = run_list(
                lst,
                cfg.smtp,
                state_dir=sdir,
                environ=os.environ,
                dry_run=dry_run,
                stdout=sys.stdout,
                index_path=default_index_path(lst.archive),
            )
        except ListdigestError as exc:
            click.echo(f"Error: list {lst.key}: {exc}", err=True)
            code = _worse(code, _exit_code(exc))
            continue
        if out.note:
            click.echo(f"{lst.key}: {out.note}")
        if out.status == "empty":
            click.echo(f"{lst.key}: no new messages after {out.start or 'the start'}; nothing sent")
        elif out.status == "dry-run":
            _show_dry_run(lst, out)
        else:
            where = ", ".join(out.deliveries)
            click.echo(
                f"{lst.key}: {out.subject}: {plural(out.messages, 'message')}, {out.series} series -> {where}"
            )
    if code:
        sys.exit(code)


def _run_digest(cfg, dg, sdir: str, dry_run: bool) -> int:
    """One ``[digests.NAME]``: its URL archives mirrored, run, reported; the exit code."""
    from .multilist import run_digest
    from .pipeline import is_url
    from .sources.sync import sync as sync_list

    try:
        local = {}
        for a in dg.archives:
            if is_url(a.archive):
                local[a.key] = default_mirror_dir(a.archive)
                sync_list(a.archive, local[a.key], env=os.environ)
        out = run_digest(
            dg,
            cfg.smtp,
            state_dir=sdir,
            environ=os.environ,
            archives=local,
            index_path_of=default_index_path,
            dry_run=dry_run,
            stdout=sys.stdout,
        )
    except ListdigestError as exc:
        click.echo(f"Error: digest {dg.key}: {exc}", err=True)
        return _exit_code(exc)
    if out.note:
        click.echo(f"{dg.key}: {out.note}")
    if out.status == "empty":
        click.echo(f"{dg.key}: no new messages on its lists; nothing sent")
    elif out.status == "dry-run":
        _show_dry_run(dg.delivery, out)
    else:
        click.echo(
            f"{dg.key}: {out.subject}: {plural(out.messages, 'message')}, {out.series} series"
            f" -> {', '.join(out.deliveries)}"
        )
    return 0


def _worse(a: int, b: int) -> int:
    """Of two lists' exit codes, the one to return: any failure beats success, and a lasting
    one beats "try again later" (75), which a wrapper may retry."""
    rank = {0: 0, TransientError.exit_code: 1}
    return max(a, b, key=lambda c: (rank.get(c, 2), c))


def _show_dry_run(lst, out) -> None:
    click.echo(f"== {lst.key}: would deliver to {', '.join(out.deliveries)} ==")
    if out.messages == 0 and out.subject is None:
        click.echo(f"no new messages after {out.start or 'the start'}; nothing would be sent")
        return
    if out.mail is not None:
        for h in ("From", "To", "Subject", "List-Id", "In-Reply-To"):
            if out.mail[h]:
                click.echo(f"{h}: {out.mail[h]}")
    else:
        click.echo(f"Subject: {out.subject}")
    if "files" in out.deliveries:
        click.echo(
            f"Files: {lst.output_dir}/{lst.key}/{out.start}..{out.end}.* ({', '.join(lst.formats)})"
        )
    click.echo("")
    rendered = dict(out.rendered)
    click.echo(
        rendered.get("text") or rendered.get("markdown") or next(iter(rendered.values())), nl=False
    )


@main.command()
@click.argument("path", type=click.Path())
@click.option(
    "--index",
    "index_file",
    metavar="FILE",
    help="Index file (default: in $XDG_DATA_HOME/listdigest/index/).",
)
def index(path, index_file) -> None:
    """Build or update the history index of the public-inbox archive at PATH.

    Incremental: only commits not yet indexed are read; history rewrites (purge, edit)
    drop the messages that vanished and re-read nothing else.
    """
    import time

    # the store's own entry: `index` needs neither the analysis nor the report stages
    # that importing pipeline brings (~40 ms before the first message is read)
    from .store.index import index_archive

    target = index_file or default_index_path(path)
    t0 = time.monotonic()
    stats = index_archive(path, target, _progress())
    dt = time.monotonic() - t0
    _warn_missing(f"commit {c[:12]}" for c in stats.missing)
    rate = f", {stats.read / dt:.0f} msg/s" if stats.read and dt > 0 else ""
    # the count read comes first: it is the progress bar's last count
    rewritten = (
        f", history rewritten in epoch {','.join(map(str, stats.rewritten))}"
        if stats.rewritten
        else ""
    )
    click.echo(
        f"{target}: read {plural(stats.read, 'message')}, dropped {stats.dropped}{rewritten};"
        f" {stats.total} in the index; {dt:.1f}s{rate}",
        err=True,
    )


def _template_cache() -> str:
    """``$XDG_CACHE_HOME/listdigest/templates`` (XDG default ~/.cache): compiled templates
    kept between runs, keyed by Jinja on each template's source."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache_home, "listdigest", "templates")


def default_index_path(path: str) -> str:
    """``$XDG_DATA_HOME/listdigest/index/<sha1 of the archive's absolute path>.sqlite``."""
    import hashlib
    import os

    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    h = hashlib.sha1(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    d = os.path.join(base, "listdigest", "index")
    try:
        os.makedirs(
            d, exist_ok=True
        )  # the default's directory is ours to make; a given --index's is not
    except OSError as exc:
        raise SourceError(f"{d}: cannot create the index directory: {exc.strerror}") from None
    return os.path.join(d, h + ".sqlite")


def _progress():
    """A progress callback drawing on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def draw(done: int, total: int) -> None:
        # called once per batch read (store.ingest); the last call is (read, read), the
        # count the index command's summary prints
        if total <= 0:
            return
        width = 30
        fill = int(width * done / total)
        sys.stderr.write(f"\r\x1b[KIndexing [{'#' * fill}{'.' * (width - fill)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return draw


def _tree_progress():
    """A tree's first read (its commits' patch-ids) drawn on stderr, on a terminal only;
    interrupted, the batches done are kept and the next run goes on from there."""
    if not sys.stderr.isatty():
        return None

    def draw(tree: str, done: int, total: int) -> None:
        if total <= 0:
            return
        width = 30
        fill = int(width * done / total)
        sys.stderr.write(
            f"\r\x1b[KReading {tree} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} commits"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return draw


@main.command()
@click.argument("address")
@click.option(
    "--name",
    default="",
    metavar="NAME",
    help="The display name the address was written with (mailmap rules may need it).",
)
@click.option(
    "--date",
    "date",
    metavar="DATE",
    help="Employer at this date (YYYY-MM-DD or ISO datetime; default: now).",
)
@click.option(
    "--archive",
    metavar="PATH",
    help="Also what this archive's mail suggests where the maps say (Unknown), as a digest "
    "infers it (explained: 'inferred from …').",
)
@_map_options
def who(address, name, date, archive, employer_maps, mailmaps, aliases, no_default_map) -> None:
    """Show what the maps say about ADDRESS, and which file and line say it."""
    import time

    from .analysis.employers import describe, infer_affiliations
    from .timeparse import parse_when

    given_name, addr = _address_arg(address)
    aff = _affiliations(employer_maps, mailmaps, aliases, no_default_map)
    if archive:
        from .pipeline import RangeSpec, collect
        from .sources import open_source

        aff = infer_affiliations(collect(open_source(archive), RangeSpec()).messages, aff)
    when = parse_when(date) if date else int(time.time())
    e = describe(aff, name or given_name, addr, when)
    click.echo(_format_who(e, archive), nl=False)


@main.command()
@click.option(
    "--maintainers", "maintainers", metavar="FILE", required=True, help="A kernel MAINTAINERS file."
)
@click.argument("paths", metavar="PATH...", nargs=-1, required=True)
def sections(maintainers, paths) -> None:
    """Print the MAINTAINERS sections each PATH belongs to (file order, as get_maintainer.pl
    --sections finds them): the names to give --section for a digest of these files."""
    from .analysis.paths import read_maintainers, sections_of

    known = read_maintainers(maintainers)
    for p in paths:
        click.echo(p)
        found = sections_of(known, p.removeprefix("./"))
        for s in found:
            click.echo(f"\t{s.name}")
        if not found:
            click.echo("\t(no section)")


def _address_arg(text: str) -> tuple[str, str]:
    """``user@domain``, ``<user@domain>`` or ``Name <user@domain>`` -> (name, address);
    anything else is one error line."""
    import email.utils
    import re

    from .errors import ArgumentError

    name, addr = email.utils.parseaddr(text.strip())
    # one local part, one domain, no spaces or brackets left: what a mail header holds
    if not re.fullmatch(r"[^\s<>@,;]+@[^\s<>@,;]+\.?[^\s<>@,;]*", addr):
        raise ArgumentError(
            f"not a mail address: {text!r} (give user@domain or 'Name <user@domain>')"
        )
    return name, addr


def _format_who(e, archive: str | None = None) -> str:
    """``who``'s report: identity, employer at the date, the deciding line (or the archive's
    evidence), every candidate."""
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
    if e.match.origin is not None and e.match.origin.line == 0:
        # inferred: no map line decided (a line for the address would win over this)
        lines.append(f"  {e.match.origin.text} in {archive}; no map line for {e.match.key}")
    elif e.match.origin is not None:
        lines.append(f"  matched  {e.match.key} at {e.match.origin}")
    else:
        lines.append("  matched  no map entry")
    for key, hist in e.candidates:
        lines.append(f"entries for {key}:")
        for a in hist:
            span = f"until {a.until}" if a.until else "current"
            lines.append(f"  {a.employer} ({span})  {a.origin}")
    return "\n".join(lines) + "\n"


@main.command()
@click.argument("path", type=click.Path())
@click.option("--from", "from_rev", metavar="REV", help="Start after this commit (excluded).")
@click.option("--to", "to_rev", metavar="REV", help="End at this commit (included).")
@click.option("--since", metavar="DATE", help="Only messages received at or after DATE.")
@click.option("--until", metavar="DATE", help="Only messages received at or before DATE.")
@click.option("--release", metavar="NAME", help="The range named NAME in --ranges FILE.")
@click.option("--ranges", "ranges_file", metavar="FILE", help="Named ranges: 'name FROM TO' lines.")
@click.option(
    "--compare",
    metavar="FROM..TO",
    help="Compare with this range (default: the previous period of equal length, or the release listed before --release).",
)
@click.option("--no-compare", is_flag=True, help="No comparison with a previous period.")
@_option("name", "list_name", metavar="NAME", extra=" Default: the archive's directory name.")
@click.option(
    "--top", type=click.IntRange(1, 10000), default=10, show_default=True, help="Rows per table."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default=None,
    help="Output format. Default: from -o FILE's extension (.txt .json .html), else text.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option("--no-pager", is_flag=True, help="Never page the output on a terminal.")
@click.option("--index", "index_file", metavar="FILE", help="Archive index to use and update.")
@_option("bots", "bot_patterns", metavar="TEXT", multiple=True)
@_map_options
def stats(
    path,
    from_rev,
    to_rev,
    since,
    until,
    release,
    ranges_file,
    compare,
    no_compare,
    list_name,
    top,
    fmt,
    output,
    no_pager,
    index_file,
    bot_patterns,
    employer_maps,
    mailmaps,
    aliases,
    no_default_map,
) -> None:
    """Release statistics of a range of the git archive at PATH: who reviews, who writes,
    which companies; movement against the previous period (README: "Release statistics")."""
    from .analysis import stats_ranges as sr
    from .analysis.history import DEFAULT_BOTS
    from .pipeline import RangeSpec, StatsRequest, spec_of, stats_of
    from .report.stats_html import render_html
    from .report.stats_text import render_json, render_text
    from .timeparse import parse_when

    prev_spec = None
    if release:
        if not ranges_file:
            raise click.UsageError("--release needs --ranges FILE")
        with open(ranges_file, encoding="utf-8") as f:
            named = sr.parse_ranges(f.read(), ranges_file)
        r = sr.find_range(named, release, ranges_file)
        spec, before = spec_of(r.start, r.end), sr.previous_range(named, release)
        prev_spec = spec_of(before.start, before.end) if before else None
    else:
        spec = RangeSpec(
            from_rev,
            to_rev,
            parse_when(since) if since else None,
            parse_when(until, end_of_day=True) if until else None,
        )
    if compare:
        a, sep, b = compare.partition("..")
        if not sep:
            raise click.UsageError("--compare takes FROM..TO")
        prev_spec = spec_of(a or None, b or None)
    current = stats_of(
        path,
        StatsRequest(
            spec=spec,
            previous=prev_spec,
            compare=not no_compare,
            list_name=list_name,
            top=top,
            bots=DEFAULT_BOTS + tuple(b.lower() for b in bot_patterns),
            affiliations=_affiliations(employer_maps, mailmaps, aliases, no_default_map),
            index_path=index_file or default_index_path(path),
        ),
        progress=_progress(),
    )
    fmt = fmt or format_of(output, ("text", "json", "html"))
    render = {"text": render_text, "json": render_json, "html": render_html}[fmt]
    _write(render(current), output, pager=not no_pager)


def raise_range(msg: str) -> None:
    from .errors import RangeError

    raise RangeError(msg)


def _write(text: str, output: str | None, *, pager: bool = False) -> None:
    """Write atomically to a file (never a half-written digest), or to stdout: through the
    pager when ``pager`` and stdout is a terminal (like git).

    A device or FIFO (``-o /dev/null``) is written in place, never replaced: see
    ``fileio.atomic_write``."""
    if not output or output == "-":
        if pager and sys.stdout.isatty() and _page(text):
            return
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .fileio import atomic_write

    atomic_write(output, text, make_dirs=False)


def _page(text: str) -> bool:
    """Show ``text`` through ``$PAGER`` (default ``less``, with ``LESS=FRX`` unless set, so a
    short text is printed and left on screen, as git does); False when there is no pager
    to use (``PAGER`` empty or ``cat``, or no ``less``)."""
    import shutil
    import signal
    import subprocess

    cmd = os.environ.get("PAGER")
    if cmd is None:
        cmd = "less" if shutil.which("less") else ""
    if cmd.strip() in ("", "cat"):
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    # Ctrl-C belongs to the pager (less uses it to stop a search), as under git
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert proc.stdin is not None
        try:
            with proc.stdin:
                proc.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
        except BrokenPipeError:
            pass  # the reader quit the pager early
        proc.wait()
    finally:
        signal.signal(signal.SIGINT, old)
    return True


# --- affiliations: import the gitdm data sets' per-developer format; what the archive suggests


@main.group()
def affiliations() -> None:
    """Affiliation files: import the per-developer format, infer from an archive."""


@affiliations.command("import")
@click.argument("file")
@click.option(
    "-o", "--output", metavar="FILE", help="Write the employer map here (default: stdout)."
)
@click.option(
    "--aliases-output",
    metavar="FILE",
    help="Also write the developers' address groups as a gitdm aliases file.",
)
def affiliations_import(file, output, aliases_output) -> None:
    """Turn a per-developer affiliation FILE (``Name: email, email`` / tab ``Company until
    YYYY-MM-DD``) into an EmailMap for --employer-map (which also reads FILE as it is)."""
    from .mapfiles import _read, developers_aliases, developers_as_map, parse_developers

    devs = parse_developers(_read(file, "affiliations file"), file)
    _write(developers_as_map(devs, file), output)
    if aliases_output:
        lines = [f"{alias}  {canon}" for alias, (canon, _o) in developers_aliases(devs).items()]
        _write("\n".join(lines) + ("\n" if lines else ""), aliases_output)


@affiliations.command("infer")
@click.argument("path")
@click.option("-o", "--output", metavar="FILE", help="Write the map here (default: stdout).")
@_map_options
def affiliations_infer(path, output, employer_maps, mailmaps, aliases, no_default_map) -> None:
    """Print what archive PATH suggests for addresses the maps leave (Unknown), as EmailMap
    lines with the evidence in comments (review them before keeping them as a map)."""
    from .analysis.employers import infer_affiliations, inferred_as_map
    from .pipeline import RangeSpec, collect
    from .sources import open_source

    aff = _affiliations(employer_maps, mailmaps, aliases, no_default_map)
    got = infer_affiliations(collect(open_source(path), RangeSpec()).messages, aff)
    _write(inferred_as_map(got.employers.inferred, path), output)


if __name__ == "__main__":  # pragma: no cover
    main()
