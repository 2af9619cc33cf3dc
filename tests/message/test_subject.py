"""Subject parsing: every tricky case from docs/tricky-cases.md as a named test.

Each case lists only the fields it is about; the rest must keep their defaults
(see ``DEFAULTS``), so a case also asserts that nothing else was invented.
"""

from __future__ import annotations

import subprocess
import timeit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listdigest.message.subject import Subject, parse_subject

DEFAULTS = {
    "reply": False,
    "patch": False,
    "rfc": False,
    "resend": False,
    "pull": False,
    "version": 1,
    "revision": "1",
    "counter": None,
    "total": None,
    "prefixes": (),
}

# (id, subject, expected title, fields that differ from DEFAULTS)
CASES = [
    # --- versions and counters -----------------------------------------------------------
    (
        "cover-v5-00of21",
        "[PATCH v5 00/21] paravirt: cleanup and reorg",
        "paravirt: cleanup and reorg",
        {"patch": True, "version": 5, "revision": "5", "counter": 0, "total": 21},
    ),
    (
        "rfc-tree-v2",
        "[RFC PATCH net-next v2 3/5] x",
        "x",
        {
            "patch": True,
            "rfc": True,
            "version": 2,
            "revision": "2",
            "counter": 3,
            "total": 5,
            "prefixes": ("net-next",),
        },
    ),
    (
        "tree-after-version",
        "[PATCH v4 vfio 0/2] x",
        "x",
        {
            "patch": True,
            "version": 4,
            "revision": "4",
            "counter": 0,
            "total": 2,
            "prefixes": ("vfio",),
        },
    ),
    (
        "glued-patchv3",
        "[PATCHv3 04/10] x",
        "x",
        {"patch": True, "version": 3, "revision": "3", "counter": 4, "total": 10},
    ),
    ("lower-case-patch", "[patch] x", "x", {"patch": True}),
    ("mixed-case-patch-v2", "[Patch v2] x", "x", {"patch": True, "version": 2, "revision": "2"}),
    (
        "upper-case-V2",
        "[PATCH V2 1/2] x",
        "x",
        {"patch": True, "version": 2, "revision": "2", "counter": 1, "total": 2},
    ),
    (
        "glued-patchv-fraction",
        "[PATCHv5.1 3/4] x",
        "x",
        {"patch": True, "version": 5, "revision": "5.1", "counter": 3, "total": 4},
    ),
    (
        "glued-rfcv2",
        "[PATCH RFCv2 1/3] x",
        "x",
        {"patch": True, "rfc": True, "version": 2, "revision": "2", "counter": 1, "total": 3},
    ),
    (
        "alternative-version-v4A",
        "[PATCH v4A 2/3] x",
        "x",
        {"patch": True, "version": 4, "revision": "4A", "counter": 2, "total": 3},
    ),
    ("misspelt-PATHC", "[PATHC v2] x", "x", {"patch": True, "version": 2, "revision": "2"}),
    (
        "misspelt-PPATCH",
        "[PPATCH net v3] x",
        "x",
        {"patch": True, "version": 3, "revision": "3", "prefixes": ("net",)},
    ),
    ("leading-zero-version", "[PATCH v05] x", "x", {"patch": True, "version": 5, "revision": "5"}),
    # --- commas as separators (b4 loses version/counter on these) -------------------------
    (
        "comma-v6-19of24",
        "[PATCH v6,19/24] x",
        "x",
        {"patch": True, "version": 6, "revision": "6", "counter": 19, "total": 24},
    ),
    (
        "comma-net-v2-1of3",
        "[PATCH net,v2, 1/3] x",
        "x",
        {
            "patch": True,
            "version": 2,
            "revision": "2",
            "counter": 1,
            "total": 3,
            "prefixes": ("net",),
        },
    ),
    (
        "comma-net-next-v9-0of2",
        "[PATCH net-next,v9 0/2] x",
        "x",
        {
            "patch": True,
            "version": 9,
            "revision": "9",
            "counter": 0,
            "total": 2,
            "prefixes": ("net-next",),
        },
    ),
    (
        "comma-V2-tree-comma",
        "[PATCH V2,net-next, 3/4] x",
        "x",
        {
            "patch": True,
            "version": 2,
            "revision": "2",
            "counter": 3,
            "total": 4,
            "prefixes": ("net-next",),
        },
    ),
    ("comma-after-patch", "[PATCH, net-next] x", "x", {"patch": True, "prefixes": ("net-next",)}),
    # --- fractional ------------------------------------------------------------------------
    (
        "fractional-v5.1",
        "[PATCH v5.1 10/12] x",
        "x",
        {"patch": True, "version": 5, "revision": "5.1", "counter": 10, "total": 12},
    ),
    # --- counters ----------------------------------------------------------------------------
    ("counter-1-of-3", "[PATCH 1 of 3] x", "x", {"patch": True, "counter": 1, "total": 3}),
    ("counter-glued-patch1of8", "[PATCH1/8] x", "x", {"patch": True, "counter": 1, "total": 8}),
    ("counter-leading-zero", "[PATCH 01/17] x", "x", {"patch": True, "counter": 1, "total": 17}),
    ("counter-above-total", "[PATCH 6/5] x", "x", {"patch": True, "counter": 6, "total": 5}),
    ("counter-n-unknown-total", "[PATCH 3/n] x", "x", {"patch": True, "counter": 3, "total": None}),
    ("counter-spaced-slash", "[PATCH 2 / 7] x", "x", {"patch": True, "counter": 2, "total": 7}),
    (
        "counter-only-makes-patch",
        "[RFC v2 0/3] x",
        "x",
        {"patch": True, "rfc": True, "version": 2, "revision": "2", "counter": 0, "total": 3},
    ),
    ("counter-bare-group", "[3/5] x", "x", {"patch": True, "counter": 3, "total": 5}),
    # --- order and brackets -----------------------------------------------------------------
    (
        "order-counter-version-tree",
        "[PATCH 1/2 V3 net-next] x",
        "x",
        {
            "patch": True,
            "version": 3,
            "revision": "3",
            "counter": 1,
            "total": 2,
            "prefixes": ("net-next",),
        },
    ),
    ("split-rfc-patch", "[RFC][PATCH] x", "x", {"patch": True, "rfc": True}),
    (
        "split-rfc-space-patch",
        "[RFC] [PATCH 1/2] x",
        "x",
        {"patch": True, "rfc": True, "counter": 1, "total": 2},
    ),
    ("split-version-group", "[PATCH] [v2] x", "x", {"patch": True, "version": 2, "revision": "2"}),
    ("split-next-group", "[PATCH][next] x", "x", {"patch": True, "prefixes": ("next",)}),
    ("trailing-(v2)", "[PATCH] x (v2)", "x", {"patch": True, "version": 2, "revision": "2"}),
    ("trailing-[V3]", "[PATCH] x [V3]", "x", {"patch": True, "version": 3, "revision": "3"}),
    ("trailing-(RESEND)", "[PATCH] x (RESEND)", "x", {"patch": True, "resend": True}),
    (
        "trailing-version-loses-to-brackets",
        "[PATCH V3 00/11] refactor - fixes (V3)",
        "refactor - fixes",
        {"patch": True, "version": 3, "revision": "3", "counter": 0, "total": 11},
    ),
    (
        "trailing-parens-not-version",
        "[PATCH] hv: fix foo (again)",
        "hv: fix foo (again)",
        {"patch": True},
    ),
    (
        "resend-v2",
        "[PATCH RESEND v2 1/3] x",
        "x",
        {"patch": True, "resend": True, "version": 2, "revision": "2", "counter": 1, "total": 3},
    ),
    ("resend-before-patch", "[RESEND PATCH] x", "x", {"patch": True, "resend": True}),
    ("resend-after-patch", "[PATCH RESEND] x", "x", {"patch": True, "resend": True}),
    (
        "resend-mixed-case",
        "[Resend RFC PATCH V4 00/13] x",
        "x",
        {
            "patch": True,
            "resend": True,
            "rfc": True,
            "version": 4,
            "revision": "4",
            "counter": 0,
            "total": 13,
        },
    ),
    ("nested-brackets", "[was Re: [PATCH 1/2] x", "x", {"patch": True, "counter": 1, "total": 2}),
    ("unclosed-bracket", "[PATCH v2 x", "[PATCH v2 x", {}),
    ("empty-group", "[] x", "x", {}),
    (
        "brackets-inside-title-kept",
        "[PATCH] hv: fix [foo] bar",
        "hv: fix [foo] bar",
        {"patch": True},
    ),
    # --- numbers that are not versions ------------------------------------------------------
    (
        "autosel-6.1",
        "[PATCH AUTOSEL 6.1 3/5] x",
        "x",
        {"patch": True, "counter": 3, "total": 5, "prefixes": ("AUTOSEL", "6.1")},
    ),
    (
        "stable-5.10",
        "[PATCH 5.10 1/3] x",
        "x",
        {"patch": True, "counter": 1, "total": 3, "prefixes": ("5.10",)},
    ),
    ("stable-6.1.y", "[PATCH 6.1.y] x", "x", {"patch": True, "prefixes": ("6.1.y",)}),
    (
        "stable-review-000",
        "[PATCH 6.6 000/123] 6.6.10-rc1 review",
        "6.6.10-rc1 review",
        {"patch": True, "counter": 0, "total": 123, "prefixes": ("6.6",)},
    ),
    # --- tree before version -----------------------------------------------------------------
    (
        "tree-before-version-cover",
        "[PATCH net-next v3 00/10] x",
        "x",
        {
            "patch": True,
            "version": 3,
            "revision": "3",
            "counter": 0,
            "total": 10,
            "prefixes": ("net-next",),
        },
    ),
    (
        "counter-before-version",
        "[PATCH 0/3 v2] x",
        "x",
        {"patch": True, "version": 2, "revision": "2", "counter": 0, "total": 3},
    ),
    # --- tags before PATCH ---------------------------------------------------------------------
    (
        "tag-external-reply",
        "RE: [EXTERNAL] [PATCH] x",
        "x",
        {"reply": True, "patch": True, "prefixes": ("EXTERNAL",)},
    ),
    (
        "tag-list-name",
        "[Intel-wired-lan] [PATCH net] x",
        "x",
        {"patch": True, "prefixes": ("Intel-wired-lan", "net")},
    ),
    (
        "tag-then-reply-marker",
        "[EXTERNAL] Re: [PATCH v2] x",
        "x",
        {"reply": True, "patch": True, "version": 2, "revision": "2", "prefixes": ("EXTERNAL",)},
    ),
    (
        "tag-then-reply-no-patch",
        "[Xen-devel] Re: hv: fix foo",
        "hv: fix foo",
        {"reply": True, "prefixes": ("Xen-devel",)},
    ),
    ("bug-report", "[bug report] net: mana: foo", "net: mana: foo", {"prefixes": ("bug report",)}),
    (
        "tip-tag-kept-whole",
        "[tip: timers/core] x86/hyperv: foo",
        "x86/hyperv: foo",
        {"prefixes": ("tip: timers/core",)},
    ),
    # --- reply markers ---------------------------------------------------------------------------
    ("reply-Re", "Re: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-RE", "RE: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-Re-Re", "Re: Re: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-Re-RE", "Re: RE: x", "x", {"reply": True}),
    ("reply-Aw-Re", "Aw: Re: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-Antw", "Antw: x", "x", {"reply": True}),
    ("reply-chinese", "回复: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-chinese-fullwidth-colon", "回复：[PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-FW", "FW: x", "x", {"reply": True}),
    ("reply-Fwd", "Fwd: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-counted-Re[2]", "Re[2]: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-no-space", "Re:[PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-space-before-colon", "Re : x", "x", {"reply": True}),
    ("reply-foreign-before-bracket", "REP: [PATCH] x", "x", {"reply": True, "patch": True}),
    ("reply-after-patch-is-title", "[PATCH] Re: foo", "Re: foo", {"patch": True}),
    ("reply-after-rfc-is-title", "[RFC] Re: foo", "Re: foo", {"rfc": True}),
    ("subsystem-is-not-reply", "mm: fix the widget", "mm: fix the widget", {}),
    ("subsystem-after-reply", "Re: net: fix", "net: fix", {"reply": True}),
    ("reply-word-inside-title", "[PATCH] tr: fix", "tr: fix", {"patch": True}),
    # --- pulls ------------------------------------------------------------------------------------
    ("git-pull", "[GIT PULL] Hyper-V fixes for 6.19", "Hyper-V fixes for 6.19", {"pull": True}),
    ("pull", "[PULL] x", "x", {"pull": True}),
    ("git-pull-request", "[GIT PULL REQUEST] x", "x", {"pull": True}),
    ("reply-to-pull", "Re: [GIT PULL] x", "x", {"reply": True, "pull": True}),
    ("git-alone-is-prefix", "[PATCH git] x", "x", {"patch": True, "prefixes": ("git",)}),
    # --- no brackets, degenerate ------------------------------------------------------------------
    ("no-brackets", "hv_netvsc: fix foo", "hv_netvsc: fix foo", {}),
    ("empty", "", "", {}),
    ("only-reply", "Re:", "", {"reply": True}),
    ("only-brackets", "[PATCH v2]", "", {"patch": True, "version": 2, "revision": "2"}),
    ("whitespace-only", "   ", "", {}),
]


