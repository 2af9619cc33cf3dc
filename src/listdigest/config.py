"""The configuration of ``listdigest run``: loading the file from TOML into frozen
dataclasses, each key as the settings table (``settings``: name, default, help) gives it.

This module owns the file's keys, their defaults and validation; every error names the
exact key at fault (``lists.kvm.formats[1]: unknown format 'pdf' (…)``); map files named in a
list (employer maps, mailmaps, aliases) are read and parsed here, so a bad line is caught by
``config check`` under its key.  It does not read the environment or pick default paths:
``cli.py`` resolves those and passes them in, and the SMTP password is looked up in an
environment mapping the caller hands over.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ConfigError, ConfigFileError
from .settings import DIGEST_SETTINGS, LIST_SETTINGS, SMTP_SETTINGS, Setting, default, setting

# the TOML parser, the map-file parsers and difflib are imported where a file is read


#: what the README says of the ``[digests.NAME]`` keys it does not list
_DIGEST_REST = (
    "Besides these, every `[lists.NAME]` key but `archive` (`to`, `from`, `formats`, "
    "`subject`, `start`, the maps, …), meaning the same for the digest."
)


DELIVERIES = ("smtp", "files", "stdout")
#: the placeholders a mail subject may use
SUBJECT_FIELDS = ("list", "since", "until", "count", "from", "to")
SECURITIES = ("none", "starttls", "ssl")
# a table name becomes a file name (state, output dir) and a List-Id label: keep it plain
_LIST_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = default("host", SMTP_SETTINGS)
    port: int = 25  # the port of the default security, "none"
    security: str = default("security", SMTP_SETTINGS)
    user: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    timeout: float = float(default("timeout", SMTP_SETTINGS))

    def password(self, environ: Mapping[str, str]) -> str | None:
        """The password from ``environ[password_env]`` or ``password_file``; never logged."""
        if self.password_env:
            value = environ.get(self.password_env)
            if value is None:
                raise ConfigFileError(
                    f"smtp.password_env: environment variable {self.password_env} is not set"
                )
            return value
        if self.password_file:
            try:
                with open(self.password_file, encoding="utf-8") as f:
                    return f.readline().rstrip("\r\n")
            except OSError as exc:
                raise ConfigFileError(
                    f"smtp.password_file: cannot read {self.password_file}: {exc.strerror}"
                ) from None
        return None


@dataclass(frozen=True)
class ListConfig:
    key: str
    name: str
    archive: str
    delivery: tuple[str, ...]
    to: tuple[str, ...]
    sender: str | None
    formats: tuple[str, ...]
    subject: str
    top: int
    #: None: derived from the archive at run time (``pipeline.default_link_base``)
    link_base: str | None
    start: str | None
    output_dir: str | None
    send_empty: bool
    thread: bool
    list_id: str
    employer_maps: tuple[str, ...] = ()
    mailmaps: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    no_default_map: bool = False
    #: employers from the maps alone (``--no-infer``)
    no_infer: bool = False
    #: extra bot address patterns (lower case), added to the built-in ones
    bots: tuple[str, ...] = ()
    waiting_days: int = default("waiting_days")
    hot: int = default("hot")
    feed_url: str | None = None
    #: code trees to find the series in (``PATH[:REF]``), and the days an applied one may take
    trees: tuple[str, ...] = ()
    landed_days: int = default("landed_days")
    #: a digest of some files: ``--path`` patterns, a MAINTAINERS file and its sections
    paths: tuple[str, ...] = ()
    maintainers: str | None = None
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestArchive:
    """One list of a ``[digests.NAME]``: its key (a state per key), name and archive."""

    key: str
    name: str
    archive: str


@dataclass(frozen=True)
class DigestConfig:
    """A ``[digests.NAME]`` table: several lists in one digest, with a list's delivery keys
    (``delivery``, whose ``archive`` is empty) and the filters."""

    key: str
    delivery: ListConfig
    archives: tuple[DigestArchive, ...]
    paths: tuple[str, ...] = ()
    maintainers: str | None = None
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: str
    smtp: SmtpConfig
    lists: tuple[ListConfig, ...]
    digests: tuple[DigestConfig, ...] = ()

    def get_digest(self, key: str) -> DigestConfig | None:
        return next((d for d in self.digests if d.key == key), None)

    def get(self, key: str) -> ListConfig:
        for lst in self.lists:
            if lst.key == key:
                return lst
        known = ", ".join(lst.key for lst in self.lists) or "none"
        raise ConfigFileError(f"no list {key!r} in {self.path} (configured: {known})")

    @classmethod
    def from_toml(cls, text: str, path: str = "<config>") -> Config:
        if sys.version_info >= (3, 11):
            import tomllib as _toml
        else:  # pragma: no cover - exercised on 3.9/3.10 only
            import tomli as _toml

        try:
            data = _toml.loads(text)
        except _toml.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        return from_dict(data, path)


def load_config(path: str) -> Config:
    """Read and validate the TOML file at ``path``; every error is a ``ConfigFileError``."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ConfigFileError(
            f"{path}: no such configuration file (`listdigest config init` writes an example)"
        ) from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: not UTF-8 text") from None
    try:
        return Config.from_toml(text, path)
    except ConfigFileError:
        raise
    except ConfigError as exc:
        raise ConfigFileError(str(exc)) from None


