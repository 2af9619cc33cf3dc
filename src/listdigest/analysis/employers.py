"""Who is behind an address: identities (git ``.mailmap``, gitdm ``aliases``) and employers
(gitdm ``domain-map`` / EmailMap files, with dated employment history).

Owns reading those files (compatibly with gitdm and git) and answering, for one address at
one date, "which person is this, and whom did they work for".  Everything is loaded once
into frozen dataclasses (``Affiliations``) and passed down; counting is ``digest``'s job.

Rules (documented in README):
- employer map lines: ``[user@]domain Employer [< YYYY-MM-DD]``; a dated line means "Employer
  until that day (excluded)", the undated line is the current employer.  Several lines for
  one key form its history.  A later file's lines for a key replace an earlier file's.
- the most specific entry wins: the full address, then the longest matching domain suffix
  (``linux.intel.com`` uses ``intel.com`` when it has no entry of its own).  gitdm tries the
  shortest suffix first; we prefer the closer one, so a subdomain can be mapped apart.
- the posting's own address is tried first, then its canonical address (after mailmap and
  aliases): an address entry beats any domain entry, and a domain mapped to ``(Unknown)``
  (personal and neutral domains) gives way to the other address's domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable

from ..mapfiles import (
    DEFAULT_MAP,
    Affiliation,
    MailmapEntry,
    Origin,
    _read,
    parse_aliases,
    parse_employer_map,
    parse_mailmap,
)

__all__ = [
    "DEFAULT_MAP",
    "UNKNOWN",
    "Affiliation",
    "Affiliations",
    "MailmapEntry",
    "Origin",
    "parse_aliases",
    "parse_employer_map",
    "parse_mailmap",
]

UNKNOWN = "(Unknown)"


@dataclass(frozen=True)
class EmployerMap:
    """Address or domain (lower case) -> its history, ordered by end date (undated last)."""

    entries: dict[str, tuple[Affiliation, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def history(self, key: str) -> tuple[Affiliation, ...]:
        return self.entries.get(key.lower(), ())


@dataclass(frozen=True)
class IdentityMap:
    """``.mailmap`` entries keyed by (commit email, commit name or None), and gitdm aliases."""

    mailmap: dict[tuple[str, str | None], MailmapEntry] = field(default_factory=dict)
    aliases: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    """The canonical person behind an address, and the rules that made them so."""

    name: str
    addr: str
    via: tuple[Origin, ...] = ()


@dataclass(frozen=True)
class Match:
    """Which key of the employer map decided, and with which line."""

    employer: str
    key: str | None
    origin: Origin | None
    history: tuple[Affiliation, ...] = ()


@dataclass(frozen=True)
class Affiliations:
    """Everything the maps say; built once by ``load_affiliations`` and passed down."""

    employers: EmployerMap = field(default_factory=EmployerMap)
    identities: IdentityMap = field(default_factory=IdentityMap)

    def identity(self, name: str, addr: str) -> Identity:
        return resolve_identity(self.identities, name, addr)

    def employer(self, name: str, addr: str, when: int | None) -> Match:
        ident = self.identity(name, addr)
        return lookup_employer(self.employers, (addr, ident.addr), when)

    def person_addresses(self) -> Callable[[str, str], frozenset[str]]:
        """A function giving, for (name, address), the other addresses (lower case) the
        mailmap and aliases give the same person; the grouping is made once, here."""
        imap = self.identities
        keys = {k for k, _ in imap.mailmap} | set(imap.aliases)
        keys |= {a for a, _ in imap.aliases.values()} | {
            e.proper_email for e in imap.mailmap.values() if e.proper_email
        }
        groups: dict[str, set] = {}
        for k in keys:
            groups.setdefault(resolve_identity(imap, "", k).addr.lower(), set()).add(k.lower())

        def others(name: str, addr: str) -> frozenset[str]:
            canon = self.identity(name, addr).addr.lower()
            return frozenset(groups.get(canon, set()) | {canon}) - {addr.lower()}

        return others


# --- employer maps -------------------------------------------------------------------------


def merge_employer_maps(
    maps: Sequence[tuple[str, dict[str, tuple[Affiliation, ...]]]],
) -> EmployerMap:
    """Later files override earlier ones, key by key (a key's whole history is replaced)."""
    entries: dict[str, tuple[Affiliation, ...]] = {}
    for _, m in maps:
        entries.update(m)
    return EmployerMap(entries, tuple(p for p, _ in maps))


def _candidates(addr: str) -> list[str]:
    """Keys to try for one address, most specific first: the address, then domain suffixes."""
    addr = addr.strip().lower()
    out = []
    _local, at, dom = addr.rpartition("@")
    if at:
        out.append(addr)
    else:
        dom = addr
    labels = [x for x in dom.split(".") if x]
    for i in range(len(labels)):
        out.append(".".join(labels[i:]))
    return out


def lookup_employer(emap: EmployerMap, addrs: Sequence[str], when: int | None) -> Match:
    """The employer for a posting from ``addrs[0]`` (then its canonical ``addrs[1:]``) at ``when``."""
    seen: list[str] = []
    for a in addrs:
        if a and a.lower() not in seen:
            seen.append(a.lower())
    # an entry for the full address is final, even when it says (Unknown)
    for a in seen:
        if "@" in a:
            m = _at(emap, a, when)
            if m is not None:
                return m
    fallback: Match | None = None
    for a in seen:
        for key in _candidates(a)[1 if "@" in a else 0 :]:
            m = _at(emap, key, when)
            if m is None:
                continue
            if m.employer != UNKNOWN:
                return m
            if fallback is None:
                fallback = m
            break  # the closest domain entry decided for this address
    return fallback or Match(UNKNOWN, None, None)


def employer_counter(emap: EmployerMap) -> Callable[[Sequence[str], int | None], str]:
    """``lookup_employer(emap, addrs, when).employer``, remembered per address pair when no
    map key those addresses could hit has a dated history (the answer cannot depend on the
    date then): a digest asks once per posting, about a few hundred people."""
    memo: dict[tuple[str, ...], str] = {}

    def undated(addrs: Sequence[str]) -> bool:
        for a in addrs:
            for key in _candidates(a) if a else ():
                hist = emap.entries.get(key)
                if hist and (len(hist) > 1 or hist[0].until is not None):
                    return False
        return True

    def employer(addrs: Sequence[str], when: int | None) -> str:
        key = tuple(addrs)
        got = memo.get(key)
        if got is None:
            got = lookup_employer(emap, addrs, when).employer
            if undated(addrs):
                memo[key] = got
        return got

    return employer


def _at(emap: EmployerMap, key: str, when: int | None) -> Match | None:
    hist = emap.entries.get(key)
    if not hist:
        return None
    for a in hist:
        if a.covers(when):
            return Match(a.employer, key, a.origin, hist)
    return None


# --- identities ----------------------------------------------------------------------------


def resolve_identity(imap: IdentityMap, name: str, addr: str) -> Identity:
    """Mailmap first (as ``git log`` applies it), then aliases (as gitdm applies them)."""
    via: list[Origin] = []
    e = imap.mailmap.get((addr.lower(), name.lower() if name else None)) or imap.mailmap.get(
        (addr.lower(), None)
    )
    if e is not None:
        name = e.proper_name or name
        addr = e.proper_email or addr
        via.append(e.origin)
    al = imap.aliases.get(addr.lower())
    if al is not None:
        addr = al[0]
        via.append(al[1])
        e = imap.mailmap.get((addr.lower(), name.lower() if name else None)) or imap.mailmap.get(
            (addr.lower(), None)
        )
        if e is not None and e.proper_name:
            name = e.proper_name
            via.append(e.origin)
    return Identity(name, addr, tuple(via))


# --- loading -------------------------------------------------------------------------------


def load_affiliations(
    employer_maps: Sequence[str] = (),
    mailmaps: Sequence[str] = (),
    aliases: Sequence[str] = (),
    *,
    default_map: bool = True,
) -> Affiliations:
    """Read the files once (the shipped map first unless ``default_map`` is false)."""
    paths = ([DEFAULT_MAP] if default_map else []) + list(employer_maps)
    emaps = [(p, parse_employer_map(_read(p, "employer map"), p)) for p in paths]
    mm: dict[tuple[str, str | None], MailmapEntry] = {}
    for p in mailmaps:
        mm.update(parse_mailmap(_read(p, "mailmap"), p))
    al: dict[str, tuple[str, Origin]] = {}
    for p in aliases:
        al.update(parse_aliases(_read(p, "aliases file"), p))
    return Affiliations(
        merge_employer_maps(emaps), IdentityMap(mm, al, tuple(mailmaps) + tuple(aliases))
    )


# --- explaining one address (``listdigest who``) ----------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """What the maps say about one address at one date, with the lines that say it."""

    name: str
    addr: str
    when: int | None
    identity: Identity
    match: Match
    #: every employer map entry that could apply, most specific first: (key, history)
    candidates: tuple[tuple[str, tuple[Affiliation, ...]], ...]


def describe(aff: Affiliations, name: str, addr: str, when: int | None) -> Explanation:
    ident = aff.identity(name, addr)
    match = lookup_employer(aff.employers, (addr, ident.addr), when)
    keys: list[str] = []
    for a in (addr, ident.addr):
        for k in _candidates(a):
            if k not in keys and aff.employers.history(k):
                keys.append(k)
    return Explanation(
        name, addr, when, ident, match, tuple((k, aff.employers.history(k)) for k in keys)
    )