@pytest.mark.parametrize("subject,title,fields", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case(subject: str, title: str, fields: dict) -> None:
    got = parse_subject(subject)
    assert got.raw == subject
    assert got.title == title
    want = {**DEFAULTS, **fields}
    assert {k: getattr(got, k) for k in want} == want


def test_case_ids_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "subject,cover",
    [
        ("[PATCH v2 0/3] x", True),
        ("[PATCH v2 00/03] x", True),
        ("[PATCH v2 1/3] x", False),
        ("[PATCH v2] x", False),
    ],
    ids=["0of3", "00of03", "1of3", "no-counter"],
)
def test_is_cover(subject: str, cover: bool) -> None:
    assert parse_subject(subject).is_cover is cover


def test_versions_share_title() -> None:
    # The whole point of ``title``: v1, a resend, v2 (three spellings) and a reply all match.
    subjects = [
        "[PATCH 2/3] hv: fix foo",
        "[PATCH RESEND 2/3] hv: fix foo",
        "[PATCH v2 2/3] hv: fix foo",
        "[PATCHv2,2/3] hv: fix foo",
        "[PATCH] [v2] hv: fix foo",
        "Re: [PATCH v2 2/3] hv: fix foo",
    ]
    assert {parse_subject(s).title for s in subjects} == {"hv: fix foo"}


