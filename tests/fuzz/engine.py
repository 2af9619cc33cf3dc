"""A small, deterministic mutation fuzzer: seeds in, mutated inputs out, crashes and the
slowest input recorded.  No coverage guidance (that is what the atheris mode of
``tests.fuzz.long`` adds); the dictionary of mail tokens below does most of the work.
"""

from __future__ import annotations

import random
import signal
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable

#: tokens that steer mutations into the corners of the mail grammar
DICTIONARY: tuple[bytes, ...] = (
    b"\n",
    b"\r\n",
    b"\r",
    b"\n\n",
    b"\x00",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x80\xae",
    b" ",
    b"\t",
    b":",
    b"From ",
    b">From ",
    b"From: ",
    b"Date: ",
    b"Subject: ",
    b"Message-ID: <",
    b">",
    b"<",
    b"@",
    b"In-Reply-To: ",
    b"References: ",
    b"Received: from x by y; ",
    b"X-Original-From: ",
    b"Reply-To: ",
    b'Content-Type: multipart/mixed; boundary="b"\n',
    b"Content-Type: text/html\n",
    b"Content-Type: text/plain; charset=",
    b"utf-8",
    b"x-unknown",
    b"iso-2022-jp",
    b"utf-16",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"--b\n",
    b"--b--\n",
    b"=?utf-8?q?",
    b"=?utf-8?b?",
    b"?=",
    b"=0D=0A",
    b"=C3",
    b"=\n",
    b"_",
    b"[PATCH",
    b"[PATCH v2 1/3]",
    b"[RFC PATCH 0/5]",
    b"Re: ",
    b"]",
    b"[",
    b"v1.5",
    b"/",
    b"0/0",
    b"---\n",
    b"-- \n",
    b" a.c | 2 +-\n",
    b" 1 file changed, 1 insertion(+)\n",
    b"diff --git a/x b/x\n",
    b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n",
    b"Index: x\n=============\n",
    b"base-commit: ",
    b"Signed-off-by: A <a@b>\n",
    b"Reviewed-by: ",
    b"Mon, 01 Jan 2024 10:00:00 +0000",
    b"+9999",
    b"-0000",
    b"9999",
    b"0000",
    b"<script>",
    b"&#0;",
    b"<!--",
    b"<![CDATA[",
)

#: inputs are capped so one input stays cheap
MAX_INPUT = 1 << 16


def mutate(
    rnd: random.Random, data: bytes, seeds: Sequence[bytes], max_input: int = MAX_INPUT
) -> bytes:
    """One to eight random edits of ``data``: flips, inserts, deletes, duplications, splices."""
    buf = bytearray(data[:max_input])
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(10)
        n = len(buf)
        pos = rnd.randint(0, n)
        if op == 0 and n:
            i = rnd.randrange(n)
            buf[i] ^= 1 << rnd.randrange(8)
        elif op == 1 and n:
            buf[rnd.randrange(n)] = rnd.randrange(256)
        elif op in (2, 3):
            buf[pos:pos] = rnd.choice(DICTIONARY)
        elif op == 4 and n:
            end = min(n, pos + rnd.choice((1, 2, 8, 64, 1024)))
            del buf[pos:end]
        elif op == 5 and n:
            end = min(n, pos + rnd.randint(1, 256))
            chunk = bytes(buf[pos:end])
            buf[pos:pos] = chunk * rnd.choice((1, 2, 16))
        elif op == 6 and seeds:
            other = rnd.choice(seeds)
            if other:
                a = rnd.randrange(len(other))
                buf[pos:pos] = other[a : a + rnd.randint(1, 4096)]
        elif op == 7 and n:
            del buf[pos:]  # truncation
        elif op == 8:
            buf[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif op == 9 and n:
            # swap line endings
            if rnd.random() < 0.5:
                buf = bytearray(bytes(buf).replace(b"\n", b"\r\n"))
            else:
                buf = bytearray(bytes(buf).replace(b"\r\n", b"\n"))
    return bytes(buf[:max_input])


class Hang(Exception):
    """An input ran past the hard time limit."""


@dataclass
class Crash:
    target: str
    data: bytes
    error: str


@dataclass
class Stats:
    target: str
    inputs: int = 0
    max_seconds: float = 0.0
    slowest: bytes = b""
    crashes: list[Crash] = field(default_factory=list)


def _on_alarm(signum, frame):
    raise Hang("input took longer than the hard limit")


def run(
    name: str,
    fn: Callable[[bytes], object],
    allowed: tuple[type[BaseException], ...],
    seeds: Sequence[bytes],
    count: int | None = None,
    seconds: float | None = None,
    seed: int = 0,
    hard_limit: float = 10.0,
    max_crashes: int = 20,
    max_input: int = MAX_INPUT,
) -> Stats:
    """Run ``fn`` on the seeds then on mutations of them, ``count`` inputs or for ``seconds``."""
    rnd = random.Random(seed)
    stats = Stats(name)
    use_alarm = hasattr(signal, "setitimer")
    old = signal.signal(signal.SIGALRM, _on_alarm) if use_alarm else None
    deadline = time.monotonic() + seconds if seconds else None
    pool = list(seeds) or [b""]
    try:
        i = 0
        while True:
            if count is not None and i >= count:
                break
            if deadline is not None and i % 64 == 0 and time.monotonic() > deadline:
                break
            data = (
                pool[i]
                if i < len(pool) and i < len(seeds)
                else mutate(rnd, rnd.choice(pool), pool, max_input)
            )
            i += 1
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, hard_limit)
            t0 = time.process_time()
            try:
                fn(data)
            except allowed:
                pass
            except Exception:
                if len(stats.crashes) < max_crashes:
                    stats.crashes.append(Crash(name, data, traceback.format_exc(limit=-4)))
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            # CPU time, not wall time: the guard must not trip because the machine is busy
            dt = time.process_time() - t0
            if dt > stats.max_seconds:
                stats.max_seconds, stats.slowest = dt, data
            # keep some mutants as new parents so edits accumulate
            if rnd.random() < 0.02 and len(pool) < 4 * len(seeds) + 64:
                pool.append(data)
        stats.inputs = i
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, old)
    return stats
