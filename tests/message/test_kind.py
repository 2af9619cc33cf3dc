"""What kind a message is (``message.classify``): one named test per pattern from
tricky-cases.md ("Seen on real lists") that makes a naive reader count a patch."""

from pi import msg

from listdigest.message import parse_message
from listdigest.sources import RawMessage

DIFF = "Fix.\n\nSigned-off-by: Ada <ada@example.com>\n---\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"


def kind(subject, body=DIFF, **kw):
    return parse_message(RawMessage(msg(subject, body=body, **kw))).kind


def test_kernel_test_robot_build_report_is_not_a_patch():
    assert (
        kind(
            "[tree:branch 2/2] drivers/spi/spi.c:12: warning: unused variable 'x'",
            from_="kernel test robot <lkp@intel.com>",
            body="tree: x\nhead: y\n",
        )
        == "other"
    )


def test_robot_patch_mail_is_not_a_patch_posting():
    assert (
        kind(
            "[PATCH] spi: fix platform_get_irq.cocci warnings",
            from_="kbuild test robot <lkp@intel.com>",
        )
        == "other"
    )


def test_syzbot_report_is_not_a_patch():
    assert (
        kind(
            "[syzbot] [hyperv?] KASAN: use-after-free in vmbus",
            from_="syzbot <syzbot+abc@syzkaller.appspotmail.com>",
            body="Hello,\n",
        )
        == "other"
    )


def test_static_checker_bug_report_quoting_a_hunk_is_not_a_patch():
    body = "Hello Ada,\n\nThe patch x leads to the following Smatch warning:\n\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-a\n+b\n"
    assert (
        kind(
            "[bug report] spi: fix foo", from_="Dan Carpenter <dan.carpenter@linaro.org>", body=body
        )
        == "other"
    )


def test_git_pull_with_merge_diff_is_not_a_patch():
    body = "The following changes since commit x:\n\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\ndiff --cc a.c\n"
    assert kind("[GIT PULL] spi fixes for v6.9", body=body) == "other"


def test_review_reply_without_re_is_a_reply():
    body = "> From: Ada <ada@example.com>\n> Date: Mon\n>\n> Fix.\n\nThis breaks the build.\n"
    assert (
        kind("[PATCH 1/2] spi: fix foo", body=body, in_reply_to="p1@x", references=["p1@x"])
        == "reply"
    )


def test_review_reply_without_re_starting_with_attribution_is_a_reply():
    body = "On Fri, 22 Mar 2024, Bob <bob@example.com>\nwrote:\n>\n> On 21/03/2024 Ada wrote:\n>> +  x\n\nDone.\n"
    assert kind("[PATCH v2] spi: convert to dtschema", body=body, in_reply_to="p1@x") == "reply"


def test_threaded_cover_letter_without_diff_stays_a_posting():
    assert (
        kind(
            "[PATCH v2 0/2] spi: series",
            body="This series does x.\n\nChanges in v2:\n- y\n",
            in_reply_to="v1@x",
        )
        == "patch"
    )


def test_tagless_root_with_diffstat_is_a_cover_letter():
    body = "Hi,\n\nthis cleans up.\n\n a.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"
    assert kind("cleanup swiotlb initialization v2", body=body) == "patch"


def test_tagless_root_without_diffstat_is_other():
    assert kind("question about spi timing", body="How do I ...?\n") == "other"


def test_static_checker_report_in_robot_form_is_not_a_patch():
    # smatch mailed by hand in the kernel test robot's subject form (kvm-ppc)
    assert (
        kind(
            "[agraf-2.6:kexec-cma 1/2] kernel/kexec_core.c:801 kimage_load() error: uninitialized symbol 'x'",
            from_="Dan Carpenter <dan.carpenter@oracle.com>",
            body="tree: x\n",
        )
        == "other"
    )


def test_notice_script_mail_quoting_the_patch_is_a_reply():
    body = (
        "The patch\n\n   spi: foo\n\nhas been applied to the spi tree at\n\n   https://git.kernel.org/x\n\nFrom: Ann <ann@example.com>\nSubject: [PATCH] spi: foo\n\n"
        + DIFF
    )
    assert (
        kind(
            'Applied "spi: foo" to the spi tree',
            body=body,
            from_="Mark Brown <broonie@kernel.org>",
            in_reply_to="p@x",
        )
        == "reply"
    )


def test_rfc2047_encoded_in_reply_to_is_decoded():
    # b4 late 2022 encoded its thank-you mails' In-Reply-To and References
    raw = msg(
        "Re: [PATCH] spi: foo",
        body="Applied, thanks!\n",
        headers=[
            ("In-Reply-To", "=?utf-8?q?=3C20221221-foo-v1-1-abc=40example=2Ecom=3E?="),
            ("References", "=?utf-8?q?=3C20221221-foo-v1-1-abc=40example=2Ecom=3E?="),
        ],
    )
    m = parse_message(RawMessage(raw))
    assert (m.in_reply_to, m.references) == (
        "20221221-foo-v1-1-abc@example.com",
        ("20221221-foo-v1-1-abc@example.com",),
    )


def test_malformed_mail_is_skipped_with_its_reason():
    from listdigest.message import read_messages

    ((_raw, m, reason),) = list(
        read_messages([RawMessage(b"\x00\x01 no header at all", commit="c" * 40)])
    )
    assert m is None and reason == "no headers"


def test_a_parser_bug_is_not_hidden_as_a_skipped_message(monkeypatch):
    """Issue 14, fault 5: a TypeError inside the parser used to become an 'unreadable
    message' line; only malformed input may be skipped, a bug must fail loudly."""
    import pytest

    import listdigest.message as message

    def broken(subject):
        raise TypeError("a bug")

    monkeypatch.setattr(message, "parse_subject", broken)
    with pytest.raises(TypeError, match="a bug"):
        list(message.read_messages([RawMessage(msg("[PATCH] x"))]))