def test_frozen() -> None:
    s = parse_subject("[PATCH] x")
    with pytest.raises(AttributeError):
        s.title = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: " * 20000,
        "[" * 100000,
        "[" * 50000 + "]" * 50000,
        "[PATCH " + "v2 " * 30000 + "] x",
        "[PATCH " + "1/2 " * 30000 + "] x",
        "[] " * 30000,
        "x" * 200000 + " (v2",
        "[EXTERNAL] " * 20000 + "Re: x",
        "[EXTERNAL] Re: " * 20000 + "x",
        "Re: [EXTERNAL] " * 20000 + "x",
        "\x00\udcff\u202e[PATCH\x00v2]\ufeff",
    ],
    ids=[
        "many-re",
        "open-brackets",
        "deep-nesting",
        "many-versions",
        "many-counters",
        "many-empty-groups",
        "long-unclosed-trailer",
        "many-tags",
        "tag-reply-alternating",
        "reply-tag-alternating",
        "control-chars",
    ],
)
def test_garbage_is_fast_and_safe(subject: str) -> None:
    took = timeit.timeit(lambda: parse_subject(subject), number=1)
    assert isinstance(parse_subject(subject), Subject)
    assert took < 0.5


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("[]()/,:： vV0123456789nPATCHRrEeof回复\t.-"))
        | st.characters(),
        max_size=80,
    )
)
def test_never_raises(subject: str) -> None:
    got = parse_subject(subject)
    assert got.raw == subject
    major = got.revision.split(".")[0].rstrip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    assert got.version >= 0 and major == str(got.version)


@pytest.mark.real
def test_real_archive_subjects(hv_epoch) -> None:
    # commit subjects are the mail subjects public-inbox stored (folded ones as one line)
    out = subprocess.run(
        ["git", "--git-dir", hv_epoch, "log", "--format=%s"], capture_output=True, check=True
    )
    subjects = out.stdout.decode("utf-8", "replace").splitlines()
    parsed = [parse_subject(s) for s in subjects]
    patches = [p for p in parsed if p.patch and not p.reply]
    assert len(patches) > len(subjects) // 4
    # No version from a stable-tree number: real series stay well below v50.
    assert max(p.version for p in parsed) < 50
    # Every cover letter has a total.
    assert all(p.total is not None for p in parsed if p.is_cover)


def test_stable_release_with_v_is_no_version():
    # "[PATCH v5.10]" is a backport to 5.10, not the fifth revision (b4 comparison, linux-hyperv)
    p = parse_subject("[PATCH v5.10] hv: fix foo")
    assert (p.version, p.versioned, "v5.10" in p.prefixes) == (1, False, True)
    assert parse_subject("[PATCH v5.1 10/12] x").revision == "5.1"
