"""STARTTLS, SSL and AUTH against a real aiosmtpd server with a certificate made in the test."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from daily_helpers import Epoch, patch, smtp_controller

from listdigest.config import Config
from listdigest.errors import DeliveryError
from listdigest.pipeline import run_list
from listdigest.store.state import read_state


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    p = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
    )
    if p.returncode != 0:
        pytest.skip("openssl cannot make a certificate: " + p.stderr.decode()[-200:])
    return str(key), str(crt)


class Auth:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"digest"
            and auth_data.password == b"s3cret"
        )
        self.seen.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def server(handler, cert, *, ssl_mode):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert[1], cert[0])
    auth = Auth()
    kw = {
        "authenticator": auth,
        "auth_require_tls": True,
    }
    if ssl_mode == "ssl":
        # aiosmtpd does not count an implicit-TLS socket as TLS for auth_require_tls
        kw.update(ssl_context=ctx, auth_require_tls=False)
    else:
        kw.update(tls_context=ctx, require_starttls=True)
    ctl = smtp_controller(handler, **kw)
    ctl.start()
    return ctl, auth


def config(inbox, port, security, pw_env="LD_PW"):
    return Config.from_toml(f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "{security}"
user = "digest"
password_env = "{pw_env}"
timeout = 5

[lists.demo]
archive = "{inbox}"
to = ["readers@example.org"]
from = "digest@example.org"
start = "2020-01-01"
""")


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_auth(tmp_path, cert, security):
    from daily_helpers import Inbox

    ep = Epoch(str(tmp_path / "inbox"))
    ep.add(patch(1, "[PATCH] tls: one"))
    handler = Inbox()
    ctl, auth = server(handler, cert, ssl_mode=security)
    try:
        cfg = config(ep.inbox, ctl.port, security)
        client = ssl.create_default_context(cafile=cert[1])
        sdir = str(tmp_path / "state")
        # wrong password: refused, state not written, password not in the message
        with pytest.raises(DeliveryError) as ei:
            run_list(
                cfg.lists[0],
                cfg.smtp,
                state_dir=sdir,
                environ={"LD_PW": "wrong-pw"},
                tls_context=client,
            )
        assert str(ei.value) == f"SMTP 127.0.0.1:{ctl.port}: authentication failed (535)"
        assert "wrong-pw" not in str(ei.value)
        assert read_state(sdir, "demo") is None and handler.messages == []
        # an untrusted certificate fails before any password is sent
        with pytest.raises(DeliveryError, match="TLS failed"):
            run_list(
                cfg.lists[0],
                cfg.smtp,
                state_dir=sdir,
                environ={"LD_PW": "s3cret"},
                tls_context=ssl.create_default_context(),
            )
        out = run_list(
            cfg.lists[0], cfg.smtp, state_dir=sdir, environ={"LD_PW": "s3cret"}, tls_context=client
        )
        assert out.status == "delivered"
        assert (
            len(handler.messages) == 1
            and "tls: one" in handler.messages[0].get_body(("plain",)).get_content()
        )
        assert read_state(sdir, "demo").to_commit == ep.head
        assert auth.seen[-1][1] is True
    finally:
        ctl.stop()
