"""Golden files: one small, fixed archive rendered by every renderer and compared byte for
byte with ``tests/report/golden/``.  The input is a plain-git v2 epoch (``daily_helpers.Epoch``:
fixed commit names and dates, so fixed commit ids) indexed into a temporary index; nothing
in the output depends on the time of the run.

``LISTDIGEST_UPDATE_GOLDEN=1`` rewrites the files instead of comparing (then read the diff
with ``git diff tests/report/golden``); a mismatch fails with a unified diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from daily_helpers import T0, Epoch, mail

from listdigest.pipeline import RangeSpec, report
from listdigest.report import EXTENSIONS, ReportOptions, formats, render

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("LISTDIGEST_UPDATE_GOLDEN") == "1"
BASE = "https://lore.kernel.org/golden/"
ADA = "Ada Lovelace <ada@example.com>"
BOB = "Bob Reviewer <bob@corp.example>"
MAX = "Max Maintainer <max@kernel.org>"
TITLE = "mm: speed up the page allocator on machines with very many memory nodes"
COVER = (
    "The allocator walks every node on each allocation; this series stops that.\n\n"
    "{changes}"
    "Ada Lovelace (2):\n  mm: one\n  mm: two\n\n"
    " mm/page_alloc.c                                | 12 ++++++------\n"
    " include/linux/very/long/path/to/a/header/file.h |  2 +-\n"
    " 2 files changed, 7 insertions(+), 7 deletions(-)\n"
)


DIFF = (
    "Make it better.\n\nSigned-off-by: Ada Lovelace <ada@example.com>\n---\n"
    " mm/page_alloc.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
    "diff --git a/mm/page_alloc.c b/mm/page_alloc.c\n--- a/mm/page_alloc.c\n"
    "+++ b/mm/page_alloc.c\n@@ -1 +1 @@\n-a\n+b\n"
)


def patch(n: int, subject: str, frm: str = ADA, irt: str | None = None) -> bytes:
    return mail(n, subject, frm, DIFF, irt=irt)


def _archive(root: Path) -> str:
    """v1 of a series before the range; in it v2 (reviewed, applied), a hostile one-patch
    series a bot answers, and a lone patch nobody answered."""
    ep = Epoch(str(root / "inbox"))
    ep.add(mail(1, f"[PATCH 0/2] {TITLE}", ADA, COVER.format(changes="")))
    ep.add(patch(2, "[PATCH 1/2] mm: one", irt="m1@example.org"))
    ep.add(patch(3, "[PATCH 2/2] mm: two", irt="m1@example.org"))
    changes = f"Changes in v2:\n- fewer locks\n\nv1: {BASE}m1@example.org/\n\n"
    ep.add(mail(10, f"[PATCH v2 0/2] {TITLE}", ADA, COVER.format(changes=changes)))
    ep.add(patch(11, "[PATCH v2 1/2] mm: one", irt="m10@example.org"))
    ep.add(patch(12, "[PATCH v2 2/2] mm: two", irt="m10@example.org"))
    ep.add(
        mail(
            13,
            "Re: [PATCH v2 1/2] mm: one",
            BOB,
            "Looks right.\n\nReviewed-by: Bob Reviewer <bob@corp.example>\n",
            irt="m11@example.org",
        )
    )
    ep.add(
        mail(
            14,
            f"Re: [PATCH v2 0/2] {TITLE}",
            MAX,
            "Applied to mm-next, thanks!\n\n[1/2] mm: one\n      commit: 0123456789ab\n"
            "[2/2] mm: two\n      commit: 123456789abc\n",
            irt="m10@example.org",
        )
    )
    ep.add(
        patch(
            20,
            "[PATCH] x86: <script>alert(1)</script> & [brackets] *stars* `tick`",
            '"Eve <img src=x>" <eve@evil.example>',
        )
    )
    ep.add(
        mail(
            21,
            "Re: [PATCH] x86: <script>alert(1)</script> & [brackets] *stars* `tick`",
            "kernel test robot <lkp@intel.com>",
            "Hi Eve,\n\nkernel test robot noticed build errors.\n",
            irt="m20@example.org",
        )
    )
    ep.add(patch(30, "[PATCH] lib: a lone fix nobody has answered yet"))
    return ep.inbox


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    root = tmp_path_factory.mktemp("golden")
    return report(
        _archive(root),
        RangeSpec(since=T0 + 10 * 3600, until=T0 + 40 * 3600),
        list_name="golden",
        index_path=str(root / "index.sqlite"),
    )


def _compare(name: str, got: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(got)
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; LISTDIGEST_UPDATE_GOLDEN=1 writes it")
    with open(path, encoding="utf-8", newline="") as f:
        want = f.read()
    if got != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True),
                got.splitlines(keepends=True),
                f"golden/{name}",
                "rendered",
            )
        )
        pytest.fail(
            f"{name} differs from its golden file (LISTDIGEST_UPDATE_GOLDEN=1 rewrites it):\n"
            + diff,
            pytrace=False,
        )


def test_the_fixture_holds_what_the_golden_files_should_show(digest):
    h = digest.history
    assert h is not None and h.indexed
    labels = {s.title: s.label for s in digest.series}
    assert labels[TITLE].startswith("v2 (revises v1 of ")
    assert [t.name for r in h.reviews for t in r.trailers] == ["Reviewed-by"]
    assert [a.tree for a in h.applied] == ["mm-next"]
    assert [b.label for b in h.bots] == ["kernel test robot"]
    assert [w.subject for w in h.waiting][-1] == "[PATCH] lib: a lone fix nobody has answered yet"
    assert [(s.received, s.expected) for s in digest.series] == [(3, 3), (1, 1), (1, 1)]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json", "atom"])
def test_renderer_matches_its_golden_file(digest, fmt):
    assert fmt in formats()
    got = render(digest, fmt, ReportOptions(link_base=BASE))
    # the same digest renders the same bytes twice (no clock, no dict order, no randomness)
    assert render(digest, fmt, ReportOptions(link_base=BASE)) == got
    _compare(f"digest.{EXTENSIONS[fmt]}", got)


def test_atom_with_feed_and_page_urls_matches_its_golden_file(digest):
    options = ReportOptions(
        link_base=BASE,
        feed_url="https://digests.example.org/golden/feed.atom",
        page_url="https://digests.example.org/golden/",
    )
    _compare("digest-urls.atom", render(digest, "atom", options))


def test_golden_files_are_all_used():
    """A renamed or dropped renderer leaves no stale golden file behind."""
    names = {f"digest.{EXTENSIONS[f]}" for f in formats()} | {"digest-urls.atom"}
    if UPDATE:
        return
    assert {p.name for p in GOLDEN.iterdir()} == names
