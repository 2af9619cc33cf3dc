"""``run``: ``plan_range`` -> ``digest_range`` -> ``render_formats`` -> ``compose`` ->
``deliver`` -> ``record``, per configured list, and what ``config check`` verifies."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, TextIO

from ..analysis.digest import Digest
from ..errors import (
    ConfigError,
    ConfigFileError,
    EmptyRangeError,
    RangeError,
    SourceError,
    StateError,
)
from ..sources import Source, open_source
from ..timeparse import day
from .digest import (
    DigestOptions,
    default_link_base,
    digest_of,
    digest_options,
    make_digest,
    opened_index,
    render_formats,
)
from .ranges import Collected, RangeSpec, _git, _newest_commit, is_url

if TYPE_CHECKING:
    from email.message import EmailMessage

    from ..config import Config, ListConfig, SmtpConfig
    from ..store.index import Index
    from ..store.state import State

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcome:
    """What ``run_list`` did for one list (the CLI reports it)."""

    key: str
    #: "delivered", "empty" (nothing to send) or "dry-run"
    status: str
    start: str | None
    end: str | None
    end_commit: str | None
    messages: int
    series: int
    subject: str | None = None
    rendered: tuple[tuple[str, str], ...] = ()
    mail: EmailMessage | None = None
    written: tuple[str, ...] = ()
    deliveries: tuple[str, ...] = ()
    #: a line worth telling the user (the run found its place again after a history rewrite)
    note: str | None = None


def first_range(start: str | None, now: int) -> RangeSpec:
    """Where a list's first run starts: a date/span (received since), a revision, or 24 h back."""
    from ..timeparse import parse_when

    if start is None:
        return RangeSpec(since=now - 86400)
    try:
        return RangeSpec(since=parse_when(start, now=now))
    except RangeError:
        return RangeSpec(from_rev=start)


@dataclass(frozen=True)
class LastMessage:
    """The state's record of the last message a digest held, by which ``resume_point``
    finds its place after a history rewrite."""

    blob: str | None = None
    msgid: str | None = None
    received: int | None = None


def last_message(ix: Index | None, commit: str) -> LastMessage:
    """The last message up to ``commit`` (its blob, Message-ID and received time)."""
    got = ix.last_message_upto(commit) if ix is not None else None
    return LastMessage(*got) if got is not None else LastMessage()


def resume_point(state: State, source: Source, ix: Index | None) -> tuple[str, str | None]:
    """Where the next digest starts: after ``state.to_commit``, or, when a history rewrite
    (public-inbox-purge or -edit, taken by ``sync``) made that commit unknown, after the
    commit that now stores the last delivered message (found by its blob), or after the last
    message received by then when that message itself was removed.  Returns the commit and,
    when it moved, one line saying so."""
    if _git(source).in_history(state.to_commit):
        return state.to_commit, None
    lost = (
        f"the last digest ended at commit {state.to_commit[:12]}, which a history rewrite removed"
    )
    if ix is None:
        raise StateError(f"{lost}; run needs the archive index to find its place again")
    found = ix.commit_of_blob(state.last_blob) if state.last_blob else None
    if found is not None:
        return (
            found,
            f"history rewritten: resuming after {state.last_msgid or 'the last delivered message'} (now commit {found[:12]})",
        )
    if state.last_received is not None:
        found = ix.last_commit_received_upto(state.last_received)
        if found is not None:
            return found, (
                f"history rewritten and the last delivered message removed: resuming after the last message "
                f"received by then (commit {found[:12]})"
            )
    raise StateError(
        f"{lost}, and the state does not say which message it was; remove its state file to start "
        f"again from 'start'"
    )


@dataclass(frozen=True)
class Plan:
    """One run's range: from where the last delivered digest ended to the newest commit."""

    #: full id of the archive's newest commit, where the range ends
    newest: str
    #: what to collect; None when nothing can be new (the last digest ended at ``newest``)
    spec: RangeSpec | None
    #: label of the range's (exclusive) start, None for a first run starting at a date
    from_label: str | None
    #: the state this run continues (its ``to_commit`` moved after a history rewrite)
    state: State | None
    #: a line for the user (the run found its place again after a history rewrite)
    note: str | None = None


