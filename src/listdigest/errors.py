"""Typed exceptions the library raises; only ``cli.py`` turns them into messages and exit codes.

Every message is one line, meant to be shown to the user as ``Error: <message>``.
"""


class ListdigestError(Exception):
    """Base of every error listdigest raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 2


class SourceError(ListdigestError):
    """The archive cannot be opened or read (missing path, not an inbox, corrupt object)."""


class RangeError(ListdigestError):
    """The requested range is invalid or empty (unknown revision, FROM after TO, bad date)."""


class ConfigError(ListdigestError):
    """The configuration file or a setting in it is invalid."""


class DeliveryError(ListdigestError):
    """A digest could not be delivered; state must not advance."""

    exit_code = 1


class StateError(ListdigestError):
    """The run state cannot be read or the list is locked by another run; nothing was sent."""

    exit_code = 1


class EmptyRangeError(RangeError):
    """The range holds no message (``run`` delivers nothing then, or a "no traffic" digest)."""
