"""One run, one table: listdigest's throughput beside the floor and its references.

Rows (issue "Fast on whole archives"), each as messages/second and as its time per message
over the floor's: the floor (git's own time to read every message: ``git rev-list HEAD | sed
's/$/:m/' | git cat-file --batch >/dev/null`` per epoch, no byte of it in Python), Python
reading every message (the same stream into one ``bytes`` per message), the stdlib ``email`` full parse,
ezpi's reader and liblore's thread summaries (references), listdigest's parser,
``listdigest index`` from scratch, ``listdigest report`` over the whole archive and over the
last 7 days / 1 day (whole process, start-up included), public-inbox-index (the peer), peak
RSS, and index scaling at 10 %, 50 %, 100 % and 4x of the archive.

Timings on a shared machine drift by several percent from run to run, and a ratio of two
single timings drifts twice as much; so each timed row (floor, index, reports, the peer,
scaling) is the best of ``--repeat`` runs (default 3), the same for listdigest and for what
it is compared with.  The floor, Python's reading and the full index build run side by side
(one of each per round, ``--repeat`` rounds), so that a slower minute of the machine slows
all three.  Peak RSS is the largest seen over the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import os
import shutil
import subprocess
import sys
import time
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", "work")
BIN = os.path.join(os.path.dirname(sys.executable), "listdigest")


def shared_bundle(name: str) -> str:
    base = os.environ.get("LISTDIGEST_SHARED") or os.path.join(ROOT, "..", "shared")
    for cand in (os.path.join(base, "data", name), os.path.join(base, name)):
        if os.path.exists(cand):
            return cand
    sys.exit(f"bench: {name} not found under {base}/data (set LISTDIGEST_SHARED)")


def epoch(name: str = "linux-hyperv") -> str:
    inbox = os.path.join(WORK, name)
    gitdir = os.path.join(inbox, "git", "0.git")
    if not os.path.isdir(gitdir):
        os.makedirs(os.path.dirname(gitdir), exist_ok=True)
        subprocess.run(
            ["git", "clone", "-q", "--mirror", shared_bundle(name + ".bundle"), gitdir], check=True
        )
    return inbox


def commits(gitdir: str) -> list[str]:
    return subprocess.run(
        ["git", "--git-dir", gitdir, "rev-list", "--reverse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def read_all(gitdir: str, revs: list[str]):
    """Yield each message's bytes through one cat-file --batch, the whole output captured
    and then copied per message (what "Python reads every message" times)."""
    proc = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"],
        input="".join(f"{r}:m\n" for r in revs).encode(),
        capture_output=True,
        check=True,
    )
    out = proc.stdout
    pos = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        size = int(out[pos:nl].split()[2])
        yield out[nl + 1 : nl + 1 + size]
        pos = nl + 2 + size


def git_floor(gitdirs: list[str]) -> float:
    """git's own time to read every message of the epochs, its output discarded."""
    t = time.perf_counter()
    for g in gitdirs:
        subprocess.run(
            [
                "sh",
                "-c",
                "git --git-dir \"$0\" rev-list HEAD | sed 's/$/:m/'"
                ' | git --git-dir "$0" cat-file --batch >/dev/null',
                g,
            ],
            check=True,
        )
    return time.perf_counter() - t


def side_by_side(
    repeat: int, runs: dict[str, tuple[Callable[[], tuple[float, int]], Callable[[], None] | None]]
) -> dict[str, tuple[float, int]]:
    """Best wall time and largest peak RSS of each of ``runs`` (name: (run, before)),
    ``repeat`` rounds of one run each, so that all are timed through the same minutes."""
    walls: dict[str, list[float]] = {k: [] for k in runs}
    rsss: dict[str, list[int]] = {k: [] for k in runs}
    for _ in range(repeat):
        for name, (run, before) in runs.items():
            if before is not None:
                before()
            wall, rss = run()
            walls[name].append(wall)
            rsss[name].append(rss)
    return {k: (min(walls[k]), max(rsss[k])) for k in runs}


