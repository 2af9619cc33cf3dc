"""Touched paths read from a patch's diff headers, else its diffstat (message.paths)."""

from __future__ import annotations

import pytest

from listdigest.message import parse_message
from listdigest.message.body import patch_parts, split_body
from listdigest.message.paths import diff_paths, diffstat_paths, resolve, touched_paths
from listdigest.sources import RawMessage

GIT_DIFF = """\
diff --git a/drivers/hv/vmbus_drv.c b/drivers/hv/vmbus_drv.c
index 1111111..2222222 100644
--- a/drivers/hv/vmbus_drv.c
+++ b/drivers/hv/vmbus_drv.c
@@ -1,3 +1,3 @@
--- a/not/a/header.c
+++ b/still/not/one.c
-old
+new
diff --git a/drivers/hv/old_name.c b/drivers/hv/new_name.c
similarity index 95%
rename from drivers/hv/old_name.c
rename to drivers/hv/new_name.c
diff --git a/include/linux/new.h b/include/linux/new.h
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/include/linux/new.h
@@ -0,0 +1 @@
+x
diff --git a/tools/hv/gone.sh b/tools/hv/gone.sh
deleted file mode 100755
index 4444444..0000000
--- a/tools/hv/gone.sh
+++ /dev/null
@@ -1 +0,0 @@
-y
diff --git a/a file.c b/a file.c
index 5..6 100644
diff --git "a/caf\\303\\251.c" "b/caf\\303\\251.c"
index 7..8 100644
"""


def test_git_diff_headers():
    assert diff_paths(GIT_DIFF) == (
        "a file.c",
        "café.c",
        "drivers/hv/new_name.c",
        "drivers/hv/old_name.c",
        "drivers/hv/vmbus_drv.c",
        "include/linux/new.h",
        "tools/hv/gone.sh",
    )


def test_gnu_and_svn_diffs():
    gnu = "--- linux-6.1.orig/drivers/spi/spi.c\t2024-01-01\n+++ linux-6.1/drivers/spi/spi.c\t2024\n@@ -1 +1 @@\n"
    assert diff_paths(gnu) == ("drivers/spi/spi.c",)
    svn = "Index: drivers/spi/spi.c\n===================\n"
    assert diff_paths(svn) == ("drivers/spi/spi.c",)


def test_diffstat_names():
    stat = (
        " arch/{x86 => arm64}/hyperv/hv_init.c   | 2 +-\n"
        " .../net/ethernet/microsoft/mana/gdma_main.c | 3 ++\n"
        " old.c => new.c                         | 0\n"
        " Documentation/{ => virt}/hyperv.rst    | 1 +\n"
        " logo.png                               | Bin 0 -> 12 bytes\n"
        " 5 files changed, 4 insertions(+), 1 deletion(-)"
    )
    assert diffstat_paths(stat) == (
        ".../net/ethernet/microsoft/mana/gdma_main.c",
        "Documentation/hyperv.rst",
        "Documentation/virt/hyperv.rst",
        "arch/arm64/hyperv/hv_init.c",
        "arch/x86/hyperv/hv_init.c",
        "logo.png",
        "new.c",
        "old.c",
    )


def test_shortened_names_resolve_against_known_paths():
    known = ("drivers/net/ethernet/microsoft/mana/gdma_main.c", "drivers/hv/hv.c")
    assert resolve(".../microsoft/mana/gdma_main.c", known) == (known[0],)
    assert resolve(".../nowhere.c", known) == ()
    assert resolve("drivers/hv/hv.c", ()) == ("drivers/hv/hv.c",)


COVER = """\
This series does things.

Jane Doe (2):
  hv: one
  hv: two

 drivers/hv/channel.c | 4 ++--
 include/linux/hyperv.h | 2 ++
 2 files changed, 4 insertions(+), 2 deletions(-)

base-commit: 0123456789abcdef
--
2.43.0
"""


def test_cover_letter_falls_back_to_its_diffstat():
    assert touched_paths(COVER) == ("drivers/hv/channel.c", "include/linux/hyperv.h")


def test_a_diff_wins_over_the_diffstat():
    body = "msg\n---\n drivers/hv/x.c | 1 +\n 1 file changed, 1 insertion(+)\n\n" + GIT_DIFF
    assert "drivers/hv/x.c" not in touched_paths(body)
    assert "drivers/hv/vmbus_drv.c" in touched_paths(body)


@pytest.mark.parametrize(
    "body",
    [
        COVER,
        "msg\n---\n a | 1 +\n 1 file changed, 1 insertion(+)\n\n" + GIT_DIFF + "-- \n2.4\n",
        "no diff",
    ],
    ids=["cover", "patch", "plain"],
)
def test_patch_parts_cuts_as_split_body(body):
    parts = split_body(body)
    assert patch_parts(body) == (parts.diffstat, parts.diff)


def _raw(text: str) -> RawMessage:
    return RawMessage(text.encode(), "c" * 40, 0, 0, 0, "test")


def test_parse_message_keeps_paths_of_patch_postings_only():
    head = "From: A <a@example.org>\nMessage-ID: <{}@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
    raw = _raw(head.format(1) + "Subject: [PATCH] hv: x\n\nfix\n---\n" + GIT_DIFF)
    patch = parse_message(raw, paths=True)
    assert "drivers/hv/vmbus_drv.c" in patch.paths
    # read only when asked (the index and a filtered digest ask)
    assert parse_message(raw).paths == ()
    reply = parse_message(
        _raw(head.format(2) + "Subject: Re: [PATCH] hv: x\nIn-Reply-To: <1@x>\n\n> diff\n"),
        paths=True,
    )
    assert reply.paths == ()
