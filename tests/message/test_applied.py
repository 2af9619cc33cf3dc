"""Applied notices: patchwork-bot, b4 thank-you mails, plain maintainer replies."""

import pytest

from listdigest.message.applied import parse_applied

PWBOT = """Hello:

This series was applied to riscv/linux.git (fixes)
by Borislav Petkov (AMD) <bp@alien8.de>:

On Mon,  5 Jan 2026 12:04:59 +0100 you wrote:
> Some cleanups
> [...]

Here is the summary with links:
  - [v5,05/21] paravirt: Remove asm/paravirt_api_clock.h
    https://git.kernel.org/riscv/c/68b10fd40d49
  - [v5,06/21] sched: Move clock related paravirt code to kernel/sched
    https://git.kernel.org/riscv/c/e6b2aa6d4004

You are awesome, thank you!
--
Deet-doot-dot, I am a bot.
"""

B4 = """On Mon, 01 Jan 2026 10:00:00 +0000, Ann Lee wrote:
> blah

Applied to kvm-x86 fixes, thanks!

[1/2] KVM: x86: fix one
      commit: 0123456789ab
[2/2] KVM: x86: fix two
      commit: abcdef012345

--
https://github.com/kvm-x86/linux/tree/next
"""


def test_patchwork_bot_series_applied():
    a = parse_applied(
        PWBOT, "Re: [PATCH v5 00/21] paravirt", "patchwork-bot+linux-riscv@kernel.org", True
    )
    assert (a.source, a.tree, a.branch, a.by) == (
        "pwbot",
        "riscv/linux.git",
        "fixes",
        "Borislav Petkov (AMD) <bp@alien8.de>",
    )
    assert [(i.label, i.commit) for i in a.items] == [
        ("v5,05/21", "68b10fd40d49"),
        ("v5,06/21", "e6b2aa6d4004"),
    ]


def test_b4_thank_you_with_commits_and_subset():
    a = parse_applied(B4, "Re: (subset) [PATCH 0/2] KVM fixes", "Sean <s@x.org>", True)
    assert a.source == "b4" and a.subset and a.tree == "kvm-x86"
    assert [(i.label, i.title, i.commit) for i in a.items] == [
        ("1/2", "KVM: x86: fix one", "0123456789ab"),
        ("2/2", "KVM: x86: fix two", "abcdef012345"),
    ]


def test_plain_applied_to_tree():
    a = parse_applied(
        "On Mon, X wrote:\n> patch\n\nApplied to hyperv-next.\n\nWei\n",
        "Re: [PATCH] x",
        "Wei <w@k.org>",
        True,
    )
    assert (a.source, a.tree) == ("plain", "hyperv-next")


def test_plain_applied_thanks_and_queued():
    assert parse_applied("Applied, thanks!\n", "Re: [PATCH] x", "M <m@k.org>", True).tree == ""
    assert parse_applied("Queued, thanks.\n", "Re: [PATCH] x", "M <m@k.org>", True) is not None


def test_quoted_applied_does_not_count():
    assert (
        parse_applied(
            "> Applied, thanks!\n\nWhy was this applied?\n", "Re: [PATCH] x", "M <m@k.org>", True
        )
        is None
    )


def test_not_a_reply_is_no_notice():
    assert parse_applied("Applied, thanks!\n", "[PATCH] x", "M <m@k.org>", False) is None


# -- patterns from docs/tricky-cases.md not (or not verbatim) in the test archives ---------

R = "Re: [PATCH] x"
M = "M <m@k.org>"
QUOTE = "On Mon, 1 Jan 2024, A wrote:\n" + "".join(
    f"> line {i} of a long quoted patch, padding padding padding\n" for i in range(120)
)


def test_applied_thanks_after_5800_characters_of_quote():
    body = QUOTE + "\nApplied, thanks!\n"
    assert body.index("Applied") > 5800
    assert parse_applied(body, R, M, True) is not None


def test_lgtm_applied():
    assert parse_applied("> patch\n\nLGTM, applied.\n", R, M, True) is not None


def test_now_all_applied():
    assert parse_applied("> patch\n\nNow all applied, thanks.\n", R, M, True) is not None