def best(repeat: int, run, before=None) -> tuple[float, int]:
    """The best wall time and the largest peak RSS of ``repeat`` calls of ``run`` (which
    returns ``(wall, rss)``); ``before`` runs ahead of each (say, removing an index)."""
    walls, rsss = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        wall, rss = run()
        walls.append(wall)
        rsss.append(rss)
    return min(walls), max(rsss)


def timed(cmd: list[str], env=None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall time and peak RSS (KiB) of a command, measured in a fresh child."""
    wrapper = (
        "import resource,subprocess,sys,time;t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True);"
        "w=time.perf_counter()-t;sys.stderr.buffer.write(p.stderr);sys.stdout.buffer.write(p.stdout);"
        "print('\\nBENCH',w,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,p.returncode,file=sys.stderr);sys.exit(0)"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, env=env)
    line = [l for l in p.stderr.decode(errors="replace").splitlines() if l.startswith("BENCH ")][-1]
    _, wall, rss, rc = line.split()
    if int(rc) != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {p.stderr.decode(errors='replace')[-400:]}")
    return float(wall), int(rss), p


class Table:
    def __init__(self, floor_rate: float, n: int) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.floor = floor_rate
        self.n = n

    def add(
        self,
        what: str,
        msgs: int | None,
        secs: float | None,
        rss_kib: int | None = None,
        note: str = "",
    ) -> None:
        if msgs is None or secs is None:
            self.rows.append((what, "-", "-", "-", note))
            return
        rate = msgs / secs if secs > 0 else float("inf")
        # time per message over git's: the index build at 2.00x takes twice git's time
        ratio = f"{self.floor / rate:.2f}x" if self.floor and rate else "-"
        rss = f"{rss_kib / 1024:.0f} MB" if rss_kib else ""
        self.rows.append(
            (what, f"{rate:,.0f}", ratio, rss, (f"{secs:.2f} s; " if secs else "") + note)
        )
        print(
            f"  {what}: {rate:,.0f} msg/s ({ratio} git's time) {rss} {note}",
            file=sys.stderr,
            flush=True,
        )

    def markdown(self, header: str) -> str:
        out = [
            header,
            "",
            "| what | msg/s | time ÷ git floor | peak RSS | notes |",
            "|---|---:|---:|---:|---|",
        ]
        out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in self.rows]
        return "\n".join(out) + "\n"


def has_index_command() -> bool:
    return subprocess.run([BIN, "index", "--help"], capture_output=True).returncode == 0


def build_synthetic(src_gitdir: str, dest: str, times: int) -> str:
    """The archive replayed ``times`` times with rewritten Message-IDs, one epoch per replay."""
    if os.path.isdir(dest):
        return dest
    revs = commits(src_gitdir)
    for k in range(times):
        gitdir = os.path.join(dest, "git", f"{k}.git")
        subprocess.run(["git", "init", "-q", "--bare", gitdir], check=True)
        fi = subprocess.Popen(
            ["git", "--git-dir", gitdir, "fast-import", "--quiet"], stdin=subprocess.PIPE
        )
        assert fi.stdin is not None
        t = 1500000000
        for i, raw in enumerate(read_all(src_gitdir, revs)):
            if k:
                raw = raw.replace(b"@", f"@r{k}.".encode())  # new ids (and addresses) per replay
            # consecutive commits to one branch chain up without a `from` line
            fi.stdin.write(
                b"commit refs/heads/master\ncommitter bench <b@x> %d +0000\ndata 1\nm\n" % (t + i)
            )
            fi.stdin.write(b"M 644 inline m\ndata %d\n%s\n" % (len(raw), raw))
        fi.stdin.close()
        fi.wait()
        subprocess.run(
            ["git", "--git-dir", gitdir, "symbolic-ref", "HEAD", "refs/heads/master"], check=True
        )
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(prog="bench")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="skip the slow references (stdlib, liblore, public-inbox, 4x)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="timed rows are the best of N runs (default 3)",
    )
    ap.add_argument(
        "--out",
        metavar="FILE",
        help="write the table here (default: bench/results/<date>.md, unless that file exists: "
        "a written-up result is never overwritten, the table then goes to bench/work/last.md)",
    )
    args = ap.parse_args()
    inbox = epoch()
    gitdir = os.path.join(inbox, "git", "0.git")
    revs = commits(gitdir)
    n = len(revs)
    print(f"bench: linux-hyperv, {n} messages, {os.cpu_count()} cores", file=sys.stderr)

    reps = max(1, args.repeat)

    env = dict(os.environ, XDG_DATA_HOME=os.path.join(WORK, "xdg-data"))
    idx = os.path.join(WORK, "hv.sqlite")

    def fresh(path: str = idx) -> None:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)

    # 1. the floor (git alone), Python reading every message, and the full index build:
    # side by side, one of each per round
    def python_read() -> tuple[float, int]:
        t = time.perf_counter()
        got = sum(len(m) for m in read_all(gitdir, revs))
        sizes.append(got)
        return time.perf_counter() - t, 0

    sizes: list[int] = []
    indexing = has_index_command()
    runs: dict[str, tuple[Callable[[], tuple[float, int]], Callable[[], None] | None]] = {
        "floor": (lambda: (git_floor([gitdir]), 0), None),
        "python": (python_read, None),
    }
    if indexing:
        runs["index"] = (lambda: timed([BIN, "index", inbox, "--index", idx], env)[:2], fresh)
    got = side_by_side(reps, runs)
    floor_s = got["floor"][0]
    size = sizes[0]
    table = Table(n / floor_s, n)
    table.add(
        "floor: git alone (rev-list, sed, cat-file --batch >/dev/null)",
        n,
        floor_s,
        note=f"{size / 1e6:.0f} MB of mail",
    )
    table.add("Python reads every message (cat-file --batch, one bytes each)", n, got["python"][0])
    if indexing:
        wall, rss = got["index"]
        table.add(
            "listdigest index, from scratch",
            n,
            wall,
            rss,
            note=f"**{wall / floor_s:.2f}x git's floor** (target <= 2x)",
        )
        idx_args = ["--index", idx]
    else:
        table.add("listdigest index", None, None, note="no index command in this build")
        idx_args = []

    # 2. stdlib email, full parse
    if not args.quick:
        t = time.perf_counter()
        for raw in read_all(gitdir, revs):
            m = email.message_from_bytes(raw, policy=email.policy.default)
            m.get("Subject"), m.get("From"), m.get_body(("plain",))
        table.add("stdlib email, policy.default full parse", n, time.perf_counter() - t)

    # 3. libraries of the field
    try:
        import ezpi

        t = time.perf_counter()
        k = sum(1 for _ in ezpi.iter_messages(inbox))
        table.add("ezpi.iter_messages (read only; reference reader)", k, time.perf_counter() - t)
    except ImportError:
        table.add("ezpi", None, None, note="not installed")
    if not args.quick:
        try:
            from liblore.series import summarize_threads
            from liblore.utils import parse_message as ll_parse

            sample = revs[-2000:]
            t = time.perf_counter()
            summarize_threads([ll_parse(raw) for raw in read_all(gitdir, sample)])
            table.add(
                "liblore summarize_threads (2,000-message sample)",
                len(sample),
                time.perf_counter() - t,
            )
        except ImportError:
            table.add("liblore", None, None, note="not installed")

    # listdigest's own parser, one process
    sys.path.insert(0, os.path.join(ROOT, "src"))
    from listdigest.message import parse_message
    from listdigest.sources.git import open_git_source

    t = time.perf_counter()
    k = 0
    for r in open_git_source(inbox).select().messages:
        parse_message(r)
        k += 1
    table.add("listdigest read + parse, 1 process", k, time.perf_counter() - t)

    # 5./6./8. reports
    newest = subprocess.run(
        ["git", "--git-dir", gitdir, "log", "-1", "--format=%ct"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    end = dt.datetime.fromtimestamp(int(newest), dt.timezone.utc)
    wall, rss = best(
        reps, lambda: timed([BIN, "report", inbox, *idx_args, "-o", os.devnull], env)[:2]
    )
    table.add(
        "listdigest report, whole archive" + (" (index warm)" if idx_args else ""), n, wall, rss
    )
    for days in (7, 1):
        since = (end - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")
        wall, rss = best(
            reps,
            lambda: timed(
                [BIN, "report", inbox, *idx_args, "--since", since, "-o", os.devnull], env
            )[:2],
        )
        table.add(
            f"listdigest report, last {days} day{'s' if days > 1 else ''} (whole process)",
            n,
            wall,
            rss,
            note=f"wall {wall:.2f} s",
        )
    # the week again, filtered to a MAINTAINERS section (issue 17: within 10 % of the above)
    since = (end - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
    section = ["--maintainers", os.path.join(ROOT, "tests", "data", "MAINTAINERS.excerpt")]
    section += ["--section", "Hyper-V/Azure CORE AND DRIVERS"]
    wall, rss = best(
        reps,
        lambda: timed(
            [BIN, "report", inbox, *idx_args, "--since", since, *section, "-o", os.devnull], env
        )[:2],
    )
    table.add(
        "listdigest report, last 7 days, one MAINTAINERS section",
        n,
        wall,
        rss,
        note=f"wall {wall:.2f} s",
    )

    # 7. the peer
    if not args.quick and shutil.which("public-inbox-index"):
        peer = os.path.join(WORK, "peer")
        home = os.path.join(WORK, "peer-home")
        penv = dict(os.environ, HOME=home, PI_CONFIG=os.path.join(home, "pi-config"))

        def fresh_peer() -> None:
            shutil.rmtree(peer, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
            os.makedirs(home, exist_ok=True)
            subprocess.run(
                [
                    "public-inbox-init",
                    "-V2",
                    "-L",
                    "basic",
                    "hv",
                    peer,
                    "http://example/hv",
                    "hv@example.org",
                ],
                env=penv,
                check=True,
                capture_output=True,
            )
            shutil.rmtree(os.path.join(peer, "git", "0.git"))
            subprocess.run(
                ["git", "clone", "-q", "--mirror", gitdir, os.path.join(peer, "git", "0.git")],
                check=True,
            )

        wall, rss = best(
            reps, lambda: timed(["public-inbox-index", "-L", "basic", peer], penv)[:2], fresh_peer
        )
        table.add("peer: public-inbox-index -L basic (SQLite, no Xapian)", n, wall, rss)

    # 9. scaling of the index
    if idx_args:
        for frac in (0.1, 0.5):
            cut = revs[int(n * frac) - 1]
            part = os.path.join(WORK, f"part{int(frac * 100)}")
            if not os.path.isdir(part):
                g = os.path.join(part, "git", "0.git")
                subprocess.run(["git", "clone", "-q", "--mirror", gitdir, g], check=True)
                subprocess.run(
                    ["git", "--git-dir", g, "update-ref", "refs/heads/master", cut], check=True
                )
                subprocess.run(["git", "--git-dir", g, "gc", "-q", "--prune=now"], check=True)
            pidx = os.path.join(WORK, f"part{int(frac * 100)}.sqlite")
            wall, rss = best(
                reps,
                lambda: timed([BIN, "index", part, "--index", pidx], env)[:2],
                lambda: fresh(pidx),
            )
            table.add(f"scaling: index at {int(frac * 100)} %", int(n * frac), wall, rss)
        if not args.quick:
            syn = build_synthetic(gitdir, os.path.join(WORK, "synthetic4x"), 4)
            sidx = os.path.join(WORK, "syn.sqlite")
            wall, rss = best(
                reps,
                lambda: timed([BIN, "index", syn, "--index", sidx], env)[:2],
                lambda: fresh(sidx),
            )
            table.add("scaling: index at 4x (4 epochs, rewritten ids)", 4 * n, wall, rss)

    today = dt.date.today().isoformat()
    header = f"# Benchmark {today}: linux-hyperv ({n:,} messages, {size / 1e6:.0f} MB), {os.cpu_count()} cores; timed rows: best of {reps} runs"
    md = table.markdown(header)
    sys.stdout.write(md)
    out = args.out or os.path.join(ROOT, "bench", "results", f"{today}.md")
    if not args.out and os.path.exists(out):
        out = os.path.join(WORK, "last.md")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write(md)
    print(f"bench: table written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
