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
- a per-developer affiliation file (gitdm data sets: ``Name: email, email`` then indented
  ``Company [until YYYY-MM-DD]``) given as an employer map gives each address an entry of
  its own and makes the developer's addresses one person (like aliases to the first).
- last, and only for an address the maps leave (Unknown) without an entry of its own, what
  the archive suggests (``infer_affiliations``: the same display name writing from a company
  address in the same months, or a company sender carrying its in-body From), shown as
  inferred by ``describe``.  Any map, mailmap or alias line overrides it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..mapfiles import (
    DEFAULT_MAP,
    Affiliation,
    Developer,
    MailmapEntry,
    Origin,
    _read,
    developers_aliases,
    developers_employer_map,
    is_developers_file,
    parse_aliases,
    parse_developers,
    parse_employer_map,
    parse_mailmap,
)
from .people import format_address

__all__ = [
    "DEFAULT_MAP",
    "UNKNOWN",
    "Affiliation",
    "Affiliations",
    "Developer",
    "Inferred",
    "InferredMap",
    "MailmapEntry",
    "Origin",
    "UnknownShare",
    "developers_aliases",
    "developers_employer_map",
    "infer_affiliations",
    "inferred_as_map",
    "name_key",
    "parse_aliases",
    "parse_developers",
    "parse_employer_map",
    "parse_mailmap",
    "unknown_share",
]

UNKNOWN = "(Unknown)"


@dataclass(frozen=True)
class Inferred:
    """An employer the archive suggests for an address over a span of time (``start``
    included, ``end`` excluded, unix seconds), and why."""

    employer: str
    start: int
    end: int
    evidence: str

    @property
    def origin(self) -> Origin:
        return Origin("archive", 0, self.evidence)


@dataclass(frozen=True)
class InferredMap:
    """Address (lower case) -> its inferred spans, oldest first (``infer_affiliations``)."""

    entries: dict[str, tuple[Inferred, ...]] = field(default_factory=dict)

    def at(self, addr: str, when: int | None) -> Inferred | None:
        if when is None:  # an undated posting has no month to match
            return None
        for e in self.entries.get(addr.lower(), ()):
            if e.start <= when < e.end:
                return e
        return None


