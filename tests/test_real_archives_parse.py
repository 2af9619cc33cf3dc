"""Every message of both real archives (../shared/data bundles, cloned per session) through
every parser the digest uses: zero exceptions, and every skipped message named with its
reason (issue 8).  The other real-archive tests check what the digest says; this one only
that nothing in 30,000+ real mails breaks a parser."""

from __future__ import annotations

import time
import traceback

import pytest

from listdigest.message import MessageError, parse_message
from listdigest.message.body import digest_text, split_body
from listdigest.message.subject import parse_subject
from listdigest.message.trailers import parse_trailers
from listdigest.sources import open_source


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["hv_epoch", "kvmppc_epoch"])
def test_every_real_message_parses(fixture, request):
    path = request.getfixturevalue(fixture)
    sel = open_source(path).select()
    parsed, skipped, errors = 0, [], []
    slowest = (0.0, "")
    for raw in sel.messages:
        t = time.process_time()
        try:
            m = parse_message(raw)
            digest_text(m.body)
            split_body(m.body)
            parse_trailers(m.body)
            parse_subject(m.subject)
            m.kind, m.ancestors  # noqa: B018
            parsed += 1
        except MessageError as exc:
            skipped.append((raw.where, str(exc)))
        except Exception:
            errors.append((raw.where, traceback.format_exc(limit=-3)))
        spent = time.process_time() - t
        if spent > slowest[0]:
            slowest = (spent, raw.where)
    print(
        f"{fixture}: {parsed} parsed, {len(skipped)} skipped {skipped[:10]}, slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})"
    )
    assert not errors, errors[:5]
    assert parsed > 5000
    assert slowest[0] < 1.0, slowest
    for where, reason in skipped:
        assert where and reason