def plan_range(
    lst: ListConfig, state: State | None, source: Source, ix: Index | None, newest: str, now: int
) -> Plan:
    """Plan a run: after the state's commit (found again after a rewrite), or for a first run
    from ``lst.start``; to ``newest``."""
    if state is not None:
        resume, note = resume_point(state, source, ix)
        if resume != state.to_commit:
            state = dataclasses.replace(state, to_commit=resume)
        spec = RangeSpec(from_rev=state.to_commit, to_rev=newest)
        return Plan(
            newest, spec if state.to_commit != newest else None, state.to_commit[:9], state, note
        )
    first = first_range(lst.start, now)
    from_label = _git(source).resolve(first.from_rev)[1][:9] if first.from_rev else None
    if ix is not None and first.from_rev is None:
        # a date range: the index finds the commit span holding it (make_digest narrows it),
        # so a first run does not parse the whole archive to find the last day's mail
        return Plan(newest, RangeSpec(since=first.since), from_label, None)
    spec = RangeSpec(from_rev=first.from_rev, to_rev=newest, since=first.since)
    return Plan(newest, spec, from_label, None)


def digest_range(
    plan: Plan, source: Source, options: DigestOptions, ix: Index | None
) -> Digest | None:
    """The digest of the planned range, ending at its newest commit; None when no message
    is new."""
    if plan.spec is None:
        return None
    try:
        digest = make_digest(source, plan.spec, options, ix)
    except EmptyRangeError:
        return None
    if digest.end_commit is None:
        digest = dataclasses.replace(digest, end_commit=plan.newest)
    return digest


def empty_digest(plan: Plan, source: Source, options: DigestOptions) -> Digest:
    """The "no traffic" digest of a range without messages (``send_empty``)."""
    got = Collected((), (), plan.from_label or plan.newest[:9], plan.newest[:9], plan.newest)
    return digest_of(got, source, options)


@dataclass(frozen=True)
class Letter:
    """What a run sends: the subject, and the mail when smtp delivers."""

    subject: str
    mail: EmailMessage | None


def compose(
    lst: ListConfig,
    digest: Digest,
    rendered: Mapping[str, str],
    plan: Plan,
    now: int,
    *,
    empty: bool = False,
) -> Letter:
    """The digest's subject, and its mail (text or Markdown, plus HTML) for smtp delivery."""
    from ..delivery import smtp as _smtp

    subject = lst.subject.format_map(subject_fields(lst, digest, now))
    if empty:
        subject += " (no traffic)"
    if "smtp" not in lst.delivery:
        return Letter(subject, None)
    assert lst.sender is not None  # config requires a sender for smtp delivery
    state = plan.state
    mail = _smtp.build_message(
        subject=subject,
        sender=lst.sender,
        to=lst.to,
        text=rendered.get("text") or rendered["markdown"],
        html=rendered.get("html"),
        list_id=lst.list_id,
        list_name=lst.name,
        in_reply_to=state.thread_root if (lst.thread and state is not None) else None,
        date=now,
    )
    return Letter(subject, mail)


def subject_fields(lst: ListConfig, digest: Digest, now: int) -> dict[str, object]:
    """The values of a subject's placeholders (``config.SUBJECT_FIELDS``): the days are the
    UTC days of the first and last message received (today's for a digest without any)."""
    days = [c.label for c in digest.per_day] or [day(now)]
    return {
        "list": lst.name,
        "since": days[0],
        "until": days[-1],
        "count": digest.totals.messages,
        "from": digest.start,
        "to": digest.end,
    }


