"""Trailer parsing: each tricky case from docs/tricky-cases.md has a named test."""

from listdigest.message.trailers import parse_trailers


def names(text):
    return [(t.name, t.person_name, t.person_addr, t.comment) for t in parse_trailers(text)]


def test_plain_trailer():
    assert names("Looks good.\n\nReviewed-by: Ann Lee <ann@x.org>\n") == [
        ("Reviewed-by", "Ann Lee", "ann@x.org", "")
    ]


def test_quoted_trailer_does_not_count():
    assert names("> Reviewed-by: Ann Lee <ann@x.org>\nok\n") == []


def test_after_signature_does_not_count():
    assert names("ok\n-- \nAcked-by: Ann Lee <ann@x.org>\n") == []


def test_indented_trailer_counts():
    assert names("  Tested-by: Ann Lee <ann@x.org>\n") == [
        ("Tested-by", "Ann Lee", "ann@x.org", "")
    ]


def test_wrapped_trailer_is_joined():
    assert names("Reviewed-by: Ann Marie Very-Long-Name\n <ann@x.org>\n") == [
        ("Reviewed-by", "Ann Marie Very-Long-Name", "ann@x.org", "")
    ]


def test_paren_comment_kept():
    assert names("Acked-by: Ann Lee <ann@x.org> (Documentation)\n") == [
        ("Acked-by", "Ann Lee", "ann@x.org", "Documentation")
    ]


def test_hash_comment_kept():
    assert names("Acked-by: Ann Lee <ann@x.org> # for arm64\n") == [
        ("Acked-by", "Ann Lee", "ann@x.org", "for arm64")
    ]


def test_editor_line_skipped():
    got = names("Acked-by: Ann Lee <ann@x.org>\n[ed: fixed the typo]\nTested-by: Bo <bo@x.org>\n")
    assert [g[0] for g in got] == ["Acked-by", "Tested-by"]


def test_trailer_without_address():
    assert names("Reported-by: syzkaller\n") == [("Reported-by", "syzkaller", "", "")]


def test_reported_and_tested_by_canonical_case():
    assert names("reported-and-tested-BY: Bo <bo@x.org>\n")[0][0] == "Reported-and-tested-by"


def test_sender_must_be_named_person():
    (t,) = parse_trailers("Reviewed-by: Ann Lee <Ann@X.org>\n")
    assert t.matches("ann@x.org") and not t.matches("bo@x.org")


def test_nothing_after_signature_counts_even_with_crs():
    # the "-- " line ends the trailers however many CRs follow it (what rstrip("\r") reads)
    body = "Reviewed-by: Ann Lee <ann@x.org>\r\n-- \r\r\nAcked-by: Bo <bo@x.org>\r\n"
    assert [g[0] for g in names(body)] == ["Reviewed-by"]
    assert names("-- \nAcked-by: Bo <bo@x.org>\n") == []


def test_signature_dash_lines_that_are_not_the_marker_do_not_stop():
    assert [g[0] for g in names("--  \n-- x\nAcked-by: Bo <bo@x.org>\n")] == ["Acked-by"]


def test_line_with_two_by_hits_counts_once():
    assert names("Acked-by: Bo <bo@x.org> # was Reviewed-by: earlier\n") == [
        ("Acked-by", "Bo", "bo@x.org", "was Reviewed-by: earlier")
    ]


def test_continuation_line_is_not_read_again_as_trailer():
    got = names("Reviewed-by: Ann Marie Very-Long-Name\n <ann@x.org>\nTested-by: Bo <bo@x.org>\n")
    assert [(g[0], g[2]) for g in got] == [("Reviewed-by", "ann@x.org"), ("Tested-by", "bo@x.org")]


def test_trailers_in_a_long_quoted_reply_are_found_in_order():
    quoted = "".join(f"> +line {i} Signed-off-by: Nobody <n@x.org>\n" for i in range(5000))
    body = quoted + "\nReviewed-by: Ann Lee <ann@x.org>\n" + quoted + "Tested-by: Bo <bo@x.org>"
    assert [g[0] for g in names(body)] == ["Reviewed-by", "Tested-by"]
