"""The settings table: every key of the configuration file with its default and help,
which ``report``'s options and the README's tables take too (the one place each default is
written).

Kept apart from ``config`` (which loads and checks files): the CLI builds its options from
this table when it starts, and a report should not pay for loading the file machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One key: its default and help, which the CLI's options and the README's tables use too."""

    name: str
    default: Any
    help: str
    #: the ``report`` option that sets the same thing (its default and help come from here)
    option: str | None = None
    #: inclusive bounds of an integer key (and of its option)
    bounds: tuple[int, int] | None = None
    #: what the configuration file adds to ``help`` (not true of the option)
    file_note: str = ""


#: every key of the ``[smtp]`` table
SMTP_SETTINGS: tuple[Setting, ...] = (
    Setting("host", "localhost", "SMTP server host name."),
    Setting("port", None, "SMTP port; default 25 (none), 587 (starttls), 465 (ssl)."),
    Setting("security", "none", 'Transport security: "none", "starttls" or "ssl".'),
    Setting("user", None, "User name for SMTP AUTH; no AUTH when absent."),
    Setting("password_env", None, "Name of the environment variable that holds the SMTP password."),
    Setting(
        "password_file",
        None,
        "File whose first line is the SMTP password (instead of password_env).",
    ),
    Setting("timeout", 60, "Seconds to wait for the server before the delivery fails."),
)

#: every key of a ``[lists.NAME]`` table
LIST_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        None,
        "List name the digest shows.",
        option="--list-name",
        file_note="Default: the table's NAME.",
    ),
    Setting(
        "archive",
        None,
        "Path of the list's public-inbox archive (v2 inbox, epoch or v1 repository), or its http(s) URL (e.g. https://lore.kernel.org/kvm): `run` then syncs a mirror first (see `sync`). Required.",
    ),
    Setting(
        "delivery",
        None,
        'Where digests go: "smtp", "files", "stdout", or a list of them (default: "smtp" when `to` is set, else "stdout").',
    ),
    Setting("to", (), "Recipient addresses of the digest mail."),
    Setting(
        "from",
        None,
        "Sender of the digest mail, e.g. 'KVM digest <digest@example.org>' (required for smtp).",
    ),
    Setting(
        "formats",
        ("text", "html"),
        "Formats to produce: text, markdown, html, json, atom. Mail carries text and html as multipart/alternative.",
    ),
    Setting(
        "subject",
        "[{list}] digest {since} – {until}",
        "Mail subject. Placeholders: {list} (the list's name), {since} and {until} (the UTC days of the first and last message, YYYY-MM-DD), {count} (messages), {from} and {to} (9-char commit ids).",
    ),
    Setting("top", 15, "Rows in the domain and contributor tables.", "--top", (1, 10000)),
    Setting(
        "link_base",
        None,
        "Archive link prefix; a message links to link_base + Message-ID + '/'. Default: the list URL the archive was mirrored from by `sync` (or the list URL given), else https://lore.kernel.org/<list name in lower case>/.",
        option="--link-base",
        file_note="The name is the table's NAME.",
    ),
    Setting(
        "start",
        None,
        "Where the first run starts: a revision (exclusive, like --from) or a date (YYYY-MM-DD, ISO datetime, 2d/12h/1w). Default: the last 24 hours.",
    ),
    Setting(
        "output_dir",
        None,
        "Directory for files delivery: writes DIR/NAME/FROM..TO.EXT per format, and DIR/NAME/feed.atom.",
    ),
    Setting(
        "feed_url",
        None,
        "Public URL of the list's Atom feed (files delivery's DIR/NAME/feed.atom as a web server serves it), e.g. https://example.org/digests/kvm/feed.atom: the feed's rel=\"self\" link.",
    ),
    Setting("send_empty", False, 'Deliver a "no traffic" digest when the range holds no message.'),
    Setting(
        "thread",
        False,
        "Send each digest as a reply to the list's first digest, so mail readers show one thread per list.",
    ),
    Setting(
        "list_id",
        None,
        "List-Id header of the digest mail (default: NAME.listdigest.<domain of from>).",
    ),
    Setting(
        "employer_maps",
        (),
        "gitdm employer map files (`[user@]domain Employer [< YYYY-MM-DD]`), read after the shipped map; later files win.",
        option="--employer-map",
        file_note="Relative paths are relative to the configuration file.",
    ),
    Setting(
        "mailmaps",
        (),
        "git `.mailmap` files merging one person's names and addresses.",
        option="--mailmap",
    ),
    Setting(
        "aliases",
        (),
        "gitdm aliases files (`alias canonical-address`).",
        option="--aliases",
    ),
    Setting(
        "no_default_map",
        False,
        "Do not read the shipped employer map, only the given employer maps.",
        option="--no-default-map",
    ),
    Setting(
        "no_infer",
        False,
        "Employers from the maps alone: infer none from the range's own mail.",
        option="--no-infer",
    ),
    Setting(
        "bots",
        (),
        "Extra bot patterns: senders whose address contains one are bots, kept out of the contributor tables and listed on the `Bots` line.",
        option="--bot",
    ),
    Setting(
        "waiting_days",
        14,
        "'Waiting for review' looks back this many days from the range's end.",
        "--waiting-days",
        (1, 3650),
    ),
    Setting("hot", 10, "Rows in 'Hot threads'.", "--hot", (0, 1000)),
    Setting(
        "trees",
        (),
        "Local git trees (PATH or PATH:REF: a maintainer tree, linux-next, mainline) the series are looked for in: 'Landed in this period', 'landed in TREE as SHA'.",
        option="--tree",
    ),
    Setting(
        "landed_days",
        14,
        "A series applied this many days ago and found in no --tree is listed as 'applied but not in TREE'.",
        "--landed-days",
        (1, 3650),
    ),
    Setting(
        "paths",
        (),
        "Only the series touching these paths (git pathspec-like globs; a directory is everything under it).",
        option="--path",
    ),
    Setting(
        "maintainers",
        None,
        "A kernel MAINTAINERS file; with `sections`, only the series touching their files.",
        option="--maintainers",
        file_note="Relative paths are relative to the configuration file.",
    ),
    Setting(
        "sections",
        (),
        "MAINTAINERS section names as the file writes them (`config check` looks them up).",
        option="--section",
    ),
)


#: the keys of a ``[digests.NAME]`` table besides a list's delivery keys (every list key but
#: ``archive``): several lists in one digest
DIGEST_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "archives",
        (),
        "The lists the digest covers: keys of [lists.NAME] tables, or archive paths or http(s) URLs as a list's `archive` takes them. A message cross-posted to several is one message. Required.",
    ),
    Setting(
        "paths",
        (),
        "Only the series touching these paths, on whichever list (git pathspec-like globs; a directory is everything under it).",
        option="--path",
    ),
    # a digest's MAINTAINERS filter is a list's: the same settings
    *(s for s in LIST_SETTINGS if s.name in ("maintainers", "sections")),
)


def setting(name: str, table: tuple[Setting, ...] = LIST_SETTINGS) -> Setting:
    """The setting called ``name`` (a list key by default)."""
    for s in table:
        if s.name == name:
            return s
    raise KeyError(name)


def default(name: str, table: tuple[Setting, ...] = LIST_SETTINGS) -> Any:
    """The default of a key, as the table gives it (the one place defaults are written)."""
    return setting(name, table).default
