"""Applied notices: patchwork-bot, b4 thank-you mails, plain maintainer replies."""

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
    a = parse_applied(PWBOT, "Re: [PATCH v5 00/21] paravirt", "patchwork-bot+linux-riscv@kernel.org", True)
    assert (a.source, a.tree, a.branch, a.by) == ("pwbot", "riscv/linux.git", "fixes", "Borislav Petkov (AMD) <bp@alien8.de>")
    assert [(i.label, i.commit) for i in a.items] == [("v5,05/21", "68b10fd40d49"), ("v5,06/21", "e6b2aa6d4004")]


def test_b4_thank_you_with_commits_and_subset():
    a = parse_applied(B4, "Re: (subset) [PATCH 0/2] KVM fixes", "Sean <s@x.org>", True)
    assert a.source == "b4" and a.subset and a.tree == "kvm-x86"
    assert [(i.label, i.title, i.commit) for i in a.items] == [
        ("1/2", "KVM: x86: fix one", "0123456789ab"),
        ("2/2", "KVM: x86: fix two", "abcdef012345"),
    ]


def test_plain_applied_to_tree():
    a = parse_applied("On Mon, X wrote:\n> patch\n\nApplied to hyperv-next.\n\nWei\n", "Re: [PATCH] x", "Wei <w@k.org>", True)
    assert (a.source, a.tree) == ("plain", "hyperv-next")


def test_plain_applied_thanks_and_queued():
    assert parse_applied("Applied, thanks!\n", "Re: [PATCH] x", "M <m@k.org>", True).tree == ""
    assert parse_applied("Queued, thanks.\n", "Re: [PATCH] x", "M <m@k.org>", True) is not None


def test_quoted_applied_does_not_count():
    assert parse_applied("> Applied, thanks!\n\nWhy was this applied?\n", "Re: [PATCH] x", "M <m@k.org>", True) is None


def test_not_a_reply_is_no_notice():
    assert parse_applied("Applied, thanks!\n", "[PATCH] x", "M <m@k.org>", False) is None