# -- validation helpers: each names the key at fault -------------------------------------


def _type_name(v: Any) -> str:
    return {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }.get(type(v), type(v).__name__)


def _str(where: str, v: Any, *, empty: bool = False) -> str:
    if not isinstance(v, str):
        raise ConfigError(f"{where}: expected a string, got {_type_name(v)}")
    if not empty and not v.strip():
        raise ConfigError(f"{where}: must not be empty")
    return v


def _int(where: str, v: Any, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f"{where}: expected an integer, got {_type_name(v)}")
    if not lo <= v <= hi:
        raise ConfigError(f"{where}: {v} is out of range ({lo}..{hi})")
    return v


def _bounded(where: str, data: Mapping[str, Any], name: str) -> int:
    """An integer key within the bounds its setting gives, or its default."""
    s = setting(name)
    assert s.bounds is not None
    return _int(f"{where}.{name}", data.get(name, s.default), *s.bounds)


def _bool(where: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{where}: expected true or false, got {_type_name(v)}")
    return v


def _str_list(
    where: str, v: Any, check: Callable[[str, str], None] | None = None
) -> tuple[str, ...]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list):
        raise ConfigError(f"{where}: expected an array of strings, got {_type_name(v)}")
    out = []
    for i, item in enumerate(v):
        w = f"{where}[{i}]"
        s = _str(w, item)
        if check:
            check(w, s)
        out.append(s)
    return tuple(out)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'hot'?)`` for a near miss among ``known``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(where: str, table: Mapping[str, Any], settings: tuple[Setting, ...]) -> None:
    names = {s.name for s in settings}
    for k in table:
        if k not in names:
            hint = did_you_mean(k, names)
            raise ConfigError(
                f"{where}.{k}: unknown key" + (hint or f" (known: {', '.join(sorted(names))})")
            )


# an address as a mail header holds it, bare or with a display name: something@something
_ADDR_RE = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _address(where: str, s: str) -> None:
    if not _ADDR_RE.search(s):
        raise ConfigError(f"{where}: not a mail address: {s!r}")


