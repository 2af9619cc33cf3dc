"""``listdigest stats`` on the real archives (../shared/data), each definition held against an
independent count written here with the stdlib ``email`` package (not listdigest's parser).

The independent count reads every message of the epoch (headers; whole messages in the
range) and applies the definitions as README words them: a thread is its root (the first
References entry, else In-Reply-To followed up through the archive) and its replies; a
person (a patch's in-body ``From:`` line, else the header From, a relay's rewrite undone) is a
thread's author when they posted (as author or as sender) its root or a patch or pull
request in it; anyone else
writing in it reviews it; bots never count.  One release-sized range (about nine weeks)
per archive.  The parsers differ in corner cases (a patch tag the subject rule reads
otherwise, a reply whose client dropped "Re:"), so the per-person agreement is stated and
held above a bound, and the totals must agree closely.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import email.utils
import re
import subprocess
from collections import Counter, defaultdict

import pytest
from stdlib_ref import DIFF, REPLY, TAG, cat_file

from listdigest.analysis.employers import Affiliations
from listdigest.analysis.history import DEFAULT_BOTS
from listdigest.analysis.stats import compute_stats
from listdigest.sources import open_source
from listdigest.timeparse import parse_when

# one release cycle each (about nine weeks), where the list was busy
RANGES = {
    "kvmppc_epoch": ("2021-02-14", "2021-04-25"),
    "hv_epoch": ("2025-09-28", "2025-11-30"),
    "spi_epoch": ("2024-09-15", "2024-11-17"),
}
#: share of people whose four counts (messages and threads, as author and as reviewer)
#: both sides agree on exactly
MIN_AGREEMENT = 0.90

_MSGID = re.compile(r"<([^<>\s]+)>")


def _ids(value) -> list[str]:
    return _MSGID.findall(str(value or ""))


def _received(m) -> float | None:
    for r in m.get_all("Received") or []:
        try:
            return email.utils.parsedate_to_datetime(str(r).rsplit(";", 1)[1].strip()).timestamp()
        except (IndexError, ValueError, TypeError):
            continue
    try:
        return email.utils.parsedate_to_datetime(str(m["Date"])).timestamp()
    except (TypeError, ValueError):
        return None


def _sender(m) -> tuple[str, str]:
    name, addr = email.utils.parseaddr(str(m["From"] or ""))
    if " via " in name or addr.startswith("devnull+"):
        for h in ("X-Original-From", "Reply-To"):
            n2, a2 = email.utils.parseaddr(str(m[h] or ""))
            if a2 and "devnull" not in a2:
                return n2 or name.split(" via ")[0].strip(" '\""), a2
    return name, addr


def _bot(name: str, addr: str) -> bool:
    a, n = addr.lower(), name.lower()
    return any(p in a for p in DEFAULT_BOTS) or "kernel test robot" in n or n.endswith(" bot")


def independent(gitdir: str, since: int, until: int) -> dict:
    """Per person (address, lower case): [messages as author, as reviewer, threads as
    author, as reviewer], counted with the stdlib email package."""
    log = subprocess.run(
        ["git", "--git-dir", gitdir, "log", "--reverse", "--format=%H", "HEAD"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split()
    heads = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    first: dict[str, tuple] = {}  # msgid -> (name, addr, irt, refs) of the first stored mail
    in_range = []
    seen = set()
    for raw in cat_file(gitdir, log):
        h = heads.parsebytes(raw)
        mid = (_ids(h["Message-ID"]) or [""])[0]
        irt = (_ids(h["In-Reply-To"]) or [None])[0]
        refs = [r for r in _ids(" ".join(map(str, h.get_all("References") or []))) if r != mid]
        name, addr = _sender(h)
        first.setdefault(mid, (name, addr, irt if irt != mid else None, refs))
        when = _received(h)
        if when is None or not (since <= when <= until) or mid in seen:
            continue
        seen.add(mid)
        m = email.message_from_bytes(raw, policy=email.policy.default)
        part = m.get_body(("plain",))
        try:
            body = part.get_content() if part is not None else ""
        except (LookupError, ValueError):
            body = ""
        subject = " ".join(str(m["Subject"] or "").split())
        reply = bool(REPLY.match(subject))
        patch = not reply and bool(TAG.match(subject) or DIFF.search(body))
        sender = addr.lower()
        line = body.lstrip("\n").split("\n", 1)[0]
        if patch and line.startswith("From:") and "@" in line:
            # a patch sent on someone's behalf: the in-body From: line names its author (in
            # a reply, a From: line on top is an Outlook-style quote header)
            name, addr = email.utils.parseaddr(line[5:].strip())
        pull = not reply and "[GIT PULL" in subject.upper()
        in_range.append((mid, name, addr, sender, patch or pull))

    def root_of(mid: str) -> str:
        cur = mid
        for _ in range(100):
            got = first.get(cur)
            if got is None:
                return cur
            if got[3]:
                return got[3][0]
            if not got[2]:
                return cur
            cur = got[2]
        return cur

    authors: dict[str, set] = defaultdict(set)
    people = []
    in_body = {mid: addr.lower() for mid, _, addr, _, _ in in_range}
    for mid, name, addr, sender, patch in in_range:
        if _bot(name, addr) or _bot(*first[mid][:2]):
            continue
        root = root_of(mid)
        people.append((mid, addr.lower(), root))
        if patch:
            # its author and its sender are on the authoring side
            authors[root] |= {addr.lower(), sender}
    for root in {r for _, _, r in people}:
        if root in first:
            name, addr = first[root][:2]
            if not _bot(name, addr):
                authors[root] |= {addr.lower(), in_body.get(root, addr.lower())}
    out: dict[str, list] = defaultdict(lambda: [0, 0, set(), set()])
    for _mid, addr, root in people:
        role = 0 if addr in authors[root] else 1
        out[addr][role] += 1
        out[addr][2 + role].add(root)
    return {a: (v[0], v[1], len(v[2]), len(v[3])) for a, v in out.items()}


def ours(gitdir: str, index_path: str, since: int, until: int):
    from listdigest.pipeline import RangeSpec, collect, narrow, opened_index

    src = open_source(gitdir)
    with opened_index(src, index_path) as ix:
        got = collect(src, narrow(ix, RangeSpec(since=since, until=until)), index=ix)
        return compute_stats(
            got.messages,
            list_name="real",
            since=since,
            until=until,
            lookup=ix,
            archive=ix,
            affiliations=Affiliations(),
            top=10,
        )


def agreement(mine: dict, theirs: dict) -> float:
    keys = set(mine) | set(theirs)
    same = sum(1 for k in keys if mine.get(k) == theirs.get(k))
    return same / len(keys) if keys else 1.0


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize("fixture", sorted(RANGES))
def test_stats_agree_with_independent_count(fixture, request, real_index):
    gitdir = request.getfixturevalue(fixture)
    lo, hi = RANGES[fixture]
    since, until = parse_when(lo), parse_when(hi, end_of_day=True)
    st = ours(gitdir, real_index(fixture), since, until)
    mine = {
        t.key: (t.messages_author, t.messages_reviewer, t.threads_author, t.threads_reviewer)
        for t in st.people
    }
    theirs = independent(gitdir, since, until)
    rate = agreement(mine, theirs)
    msgs = sum(v[0] + v[1] for v in theirs.values())
    print(
        f"{fixture} {lo}..{hi}: {len(theirs)} people, {msgs} messages (ours {st.totals.messages}); "
        f"per-person agreement {rate:.1%}"
    )
    assert st.totals.messages > 150
    assert rate >= MIN_AGREEMENT
    # the totals: messages within 2 %, the author/reviewer split within 3 points
    assert abs(st.totals.messages - msgs) <= 0.02 * msgs
    share = sum(v[1] for v in theirs.values()) / msgs
    assert abs(st.totals.review_share - share) <= 0.03
    # the score is its formula over the counts
    for t in st.people:
        assert t.score == (
            2 * t.cs_reviewer
            + 8 * t.threads_reviewer
            + 2 * max(t.messages_reviewer - 1, 0)
            - 4 * t.messages_author
        )
    roles = Counter(("a" if v[0] else "") + ("r" if v[1] else "") for v in theirs.values())
    assert st.roles.only_author == pytest.approx(roles["a"], abs=max(3, 0.1 * roles["a"]))
    assert st.roles.only_reviewer == pytest.approx(roles["r"], abs=max(3, 0.1 * roles["r"]))