@dataclass(frozen=True)
class EmployerMap:
    """Address or domain (lower case) -> its history, ordered by end date (undated last).

    ``inferred`` holds what the archive suggests; it is asked only when every explicit rule
    leaves an address (Unknown) without an entry of its own, so a map or mailmap line wins."""

    entries: dict[str, tuple[Affiliation, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    inferred: InferredMap = field(default_factory=InferredMap)

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
    for a in seen if emap.inferred.entries else ():
        inf = emap.inferred.at(a, when)
        if inf is not None:
            return Match(inf.employer, a, inf.origin)
    return fallback or Match(UNKNOWN, None, None)


def employer_counter(emap: EmployerMap) -> Callable[[Sequence[str], int | None], str]:
    """``lookup_employer(emap, addrs, when).employer``, remembered per address pair when no
    map key those addresses could hit has a dated history (the answer cannot depend on the
    date then): a digest asks once per posting, about a few hundred people."""
    memo: dict[tuple[str, ...], str] = {}

    def undated(addrs: Sequence[str]) -> bool:
        for a in addrs:
            if a and a.lower() in emap.inferred.entries:
                return False
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
    emaps = []
    # a per-developer affiliation file given as an employer map also says which addresses
    # are one person: those groups come before the aliases files, which win
    al: dict[str, tuple[str, Origin]] = {}
    for p in paths:
        text = _read(p, "employer map")
        if is_developers_file(text):
            devs = parse_developers(text, p)
            emaps.append((p, developers_employer_map(devs)))
            al.update(developers_aliases(devs))
        else:
            emaps.append((p, parse_employer_map(text, p)))
    mm: dict[tuple[str, str | None], MailmapEntry] = {}
    for p in mailmaps:
        mm.update(parse_mailmap(_read(p, "mailmap"), p))
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


# --- how much is unmapped --------------------------------------------------------------------


class Posted(Protocol):
    """What the share and the inference read of a message (``message.Message`` has it all;
    an index row can too)."""

    @property
    def author_name(self) -> str: ...
    @property
    def author_addr(self) -> str: ...
    @property
    def from_name(self) -> str: ...
    @property
    def from_addr(self) -> str: ...
    @property
    def date(self) -> int | None: ...
    @property
    def received(self) -> int | None: ...


def _when(m: Posted) -> int | None:
    """A posting's date as the employer table takes it: Date:, else the receive time."""
    return m.date if m.date is not None else m.received


@dataclass(frozen=True)
class UnknownShare:
    """How many postings map to (Unknown), and the addresses and domains behind them."""

    postings: int
    unknown: int
    #: the unmapped author addresses (lower case) with their postings, most first
    addresses: tuple[tuple[str, int], ...]
    #: the same by domain
    domains: tuple[tuple[str, int], ...]

    @property
    def share(self) -> float:
        return self.unknown / self.postings if self.postings else 0.0


def unknown_share(postings: Iterable[Posted], aff: Affiliations, top: int = 20) -> UnknownShare:
    """The (Unknown) share of ``postings`` (patch postings, bots already left out), counted
    as the employer table counts them: by the in-body author, at the posting's date."""
    total = 0
    addrs: Counter = Counter()
    for m in postings:
        total += 1
        if aff.employer(m.author_name, m.author_addr, _when(m)).employer == UNKNOWN:
            addrs[m.author_addr.lower()] += 1
    domains: Counter = Counter()
    for a, n in addrs.items():
        domains[a.rpartition("@")[2] or "(none)"] += n
    return UnknownShare(
        total,
        sum(addrs.values()),
        tuple(sorted(addrs.items(), key=lambda x: (-x[1], x[0]))[:top]),
        tuple(sorted(domains.items(), key=lambda x: (-x[1], x[0]))[:top]),
    )


# --- what the archive itself says --------------------------------------------------------------

# the words of a display name: letters and digits of any script, so "Doe, Jane" and "Jane Doe"
# come out the same once sorted; a parenthesised or bracketed tag ("(Microsoft)", "[C]")
# names no one and is dropped first
_NAME_TAG_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NAME_WORD_RE = re.compile(r"\w+")


@functools.lru_cache(maxsize=65536)
def name_key(name: str) -> str | None:
    """A display name as inference compares it (case, order, punctuation and tags ignored);
    None for a name too thin to tell two people apart (one word, or an address)."""
    if not name or "@" in name:
        return None
    words = _NAME_WORD_RE.findall(_NAME_TAG_RE.sub(" ", name).casefold())
    return " ".join(sorted(words)) if len(words) >= 2 else None


def _month(when: int) -> int:
    return _day_month(when // 86400)


@functools.lru_cache(maxsize=65536)
def _day_month(day: int) -> int:
    # one datetime per day seen, not per message (inference reads every message of a range)
    d = _dt.datetime.fromtimestamp(day * 86400, _dt.timezone.utc)
    return d.year * 12 + d.month - 1


def _month_start(month: int) -> int:
    return int(_dt.datetime(month // 12, month % 12 + 1, 1, tzinfo=_dt.timezone.utc).timestamp())


def _month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def infer_affiliations(
    messages: Iterable[Posted], aff: Affiliations, *, months: int = 1
) -> Affiliations:
    """``aff`` with the employers the archive suggests for addresses the maps leave (Unknown).

    Two rules, both by display name (``name_key``), month by month:
    - one name writes from an address the maps leave (Unknown) (gmail.com, kernel.org, a
      personal domain) and from a company address within ``months`` months of it: in those
      months the first address takes that company, when it is the only one the name shows;
    - a message sent from a company address carries an in-body From of the same name at
      another address (a patch written at a personal address, sent through work): that
      address takes the sender's company for the month, whatever else the name shows.
    Every message counts, replies too: people often answer from work.  An address with an
    entry of its own in a map (even (Unknown)) is never inferred, and a mailmap or alias
    that gives it a company address wins too (the maps are asked first, the inference last).
    ``messages`` are ``message.Message`` objects or any rows with the same fields.
    """
    explicit = dataclasses.replace(aff.employers, inferred=InferredMap())
    plain = dataclasses.replace(aff, employers=explicit)
    # name -> address -> month -> messages; the spelling of each address, for the evidence
    seen: dict[str, dict[str, Counter]] = {}
    spelled: dict[str, tuple[str, str]] = {}
    # (in-body address, month) -> the sender's address of the same name
    sent_by: dict[tuple[str, int], str] = {}
    whens: dict[tuple[str, int], int] = {}
    keys: dict[str, str | None] = {}

    def note(name: str, addr: str, when: int, mo: int, n: int) -> str | None:
        key = keys.get(name, "")
        if key == "":
            key = keys[name] = name_key(name)
        if key is None or not addr:
            return key
        low = addr.lower()
        per = seen.setdefault(key, {}).get(low)
        if per is None:
            per = seen[key][low] = Counter()
            spelled.setdefault(low, (name, addr))
        per[mo] += n
        whens.setdefault((low, mo), when)
        return key

    # a range has far fewer (author, sender, month) groups than messages (26,000 messages
    # of linux-hyperv are 4,800): the messages are counted by group, each group read once,
    # in the order of its first message, with that message's time
    groups: dict[tuple[str, str, str, str, int], list[int]] = {}
    months_of: dict[int, int] = {}
    for m in messages:
        when = m.date if m.date is not None else m.received  # _when, inlined
        if when is None:
            continue
        mo = months_of.get(when // 86400)
        if mo is None:
            mo = months_of[when // 86400] = _month(when)
        g = groups.get(k := (m.author_name, m.author_addr, m.from_name, m.from_addr, mo))
        if g is None:
            groups[k] = [when, 1]
        else:
            g[1] += 1
    for (a_name, a_addr, f_name, f_addr, mo), (when, n) in groups.items():
        author = note(a_name, a_addr, when, mo, n)
        if f_addr and f_addr.lower() != a_addr.lower():
            sender = note(f_name, f_addr, when, mo, n)
            if author is not None and author == sender:
                sent_by.setdefault((a_addr.lower(), mo), f_addr.lower())

    def explicit_at(addr: str, mo: int) -> Match:
        name, spelt = spelled[addr]
        return plain.employer(name, spelt, whens[(addr, mo)])

    # an address is one person's: the name it is written with most, in more than half of
    # its messages (a patch sent as "Colleague <me@home>" lends it no other name)
    names: defaultdict[str, Counter] = defaultdict(Counter)
    for key, addrs in seen.items():
        for addr, per in addrs.items():
            names[addr][key] = sum(per.values())
    owner = {}
    for addr, c in names.items():
        key, n = c.most_common(1)[0]
        if 2 * n > sum(c.values()):
            owner[addr] = key

    out: dict[str, tuple[Inferred, ...]] = {}
    for key, everyone in seen.items():
        addrs = {a: per for a, per in everyone.items() if owner.get(a) == key}
        if len(addrs) < 2:
            continue
        company: defaultdict[int, Counter] = defaultdict(Counter)  # month -> employer -> messages
        # (month, employer) -> company address -> messages
        best: defaultdict[tuple[int, str], Counter] = defaultdict(Counter)
        unknown: dict[str, list[int]] = {}
        for addr, per in addrs.items():
            for mo, n in per.items():
                got = explicit_at(addr, mo)
                if got.employer != UNKNOWN:
                    company[mo][got.employer] += n
                    best[(mo, got.employer)][addr] += n
                elif got.key is None or "@" not in got.key:
                    unknown.setdefault(addr, []).append(mo)
        if not company:
            continue
        for addr, mos in unknown.items():
            steps: list[tuple[int, str, str, bool]] = []  # month, employer, evidence address, sent
            for mo in sorted(mos):
                sender = sent_by.get((addr, mo))
                if sender is not None and sender in addrs:
                    got = explicit_at(sender, mo)
                    if got.employer != UNKNOWN:
                        steps.append((mo, got.employer, sender, True))
                        continue
                near: Counter = Counter()
                for d in range(-months, months + 1):
                    near.update(company.get(mo + d, {}))
                if len(near) != 1:  # none, or two companies: two people, or a move
                    continue
                (emp,) = near
                via: Counter = Counter()
                for d in range(-months, months + 1):
                    via.update(best.get((mo + d, emp), {}))
                steps.append((mo, emp, via.most_common(1)[0][0], False))
            if steps:
                out[addr] = _spans(steps, spelled)
    return dataclasses.replace(
        aff, employers=dataclasses.replace(explicit, inferred=InferredMap(out))
    )


def _spans(
    steps: list[tuple[int, str, str, bool]], spelled: dict[str, tuple[str, str]]
) -> tuple[Inferred, ...]:
    """Consecutive months of one employer joined into one span, with its evidence."""
    runs: list[list[tuple[int, str, str, bool]]] = []
    for step in steps:
        if runs and runs[-1][-1][1] == step[1] and runs[-1][-1][0] + 1 >= step[0] - 0:
            runs[-1].append(step)
        else:
            runs.append([step])
    out = []
    for run in runs:
        first, last = run[0][0], run[-1][0]
        via = Counter(s[2] for s in run).most_common(1)[0][0]
        how = (
            "sent postings written at this address"
            if any(s[3] and s[2] == via for s in run)
            else "the same name"
        )
        span = _month_label(first) + (f"..{_month_label(last)}" if last != first else "")
        out.append(
            Inferred(
                run[0][1],
                _month_start(first),
                _month_start(last + 1),
                f"inferred from {format_address(*spelled[via])} ({how}, {span})",
            )
        )
    return tuple(out)


def inferred_as_map(inferred: InferredMap, source: str) -> str:
    """The inferred employers as EmailMap lines, to review and keep as a map of one's own:
    per address, its employers in order (each but the last ends where the next begins),
    the evidence of each in a comment.  A map holds no start date: a kept line applies
    before and after the months the archive showed, as any map line does."""
    out = [
        f"# inferred from {source} by listdigest affiliations infer: review before use",
        "# (an address's spans show in the comments; a map line has no start date)",
    ]
    for addr in sorted(inferred.entries):
        runs: list[list[Inferred]] = []
        for e in inferred.entries[addr]:
            if runs and runs[-1][-1].employer == e.employer:
                runs[-1].append(e)
            else:
                runs.append([e])
        for i, run in enumerate(runs):
            end = runs[i + 1][0].start if i + 1 < len(runs) else None
            until = (
                f" < {_dt.datetime.fromtimestamp(end, _dt.timezone.utc):%Y-%m-%d}" if end else ""
            )
            more = f"; {len(run) - 1} more span(s)" if len(run) > 1 else ""
            out.append(f"{addr}  {run[0].employer}{until}  # {run[-1].evidence}{more}")
    return "\n".join(out) + "\n"