def _smtp(data: Any) -> SmtpConfig:
    if data is None:
        return SmtpConfig()
    if not isinstance(data, dict):
        raise ConfigError(f"smtp: expected a table, got {_type_name(data)}")
    if "password" in data:
        raise ConfigError(
            "smtp.password: never put the password in the file; use password_env or password_file"
        )
    _unknown("smtp", data, SMTP_SETTINGS)
    security = _str("smtp.security", data.get("security", default("security", SMTP_SETTINGS)))
    if security not in SECURITIES:
        raise ConfigError(
            f"smtp.security: unknown value {security!r} (known: {', '.join(SECURITIES)})"
        )
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    port = _int("smtp.port", data.get("port", default_port), 1, 65535)
    if "password_env" in data and "password_file" in data:
        raise ConfigError("smtp.password_file: give password_env or password_file, not both")
    user = _str("smtp.user", data["user"]) if "user" in data else None
    pw_env = _str("smtp.password_env", data["password_env"]) if "password_env" in data else None
    pw_file = _str("smtp.password_file", data["password_file"]) if "password_file" in data else None
    timeout = data.get("timeout", default("timeout", SMTP_SETTINGS))
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not 0 < timeout <= 3600
    ):
        raise ConfigError("smtp.timeout: expected a number of seconds between 0 and 3600")
    return SmtpConfig(
        host=_str("smtp.host", data.get("host", default("host", SMTP_SETTINGS))),
        port=port,
        security=security,
        user=user,
        password_env=pw_env,
        password_file=pw_file,
        timeout=float(timeout),
    )


