"""A real ``public-inbox-httpd`` on 127.0.0.1 for tests, serving inboxes built by ``tests/pi.py``.

The listening socket is made here (port 0: the kernel picks a free port) and handed to the
server by systemd-style socket activation (``LISTEN_FDS``), so there is no window in which
another process could take the port.  One process (``-W0``), so a test can freeze the
server with SIGSTOP.  ``stop()`` terminates it; use it as a context manager.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pi


class PiHttpd:
    def __init__(self, inbox: str) -> None:
        self.inbox = inbox
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = pi.pi_env(inbox)
        env["LISTEN_FDS"] = "1"
        log = os.path.join(os.path.dirname(os.path.abspath(inbox)), f".httpd-{self.port}.log")
        self.log = log
        fd = self.sock.fileno()
        self._log_fh = open(log, "ab")
        # the server expects the socket as fd 3 and LISTEN_PID to be its own pid: bash sets both
        self.proc: subprocess.Popen | None = subprocess.Popen(
            [
                "bash",
                "-c",
                (f"exec 3<&{fd} {fd}<&-; " if fd != 3 else "")
                + "LISTEN_PID=$$ exec public-inbox-httpd -W0",
            ],
            env=env,
            pass_fds=(fd,),
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"public-inbox-httpd exited: {pathlib.Path(self.log).read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2) as r:
                    r.read()
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("public-inbox-httpd did not answer")

    def pause(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.resume()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.sock.close()
        self._log_fh.close()

    def __enter__(self) -> PiHttpd:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
