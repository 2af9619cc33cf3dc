"""Applied notices on real threads of the archives (session fixtures ``spi_epoch``,
``hv_epoch``, ``kvmppc_epoch``): each pattern found there, by Message-ID.  The mail is read
from the fixture at test time; nothing of it is kept in this repository."""

from __future__ import annotations

import re
import subprocess

import pytest

from listdigest.message import parse_message
from listdigest.sources import RawMessage

pytestmark = pytest.mark.real

_MSGID_RE = re.compile(rb"^Message-ID:\s*<([^>]+)>", re.I | re.M)
_INDEX: dict[str, dict[str, str]] = {}


def _index(gitdir: str) -> dict[str, str]:
    """Message-ID -> commit of an epoch (one pass over the log, kept for the session)."""
    if gitdir in _INDEX:
        return _INDEX[gitdir]
    commits = subprocess.run(
        ["git", "--git-dir", gitdir, "log", "--format=%H"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    proc = subprocess.Popen(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out = proc.communicate("".join(f"{c}:m\n" for c in commits).encode())[0]
    index: dict[str, str] = {}
    pos = 0
    for c in commits:
        nl = out.index(b"\n", pos)
        head = out[pos:nl].split()
        pos = nl + 1
        if head[1] == b"missing":
            continue
        size = int(head[2])
        blob = out[pos : pos + size]
        pos += size + 1
        hdr = blob.split(b"\n\n", 1)[0]
        m = _MSGID_RE.search(hdr)
        if m is not None:
            index.setdefault(m.group(1).decode("ascii", "replace"), c)
    _INDEX[gitdir] = index
    return index


def notice(gitdir: str, msgid: str):
    commit = _index(gitdir)[msgid]
    raw = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "blob", f"{commit}:m"],
        capture_output=True,
        check=True,
    ).stdout
    return parse_message(RawMessage(raw)).applied()


# -- notices -----------------------------------------------------------------------------


def test_b4_thank_you_url_on_later_line_with_items_and_commits(spi_epoch):
    # "Applied to\n\n   https://git.kernel.org/.../broonie/spi.git for-next" then [1/3] + commit:
    a = notice(spi_epoch, "176893190467.701694.2959767523548654547.b4-ty@kernel.org")
    assert (a.source, a.tree, a.branch, a.subset) == ("b4", "broonie/spi.git", "for-next", True)
    assert [(i.label, i.commit) for i in a.items] == [
        ("1/3", "3495a5df94a9ad7a8940bcb3ebfda58255f5b952")
    ]


def test_b4_thank_you_early_local_tree(spi_epoch):
    # early b4: "Applied to\n\n   local tree spi/for-5.7"
    a = notice(spi_epoch, "158921769453.22432.2365518895564552869.b4-ty@kernel.org")
    assert (a.source, a.tree, a.branch) == ("b4", "spi", "for-5.7")
    assert [i.label for i in a.items] == ["1/1"]


def test_applied_thanks_after_a_long_quote(spi_epoch):
    # "Applied, thanks!" more than 4,000 characters into the body, after a quoted patch
    a = notice(spi_epoch, "168814464489.1908194.10092224539849073775.robh@kernel.org")
    assert a is not None and a.source == "plain"


def test_thanks_applied(hv_epoch):
    assert notice(hv_epoch, "nycvar.YFH.7.76.2210181456150.29912@cbobk.fhfr.pm") is not None


def test_now_both_queued_up(spi_epoch):
    assert notice(spi_epoch, "2024111013-foster-tipped-3f12@gregkh") is not None


def test_applied_to_the_branch_of_the_tree(spi_epoch):
    a = notice(spi_epoch, "20240121162739.166402e8@jic23-huawei")
    assert (a.tree, a.branch) == ("iio.git", "togreg")


def test_rest_of_the_series_applied_and_pushed_out_as_testing(spi_epoch):
    # "pushed out as testing" names a branch: no tester's report
    a = notice(spi_epoch, "20211014183522.326ebab9@jic23-huawei")
    assert (a.tree, a.branch) == ("iio.git", "togreg")


def test_applied_hash_numbers_to_scsi_staging(hv_epoch):
    a = notice(hv_epoch, "yq1pm55lt3y.fsf@ca-mkp.ca.oracle.com")
    assert a.tree == "6.5/scsi-staging"


def test_pushed_it_to_drm_misc_next(hv_epoch):
    assert (
        notice(hv_epoch, "5d507ba5-8205-4305-ad06-b0f2ac46b7c8@redhat.com").tree == "drm-misc-next"
    )


def test_pushed_to_branch_at_github_url(hv_epoch):
    # "Pushed to branch `for_paolo/6.1` at:\n\n    https://github.com/sean-jc/linux.git"
    a = notice(hv_epoch, "YyUdYziyOfMGxf17@google.com")
    assert (a.tree, a.branch) == ("sean-jc/linux.git", "for_paolo/6.1")


def test_github_commits_url_gives_tree_and_branch(hv_epoch):
    a = notice(hv_epoch, "20220720230009.2478166-1-f.fainelli@gmail.com")
    assert (a.tree, a.branch) == ("Broadcom/stblinux", "drivers/next")


def test_tree_then_branch_words(kvmppc_epoch):
    # "Applied to powerpc topic/ppc-kvm, thanks."
    a = notice(kvmppc_epoch, "46Dh6K3mW5z9sNk@ozlabs.org")
    assert (a.tree, a.branch) == ("powerpc", "topic/ppc-kvm")


def test_notice_after_a_quoted_outlook_original_message(hv_epoch):
    # the quoted "> > -----Original Message-----" does not end the reply's own text
    assert (
        notice(hv_epoch, "20220123215606.fzycryooluavtar4@liuwe-devbox-debian-v2").tree
        == "hyperv-fixes"
    )


def test_notice_after_a_bare_dash_dash_snip_line(hv_epoch):
    # a "--" line between quoted parts is no signature when much follows it
    assert (
        notice(hv_epoch, "20260318062001.GA262287@liuwe-devbox-debian-v2.local").tree
        == "hyperv-fixes"
    )


def test_first_person_amended_and_applied(hv_epoch):
    # "I have amended this patch and applied it to hyperv-next."
    assert (
        notice(hv_epoch, "20201202115504.w52yeixpg7nbzw2v@liuwe-devbox-debian-v2").tree
        == "hyperv-next"
    )


def test_pre_b4_applied_script_mail(spi_epoch):
    # Subject 'Applied "spi: …" to the spi tree', the patch itself below: no reply by kind
    a = notice(spi_epoch, "applied-20191127153936.29719-1-ckeepax@opensource.cirrus.com")
    assert (a.source, a.tree, a.branch) == ("script", "broonie/spi.git", "for-5.5")
    assert len(a.items) == 1 and len(a.items[0].commit) == 40


def test_patchwork_bot_series(hv_epoch):
    a = notice(hv_epoch, "178358641138.3333608.7004028070817400784.git-patchwork-notify@kernel.org")
    assert (a.source, a.tree, a.branch, a.by) == (
        "pwbot",
        "netdev/net.git",
        "main",
        "Paolo Abeni <pabeni@redhat.com>",
    )
    assert [(i.label, i.commit) for i in a.items] == [
        ("net,v3,1/2", "2e2a83b4998a"),
        ("net,v3,2/2", "c72a0f09c57f"),
    ]


# -- not notices -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture,msgid,why",
    [
        (
            "hv_epoch",
            "143afb82-dcc4-4fd3-a851-a03b01532694@gmx.de",
            "a tester: 'Applied on top of 6.8.4, it prevents ...'",
        ),
        (
            "hv_epoch",
            "702594ec5852c482f96cfcf84a02cab2@linux.ibm.com",
            "a tester: 'Applied and tested ...'",
        ),
        (
            "hv_epoch",
            "20220505154717.GA3526@anparri",
            "a tester applying to tip's branch, with a Tested-by",
        ),
        (
            "hv_epoch",
            "20241004162534.6680f91b@kernel.org",
            "prose: 'should have ... applied it to net'",
        ),
        (
            "hv_epoch",
            "afCjpGa4Xm4hIPj6@sgarzare-redhat",
            "quoted documentation: 'picked up for stable trees'",
        ),
        ("hv_epoch", "87jzrl71me.fsf@redhat.com", "prose: 'can hardly be applied in production'"),
        (
            "hv_epoch",
            "20240429145351.GIZi-0fzy7H_UpEJ5w@fat_crate.local",
            "prose: 'after the whole set is applied'",
        ),
        (
            "hv_epoch",
            "BYAPR21MB127004E34EBA263FB4D0B1C2BF8A9@BYAPR21MB1270.namprd21.prod.outlook.com",
            "merged ... by someone else",
        ),
        (
            "hv_epoch",
            "166302252702.25412.14039653395008305231.pr-tracker-bot@kernel.org",
            "a pull merged by Linus, no patch applied",
        ),
        (
            "hv_epoch",
            "20220503145016.GA25079@linuxonhyperv3.guj3yctzbm1etfxqx2vob5hsef.xx.internal.cloudapp.net",
            "a question: 'Can this be queued'",
        ),
        (
            "spi_epoch",
            "Y/jny4dDix7txf0y@sirena.org.uk",
            "a question: 'This was already applied I think?'",
        ),
        (
            "spi_epoch",
            "58c6f76a-8028-4ce8-a101-d5feb3b40897@sirena.org.uk",
            "queued for CI, not applied",
        ),
        (
            "spi_epoch",
            "176589052274.1815136.7513475493879599819.robh@kernel.org",
            "a DT bot: 'applied (using b4) to base'",
        ),
    ],
)
def test_not_a_notice(fixture, msgid, why, request):
    assert notice(request.getfixturevalue(fixture), msgid) is None, why