def deliver(
    lst: ListConfig,
    smtp: SmtpConfig,
    digest: Digest,
    rendered: Mapping[str, str],
    letter: Letter,
    *,
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
) -> tuple[str, ...]:
    """Files first, then the mail, then stdout; raises on the first failure (``DeliveryError``
    for the mail).  Returns the files written."""
    from ..delivery import files as _files
    from ..delivery import smtp as _smtp

    written: tuple[str, ...] = ()
    if "files" in lst.delivery:
        assert lst.output_dir is not None  # config requires it for files delivery
        written = tuple(
            _files.write_files(
                lst.output_dir, lst.key, digest.start or "", digest.end or "", dict(rendered)
            )
        )
    if letter.mail is not None:
        password = smtp.password(environ) if smtp.user else None
        _smtp.send(
            letter.mail,
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            user=smtp.user,
            password=password,
            timeout=smtp.timeout,
            context=tls_context,
            **({"connect": connect} if connect is not None else {}),
        )
    if "stdout" in lst.delivery and stdout is not None:
        for fmt in lst.formats:
            stdout.write(rendered[fmt])
        stdout.flush()
    return written


def record(
    state_dir: str,
    key: str,
    plan: Plan,
    digest: Digest,
    letter: Letter,
    last: LastMessage,
    now: int,
) -> None:
    """After a delivery: the next digest starts where this one ended."""
    from ..store.state import State, write_state

    prev = plan.state
    msgid = letter.mail["Message-ID"] if letter.mail is not None else None
    write_state(
        state_dir,
        key,
        State(
            to_commit=digest.end_commit or plan.newest,
            from_commit=digest.start,
            message_id=msgid,
            thread_root=prev.thread_root if prev is not None and prev.thread_root else msgid,
            delivered_at=now,
            count=(prev.count if prev is not None else 0) + 1,
            last_blob=last.blob,
            last_msgid=last.msgid,
            last_received=last.received,
        ),
    )


def record_nothing(state_dir: str, key: str, plan: Plan, last: LastMessage) -> None:
    """Nothing to deliver: move the mark, so the next digest starts at today's newest."""
    from ..store.state import State, write_state

    if plan.state is not None and plan.state.to_commit == plan.newest:
        return
    base = plan.state or State(to_commit=plan.newest)
    write_state(
        state_dir,
        key,
        dataclasses.replace(
            base,
            to_commit=plan.newest,
            last_blob=last.blob,
            last_msgid=last.msgid,
            last_received=last.received,
        ),
    )


def run_list(
    lst: ListConfig,
    smtp: SmtpConfig,
    *,
    state_dir: str,
    environ: Mapping[str, str],
    dry_run: bool = False,
    now: int | None = None,
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
    opener: Callable[[str], Source] = open_source,
    index_path: str | None = None,
) -> Outcome:
    """One list's run: plan the range, digest it, render, deliver, and only then record the
    new state.  Any failure leaves the state as it was."""
    import time

    from ..store.state import locked, read_state

    now = int(time.time()) if now is None else now
    with locked(state_dir, lst.key):
        state = read_state(state_dir, lst.key)
        source = opener(lst.archive)
        if source.kind != "git":
            raise ConfigError(
                f"lists.{lst.key}.archive: run needs a git archive (public-inbox); {lst.archive} has no revisions"
            )
        newest = _newest_commit(source)
        options = digest_options(lst, index_path)
        # the index first: a first run's date range is read from its span, not by parsing
        # the whole archive to find the last day's mail
        with opened_index(source, index_path) as ix:
            plan = plan_range(lst, state, source, ix, newest, now)
            digest = digest_range(plan, source, options, ix)
            last = last_message(ix, (digest.end_commit if digest else None) or newest)
        if digest is None and not lst.send_empty:
            if not dry_run:
                record_nothing(state_dir, lst.key, plan, last)
            status = "dry-run" if dry_run else "empty"
            return Outcome(
                lst.key, status, plan.from_label, newest[:9], newest, 0, 0, note=plan.note
            )
        empty = digest is None
        if digest is None:
            digest = empty_digest(plan, source, options)
        link_base = lst.link_base or default_link_base(lst.archive, lst.key)
        rendered = render_formats(digest, lst.formats, link_base, lst.feed_url)
        letter = compose(lst, digest, rendered, plan, now, empty=empty)
        return send(
            lst,
            smtp,
            digest,
            rendered,
            letter,
            end_commit=digest.end_commit,
            note=plan.note,
            dry_run=dry_run,
            then=lambda sent: record(state_dir, lst.key, plan, digest, sent, last, now),
            environ=environ,
            stdout=stdout,
            connect=connect,
            tls_context=tls_context,
        )