def test_b4_url_on_a_later_line_names_tree_and_branch():
    body = (
        "On Mon, 1 Jan 2024, A wrote:\n> cover\n\nApplied to\n\n"
        "   https://git.kernel.org/pub/scm/linux/kernel/git/broonie/spi.git for-next\n\nThanks!\n\n"
        "[1/2] spi: one\n      commit: 0123456789abcdef\n[2/2] spi: two\n      commit: fedcba9876543210\n"
    )
    a = parse_applied(body, "Re: [PATCH 0/2] spi", M, True)
    assert (a.source, a.tree, a.branch) == ("b4", "broonie/spi.git", "for-next")
    assert [(i.label, i.commit) for i in a.items] == [
        ("1/2", "0123456789abcdef"),
        ("2/2", "fedcba9876543210"),
    ]


def test_branch_of_the_tree_in_prose():
    a = parse_applied(
        "> x\n\nApplied to the vfs-7.0.x branch of the vfs/vfs.git tree.\n", R, M, True
    )
    assert (a.tree, a.branch) == ("vfs/vfs.git", "vfs-7.0.x")


def test_applied_hash_numbers_to_a_branch():
    assert (
        parse_applied("> x\n\nApplied #7 and #24 to 6.5/scsi-staging, thanks!\n", R, M, True).tree
        == "6.5/scsi-staging"
    )


def test_pushed_all_three():
    assert (
        parse_applied("> x\n\nPushed all three to drm-misc-next.\n", R, M, True).tree
        == "drm-misc-next"
    )


def test_tree_and_branch_words():
    a = parse_applied("> x\n\nApplied to kvm-x86 fixes, thanks!\n", R, M, True)
    assert (a.tree, a.branch) == ("kvm-x86", "fixes")


def test_url_tree_in_parentheses_branch():
    body = "Thanks, Applied to https://git.kernel.org/pub/scm/linux/kernel/git/amlogic/linux.git (v6.2/arm64-dt)\n"
    a = parse_applied(body, R, M, True)
    assert (a.tree, a.branch) == ("amlogic/linux.git", "v6.2/arm64-dt")


def test_notice_inside_a_reply_between_quotes():
    body = "On X wrote:\n> one\n\nGood point.\n\n> two\n\nI've queued it to hyperv-next.\n\n> three\n\nWei\n"
    assert parse_applied(body, R, M, True).tree == "hyperv-next"


@pytest.mark.parametrize(
    "body",
    [
        "Could this be applied to the 5.15 kernel itself if possible?\n",
        "Can this be applied to the 5.15 kernel itself if possible.\n",
        "I applied the patch locally and it works.\n",
        "Has this been pushed out yet?\n",
        "Has it pushed out yet?\n",
        "This can be applied to tasks that are already running.\n",
        "Was this applied?\n",
        "If this is applied, the other series has to be rebased.\n",
        "It will be applied after the merge window.\n",
        "Can you apply this to your tree?\n",
        "This doesn't apply to linux-next.\n",
        "Applied cleanly on next-20240101 and boots fine.\n",
        "Applied on top of v6.8 and tested on my board.\n",
        "Applied on top of linux-next and tested, no issues.\n",
        "> Applied, thanks!\n\nThat was the wrong patch.\n",
        "Once it is applied, I will update my branch.\n",
        "So what I do after the whole set is applied is run the checks.\n",
        "I pushed some updates to the setup script.\n",
        "I have taken your suggestion.\n",
        "This was already applied from v3.\n",
        "Tested-by: T <t@x.org>\n\nApplied on top of 6.8.4, it fixes my issue.\n",
    ],
)
def test_prose_about_applying_is_no_notice(body):
    assert parse_applied("On X wrote:\n> patch\n\n" + body, R, M, True) is None


def test_patch_posting_is_cheap_and_no_notice():
    # no reply: only a bot's or script's notice is looked for
    assert parse_applied("Applied, thanks!\n", "[PATCH] x", M, False) is None
    assert (
        parse_applied(
            "This patch was applied to x/y.git (main)\n", "Re: [PATCH] x", "bot", False
        ).tree
        == "x/y.git"
    )