def _files(
    where: str, v: Any, base: str | None, parse: Callable[[str, str], Any]
) -> tuple[str, ...]:
    """Paths of map files, relative ones taken from the configuration file's directory.
    Each is read and parsed now, so `config check` catches a typo or a bad line."""
    out = []
    for i, p in enumerate(_str_list(where, v)):
        full = (
            os.path.join(base, os.path.expanduser(p)) if base is not None else os.path.expanduser(p)
        )
        try:
            with open(full, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as exc:
            raise ConfigError(f"{where}[{i}]: cannot read {full}: {exc.strerror}") from None
        try:
            parse(text, full)
        except ConfigError as exc:
            raise ConfigError(f"{where}[{i}]: {exc}") from None
        out.append(full)
    return tuple(out)


def _list(
    key: str,
    data: Any,
    known_formats: tuple[str, ...],
    base: str | None = None,
    table: str = "lists",
) -> ListConfig:
    from .mapfiles import parse_aliases, parse_employer_map, parse_mailmap

    where = f"{table}.{key}"
    if not _LIST_KEY_RE.match(key):
        raise ConfigError(f"{where}: a list name may hold only letters, digits, '.', '_' and '-'")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {_type_name(data)}")
    _unknown(where, data, LIST_SETTINGS)
    if "archive" not in data:
        raise ConfigError(f"{where}.archive: missing (the path of the list's archive)")
    archive = _str(f"{where}.archive", data["archive"])
    name = _str(f"{where}.name", data.get("name", key))
    to = _str_list(f"{where}.to", data.get("to", []), _address)
    sender = _str(f"{where}.from", data["from"]) if "from" in data else None
    if sender is not None:
        _address(f"{where}.from", sender)

    def _delivery(w: str, s: str) -> None:
        if s not in DELIVERIES:
            raise ConfigError(f"{w}: unknown delivery {s!r} (known: {', '.join(DELIVERIES)})")

    delivery = _str_list(
        f"{where}.delivery", data.get("delivery", "smtp" if to else "stdout"), _delivery
    )
    if not delivery:
        raise ConfigError(f"{where}.delivery: must name at least one of {', '.join(DELIVERIES)}")

    def _format(w: str, s: str) -> None:
        if s not in known_formats:
            raise ConfigError(f"{w}: unknown format {s!r} (known: {', '.join(known_formats)})")

    formats = _str_list(f"{where}.formats", data.get("formats", list(default("formats"))), _format)
    if not formats:
        raise ConfigError(f"{where}.formats: must name at least one format")
    output_dir = _str(f"{where}.output_dir", data["output_dir"]) if "output_dir" in data else None
    if "smtp" in delivery:
        if not to:
            raise ConfigError(f"{where}.to: missing (smtp delivery needs recipients)")
        if sender is None:
            raise ConfigError(f"{where}.from: missing (smtp delivery needs a sender)")
        if "text" not in formats and "markdown" not in formats:
            raise ConfigError(
                f"{where}.formats: smtp delivery needs 'text' or 'markdown' for the plain-text part"
            )
    if "files" in delivery and output_dir is None:
        raise ConfigError(f"{where}.output_dir: missing (files delivery needs a directory)")
    subject = _str(f"{where}.subject", data.get("subject", default("subject")))
    try:
        subject.format_map(dict(dict.fromkeys(SUBJECT_FIELDS, "x"), count=0))
    except (KeyError, IndexError, ValueError) as exc:
        known = ", ".join(f"{{{k}}}" for k in SUBJECT_FIELDS)
        raise ConfigError(f"{where}.subject: bad placeholder {exc} (use {known})") from None
    link_base = _str(f"{where}.link_base", data["link_base"]) if "link_base" in data else None
    feed_url = _str(f"{where}.feed_url", data["feed_url"]) if "feed_url" in data else None
    start = _str(f"{where}.start", data["start"]) if "start" in data else None
    domain = sender.rsplit("@", 1)[-1].strip("> ").lower() if sender else "localhost"
    list_id = _str(f"{where}.list_id", data.get("list_id", f"{key}.listdigest.{domain}"))
    return ListConfig(
        key=key,
        name=name,
        archive=archive,
        delivery=delivery,
        to=to,
        sender=sender,
        formats=formats,
        subject=subject,
        top=_bounded(where, data, "top"),
        link_base=link_base,
        feed_url=feed_url,
        start=start,
        output_dir=output_dir,
        send_empty=_bool(f"{where}.send_empty", data.get("send_empty", default("send_empty"))),
        thread=_bool(f"{where}.thread", data.get("thread", default("thread"))),
        list_id=list_id,
        employer_maps=_files(
            f"{where}.employer_maps", data.get("employer_maps", []), base, parse_employer_map
        ),
        mailmaps=_files(f"{where}.mailmaps", data.get("mailmaps", []), base, parse_mailmap),
        aliases=_files(f"{where}.aliases", data.get("aliases", []), base, parse_aliases),
        no_default_map=_bool(
            f"{where}.no_default_map", data.get("no_default_map", default("no_default_map"))
        ),
        no_infer=_bool(f"{where}.no_infer", data.get("no_infer", default("no_infer"))),
        bots=tuple(b.lower() for b in _str_list(f"{where}.bots", data.get("bots", []))),
        waiting_days=_bounded(where, data, "waiting_days"),
        hot=_bounded(where, data, "hot"),
        trees=tuple(
            os.path.expanduser(t) for t in _str_list(f"{where}.trees", data.get("trees", []))
        ),
        landed_days=_bounded(where, data, "landed_days"),
        paths=_str_list(f"{where}.paths", data.get("paths", [])),
        maintainers=_maintainers(where, data, base),
        sections=_str_list(f"{where}.sections", data.get("sections", [])),
    )


def _maintainers(where: str, data: Mapping[str, Any], base: str | None) -> str | None:
    """The MAINTAINERS file of a list's filter, relative to the configuration file; its
    section names are looked up by ``config check`` (reading the file is the analysis
    stage's)."""
    sections = data.get("sections")
    if "maintainers" not in data:
        if sections:
            raise ConfigError(f"{where}.sections: needs `maintainers` (the file naming them)")
        return None
    p = os.path.expanduser(_str(f"{where}.maintainers", data["maintainers"]))
    if not sections:
        raise ConfigError(f"{where}.maintainers: needs `sections` (the sections to keep)")
    return os.path.join(base, p) if base is not None else p


def _archive_key(ref: str) -> str:
    """A key for an archive a digest names by path or URL: its list's directory name
    (``/srv/lore/linux-spi`` -> ``linux-spi``; ``…/git/0.git`` -> the inbox's name)."""
    parts = [p for p in ref.rstrip("/").split("/") if p and p not in (".", "..")]
    while len(parts) > 1 and (parts[-1] == "git" or re.fullmatch(r"\d+\.git", parts[-1])):
        parts.pop()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", parts[-1] if parts else "archive").lstrip("._-")
    return name or "archive"


def _digest(
    key: str,
    data: Any,
    known_formats: tuple[str, ...],
    base: str | None,
    lists: tuple[ListConfig, ...],
) -> DigestConfig:
    where = f"digests.{key}"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {_type_name(data)}")
    if "archive" in data:
        raise ConfigError(f"{where}.archive: a digest names its lists in `archives`")
    # the filter keys go on to the delivery keys' list when lists take them too, so the
    # list's digest options build the filter
    own = {s.name for s in DIGEST_SETTINGS} - {s.name for s in LIST_SETTINGS}
    _unknown(where, data, DIGEST_SETTINGS + tuple(s for s in LIST_SETTINGS if s.name != "archive"))
    if "archives" not in data:
        raise ConfigError(f"{where}.archives: missing (the lists the digest covers)")
    refs = _str_list(f"{where}.archives", data["archives"])
    if not refs:
        raise ConfigError(f"{where}.archives: must name at least one list")
    by_key = {lst.key: lst for lst in lists}
    archives: list[DigestArchive] = []
    for i, ref in enumerate(refs):
        lst = by_key.get(ref)
        if lst is not None:
            got = DigestArchive(lst.key, lst.name, lst.archive)
        elif "/" in ref or ref.startswith(("~", ".")):
            got = DigestArchive(_archive_key(ref), _archive_key(ref), os.path.expanduser(ref))
        else:
            known = ", ".join(by_key) or "none"
            raise ConfigError(
                f"{where}.archives[{i}]: no list {ref!r} (configured: {known}; "
                "or give the archive's path or URL)"
            )
        if any(a.key == got.key for a in archives):
            raise ConfigError(f"{where}.archives[{i}]: {ref!r} is named twice")
        archives.append(got)
    rest = {k: v for k, v in data.items() if k not in own}
    delivery = _list(key, dict(rest, archive="-"), known_formats, base, table="digests")
    return DigestConfig(
        key=key,
        delivery=dataclasses.replace(delivery, archive=""),
        archives=tuple(archives),
        paths=_str_list(f"{where}.paths", data.get("paths", [])),
        # relative to the configuration file, as a list's
        maintainers=_maintainers(where, data, base),
        sections=_str_list(f"{where}.sections", data.get("sections", [])),
    )


def from_dict(data: dict[str, Any], path: str = "<config>") -> Config:
    """Validate parsed TOML; raises ConfigError naming the key at fault."""
    from .report import formats as _formats

    for k in data:
        if k not in ("smtp", "lists", "digests"):
            raise ConfigError(
                f"{k}: unknown table"
                + (
                    did_you_mean(k, ("lists", "smtp", "digests"))
                    or " (known: digests, lists, smtp)"
                )
            )
    digests_data = data.get("digests", {})
    if not isinstance(digests_data, dict):
        raise ConfigError(f"digests: expected a table, got {_type_name(digests_data)}")
    lists_data = data.get("lists", {} if digests_data else None)
    if lists_data is None:
        raise ConfigError("lists: missing (add a [lists.NAME] table per list)")
    if not isinstance(lists_data, dict):
        raise ConfigError(f"lists: expected a table, got {_type_name(lists_data)}")
    known = tuple(_formats())
    # map files named relative to the configuration file (a real path, not "<config>")
    base = os.path.dirname(os.path.abspath(path)) if not path.startswith("<") else None
    lists: list[ListConfig] = [_list(k, v, known, base) for k, v in lists_data.items()]
    if not lists and not digests_data:
        raise ConfigError("lists: no list configured (add a [lists.NAME] table)")
    digests = tuple(_digest(k, v, known, base, tuple(lists)) for k, v in digests_data.items())
    return Config(path=path, smtp=_smtp(data.get("smtp")), lists=tuple(lists), digests=digests)


def settings_markdown() -> str:
    """The settings tables as Markdown (README's configuration section is generated from it)."""
    out = []
    for title, table in (
        ("[smtp]", SMTP_SETTINGS),
        ("[lists.NAME]", LIST_SETTINGS),
        ("[digests.NAME]", DIGEST_SETTINGS),
    ):
        out.append(f"`{title}`\n\n| key | default | meaning |\n|---|---|---|")
        for s in table:
            d = (
                "—"
                if s.default is None
                else (repr(list(s.default)) if isinstance(s.default, tuple) else repr(s.default))
            )
            d = d.replace("'", '"').replace("False", "false").replace("True", "true")
            text = " ".join(t for t in (s.help, s.file_note) if t)
            if s.bounds is not None:
                text += f" {s.bounds[0]} to {s.bounds[1]}."
            if s.option:
                text += f" Like `{s.option}`."
            out.append(f"| `{s.name}` | `{d}` | {text} |")
        out.append("")
    out.append(_DIGEST_REST + "\n")
    return "\n".join(out)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


#: the keys ``example_config`` sets (a list that runs as it is: a lore URL, printed)
_EXAMPLE_LIST = {
    "archive": "https://lore.kernel.org/kvm",
    "delivery": "stdout",
    "formats": ("text",),
    "start": "1d",
}
#: commented-out values for keys without a default worth showing
_EXAMPLE_HINTS = {
    "name": "KVM",
    "to": ("kvm-digest@example.org",),
    "from": "KVM digest <digest@example.org>",
    "link_base": "https://lore.kernel.org/kvm/",
    "output_dir": "/srv/www/digests",
    "feed_url": "https://example.org/digests/kvm/feed.atom",
    "list_id": "kvm.listdigest.example.org",
    "employer_maps": ("maps/employers",),
    "mailmaps": ("/srv/linux/.mailmap",),
    "aliases": ("maps/aliases",),
    "bots": ("ci-runner@example.org",),
    "host": "smtp.example.org",
    "port": 587,
    "security": "starttls",
    "user": "digest",
    "password_env": "LISTDIGEST_SMTP_PASSWORD",
    "password_file": "~/.config/listdigest/smtp-password",
}


def _commented(s: Setting, value: Any, *, on: bool) -> list[str]:
    """A key's help as comment lines (wrapped for an 80-column editor), then the key."""
    import textwrap

    text = " ".join(t for t in (s.help, s.file_note) if t)
    lines = ["# " + line for line in textwrap.wrap(text, 76)]
    lines.append(f"{'' if on else '# '}{s.name} = {_toml_value(value)}")
    return lines


def example_config() -> str:
    """A commented configuration that ``config check`` accepts as it is: one list read from
    lore and printed; every other key shown, commented out, with its help (from the tables
    above, so it never drifts from them)."""
    out = [
        "# listdigest configuration (TOML).  `listdigest config check` validates it,",
        "# `listdigest run` digests each [lists.NAME] from where its last digest ended.",
        "# Remove the leading '# ' of a key to set it.",
        "",
        '# [smtp] is needed only for delivery = "smtp".',
        "# [smtp]",
    ]
    for s in SMTP_SETTINGS:
        value = _EXAMPLE_HINTS.get(s.name, s.default)
        if s.name == "password_file" or value is None:
            continue
        out += _commented(s, value, on=False)
    out += ["", "[lists.kvm]"]
    for s in LIST_SETTINGS:
        if s.name in _EXAMPLE_LIST:
            out += _commented(s, _EXAMPLE_LIST[s.name], on=True)
        else:
            value = _EXAMPLE_HINTS.get(s.name, s.default)
            if value is None:
                continue
            out += _commented(s, value, on=False)
    return "\n".join(out) + "\n"
