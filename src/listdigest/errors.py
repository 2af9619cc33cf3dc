"""Typed exceptions the library raises; only ``cli.py`` turns them into messages and exit codes.

Every message is one line, meant to be shown to the user as ``Error: <message>``.  Each class
carries the exit code the CLI returns for it (README, "Exit codes"), so cron and scripts can
tell bad input (2) from a broken configuration file (3), an undelivered digest (1) and a
network problem worth retrying later (75, sysexits' EX_TEMPFAIL).
"""

#: every exit code the CLI returns, and what it means (README's table is checked against it)
EXIT_CODES: dict[int, str] = {
    0: "done (a range without messages too: a short “no traffic” digest, or nothing with --quiet-if-empty)",
    1: "not delivered: the mail server refused, dropped or timed out, or files could not be written; "
    "or another run holds the list's lock. Run state is unchanged, so the next run retries",
    2: "bad input: a path that is no archive, an unreadable or garbage mbox, an unknown revision, "
    "a bad date or option",
    3: "the configuration file is wrong (`config check` names the key at fault)",
    75: "a network error reaching an archive server (unreachable, refused, timed out): "
    "try again later",
    130: "interrupted (Ctrl-C)",
}


class ListdigestError(Exception):
    """Base of every error listdigest raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 2


class SourceError(ListdigestError):
    """The archive cannot be opened or read (missing path, not an inbox, corrupt object)."""


class RangeError(ListdigestError):
    """The requested range is invalid or empty (unknown revision, FROM after TO, bad date)."""


class ConfigError(ListdigestError):
    """A setting or a file of settings (an employer map given as an option) is invalid."""


class ConfigFileError(ConfigError):
    """The configuration file is wrong: unreadable, a bad key or value, a list that cannot
    run as configured (``config check`` finds it before a run does)."""

    exit_code = 3


class DeliveryError(ListdigestError):
    """A digest could not be delivered; state must not advance."""

    exit_code = 1


class StateError(ListdigestError):
    """The run state cannot be read or the list is locked by another run; nothing was sent."""

    exit_code = 1


class TransientError(ListdigestError):
    """A network failure worth retrying later (the server was unreachable or timed out)."""

    exit_code = 75


class EmptyRangeError(RangeError):
    """The range holds no message (``run`` delivers nothing then, or a "no traffic" digest)."""


class NoReadableMessageError(SourceError):
    """A mailbox whose every record fails to parse (a ``From `` line and garbage)."""


class ArgumentError(ListdigestError):
    """A command-line argument that is not what it must be (``who`` given a non-address)."""