def send(
    lst: ListConfig,
    smtp: SmtpConfig,
    digest: Digest,
    rendered: Mapping[str, str],
    letter: Letter,
    *,
    end_commit: str | None,
    note: str | None,
    dry_run: bool,
    then: Callable[[Letter], None],
    environ: Mapping[str, str],
    stdout: TextIO | None = None,
    connect=None,
    tls_context=None,
) -> Outcome:
    """The end of a run, one list's or a ``[digests.NAME]`` one's: the outcome of a dry run,
    else the digest delivered and only then ``then(letter)`` recording the new state."""
    outcome = Outcome(
        key=lst.key,
        status="dry-run",
        start=digest.start,
        end=digest.end,
        end_commit=end_commit,
        messages=digest.totals.messages,
        series=len(digest.series),
        subject=letter.subject,
        rendered=tuple(rendered.items()),
        mail=letter.mail,
        deliveries=lst.delivery,
        note=note,
    )
    if dry_run:
        return outcome
    written = deliver(
        lst,
        smtp,
        digest,
        rendered,
        letter,
        environ=environ,
        stdout=stdout,
        connect=connect,
        tls_context=tls_context,
    )
    then(letter)
    return dataclasses.replace(outcome, status="delivered", written=written)


def check_config(
    cfg: Config, *, environ: Mapping[str, str], opener: Callable[[str], Source] = open_source
) -> None:
    """What would make ``run`` fail, found now (``config check``): an archive path that is
    missing or no git archive, a ``start`` that is neither a date nor a revision of the
    archive, an SMTP password that cannot be had.  Raises ``ConfigFileError`` naming the key.
    An archive URL is mirrored at run time, so only its ``start`` as a date is checked."""
    from ..analysis.paths import find_sections, read_maintainers
    from ..timeparse import parse_when

    if cfg.smtp.user and any("smtp" in lst.delivery for lst in cfg.lists):
        cfg.smtp.password(environ)
    for lst in cfg.lists:
        where = f"lists.{lst.key}"
        if lst.maintainers is not None:
            try:
                find_sections(read_maintainers(lst.maintainers), lst.sections, where + ".sections")
            except ConfigError as exc:
                raise ConfigFileError(str(exc)) from None
        source = None
        if not is_url(lst.archive):
            try:
                source = opener(lst.archive)
            except SourceError as exc:
                raise ConfigFileError(f"{where}.archive: {exc}") from None
            if source.kind != "git":
                raise ConfigFileError(
                    f"{where}.archive: run needs a git archive (public-inbox); "
                    f"{lst.archive} has no revisions"
                )
        if lst.start is None:
            continue
        try:
            parse_when(lst.start)
            continue
        except RangeError:
            pass
        if source is None:
            raise ConfigFileError(
                f"{where}.start: {lst.start!r} is not a date (YYYY-MM-DD, ISO datetime, "
                "2d/12h/1w, yesterday); a revision needs a local archive to check"
            )
        try:
            _git(source).resolve(lst.start)
        except (RangeError, SourceError):
            raise ConfigFileError(
                f"{where}.start: {lst.start!r} is neither a date (YYYY-MM-DD, ISO datetime, "
                f"2d/12h/1w, yesterday) nor a revision of {lst.archive}"
            ) from None
