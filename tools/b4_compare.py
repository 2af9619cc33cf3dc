#!/usr/bin/env python3
"""Compare listdigest's series grouping and version linking with b4's, on real archives.

    python3 tools/b4_compare.py                      # all archives, default windows
    python3 tools/b4_compare.py --archive linux-spi --quick
    python3 tools/b4_compare.py --archive kvm-ppc --since 2024-07-01 --until 2024-07-31

What is compared
----------------
* listdigest is run as a black box (``listdigest report GITDIR --format json``) over each
  range, with its index and HOME/XDG_* in a temporary directory.
* b4 (from PyPI, in its own venv, default ``.b4-venv`` at the repo root) is run in a
  subprocess of that venv through its own Python API: for every thread that a posting of
  listdigest's series belongs to, all the thread's messages in the whole archive (thread =
  connected by References/In-Reply-To, as public-inbox threads them) are fed, oldest
  arrival first, to ``b4.LoreMailbox.add_message``; then ``get_series(rev)`` is asked for
  every revision b4 found.  ``reroll=False`` (b4's partial-reroll fills a series' gaps with
  *copies of the previous revision's patches*, which is reconstruction for ``git am``, not
  grouping) and no network (no code-review trailer lookups).  No strict-thread filter is
  applied: b4 gets every message of the thread, as asked.
* Unit: a *posting* (cover letter or patch) that listdigest put in a series inside the
  range.  It agrees when its listdigest series' msgids inside the range equal its b4
  series' msgids inside the range, and the versions are equal.  A series agrees when all
  its postings do.
* Version recall / nearest-version precision use an independent reference written here
  with the stdlib ``email`` package (see ``VersionReference``).
* Disagreements are classified by hand (reading the mail) in ``bench/results/b4-compare.md``;
  its classification table (``| archive | msgid | class | category | note |``) is read back
  to compute the agreement "where b4 is right" = agreements / (postings - b4-wrong ones).
  A class row may name a posting's msgid or its listdigest series key.

The figures table is printed in Markdown so it can be pasted into the results file.
Nothing from the archives is written anywhere but the cache directory (default under the
system temp dir).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import email.parser
import email.policy
import email.utils
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHIVES = ["linux-spi", "linux-hyperv", "kvm-ppc"]
ARCH_ROOT = "/tmp/arch"
SHARED = "/work/shared/data"
RESULTS = os.path.join(ROOT, "bench", "results", "b4-compare.md")
LISTDIGEST = os.path.join(ROOT, ".venv", "bin", "listdigest")
DAY = 86400
INDEX_FORMAT = 2  # bump when parse_headers changes: the cached header index is rebuilt
CLASSES = ("listdigest wrong", "b4 wrong", "reference ambiguous")


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- b4 side

B4_WORKER = r"""
import email.parser, json, logging, sys, traceback
from email.message import EmailMessage
import b4
b4.can_network = False
b4.logger.setLevel(100)
logging.getLogger().setLevel(100)
req = json.load(open(sys.argv[1]))
out = {}
parser = email.parser.BytesParser(policy=b4.emlpolicy, _class=EmailMessage)
for t in req["threads"]:
    mbx = b4.LoreMailbox()
    errors = []
    for path in t["files"]:
        with open(path, "rb") as f:
            msg = parser.parsebytes(f.read())
        try:
            mbx.add_message(msg)
        except Exception as e:  # b4 refuses some messages (no Message-ID, ...)
            errors.append("add_message: %s: %s" % (type(e).__name__, e))
    series = []
    for rev in sorted(mbx.series):
        try:
            lser = mbx.get_series(rev, reroll=False, codereview_trailers=False)
        except Exception as e:
            errors.append("get_series(%s): %s: %s" % (rev, type(e).__name__, e))
            continue
        if lser is None:
            continue
        series.append({
            "revision": rev,
            "expected": lser.expected,
            "has_cover": bool(lser.has_cover),
            "msgids": [p.msgid for p in lser.patches if p is not None],
        })
    out[t["id"]] = {"series": series, "errors": errors}
json.dump(out, open(sys.argv[2], "w"))
"""


def ensure_b4(venv: str) -> str:
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        log(f"creating b4 venv in {venv}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([py, "-c", "import b4"], capture_output=True).returncode != 0:
        subprocess.run(
            [
                os.path.join(venv, "bin", "pip"),
                "install",
                "-q",
                "--disable-pip-version-check",
                "b4",
            ],
            check=True,
        )
    return subprocess.run(
        [py, "-c", "import b4; print(b4.__VERSION__)"], check=True, capture_output=True, text=True
    ).stdout.strip()


def sandbox_env(tmp: str) -> dict:
    home = os.path.join(tmp, "home")
    env = dict(
        os.environ,
        HOME=home,
        XDG_DATA_HOME=os.path.join(home, ".local", "share"),
        XDG_CACHE_HOME=os.path.join(home, ".cache"),
        XDG_CONFIG_HOME=os.path.join(home, ".config"),
        XDG_STATE_HOME=os.path.join(home, ".local", "state"),
        GIT_CONFIG_NOSYSTEM="1",
    )
    for k in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.makedirs(env[k], exist_ok=True)
    return env


def run_b4(
    venv: str, b4_version: str, archive: Archive, threads: dict, cache: str, tmp: str
) -> dict:
    """threads: id -> list of msgids (arrival order).  Returns id -> {series, errors}; cached per thread."""
    rdir = os.path.join(cache, "b4", archive.name)
    os.makedirs(rdir, exist_ok=True)
    result, todo, keys = {}, [], {}
    for tid, mids in threads.items():
        commits = [archive.by_id[m]["c"] for m in mids]
        key = hashlib.sha1(("b4 " + b4_version + "\n" + "\n".join(commits)).encode()).hexdigest()
        keys[tid] = key
        path = os.path.join(rdir, key + ".json")
        if os.path.exists(path):
            with open(path) as f:
                result[tid] = json.load(f)
        else:
            todo.append(tid)
    if todo:
        need = sorted({archive.by_id[m]["c"] for tid in todo for m in threads[tid]})
        rawdir = os.path.join(tmp, "raw")
        os.makedirs(rawdir, exist_ok=True)
        for commit, raw in archive.raw_messages(need):
            with open(os.path.join(rawdir, commit), "wb") as f:
                f.write(raw)
        req = {
            "threads": [
                {
                    "id": tid,
                    "files": [os.path.join(rawdir, archive.by_id[m]["c"]) for m in threads[tid]],
                }
                for tid in todo
            ]
        }
        rq, out, worker = (
            os.path.join(tmp, n) for n in ("b4-req.json", "b4-out.json", "b4_worker.py")
        )
        with open(rq, "w") as f:
            json.dump(req, f)
        with open(worker, "w") as f:
            f.write(B4_WORKER)
        t0 = time.time()
        subprocess.run(
            [os.path.join(venv, "bin", "python"), worker, rq, out],
            check=True,
            cwd=tmp,
            env=sandbox_env(tmp),
            stdout=subprocess.DEVNULL,
        )
        log(f"  b4: {len(todo)} threads, {len(need)} messages in {time.time() - t0:.1f} s")
        with open(out) as f:
            got = json.load(f)
        for tid in todo:
            result[tid] = got[tid]
            with open(os.path.join(rdir, keys[tid] + ".json"), "w") as f:
                json.dump(got[tid], f)
    return result


# --------------------------------------------------------------------------- the archive

HDR_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)
ANGLE = re.compile(r"<([^<>\s]+)>")
REPLY_RE = re.compile(r"^\s*(re|aw|fwd?|sv|antw|r)\s*:", re.I)


def _hdr(msg, name: str) -> str:
    try:
        v = msg.get(name)
        return "" if v is None else str(v)
    except Exception:  # undecodable header: fall back to the raw value
        for k, v in msg.raw_items():
            if k.lower() == name.lower():
                return str(v)
        return ""


def _msgid(value: str) -> str:
    m = ANGLE.search(value)
    return m.group(1) if m else value.strip().strip("<>")


def parse_headers(raw: bytes) -> dict:
    end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[: end + 1]
    msg = HDR_PARSER.parsebytes(head)
    subject = re.sub(r"\s+", " ", _hdr(msg, "Subject")).strip()
    name, addr = "", ""
    try:
        pairs = email.utils.getaddresses([_hdr(msg, "From")])
        if pairs:
            name, addr = pairs[0]
    except Exception:
        pass
    irt = ANGLE.findall(_hdr(msg, "In-Reply-To"))
    refs = ANGLE.findall(_hdr(msg, "References"))
    return {
        "id": _msgid(_hdr(msg, "Message-ID")),
        "s": subject,
        "n": name.strip(),
        "a": addr.strip().lower(),
        "irt": irt[0] if irt else "",
        "refs": refs,
        "rt": received_time(msg),
    }


def _date(value: str):
    try:
        t = email.utils.parsedate_tz(value.strip())
        return email.utils.mktime_tz(t) if t else None
    except Exception:
        return None


def received_time(msg):
    """When the archive got the message: the date of the topmost Received: field that has a
    readable one, else the Date: field (listdigest's --since/--until select on this too)."""
    for k, v in msg.raw_items():
        if k.lower() == "received":
            _, sep, when = str(v).rpartition(";")
            ts = _date(when) if sep else None
            if ts is not None:
                return ts
    return _date(_hdr(msg, "Date"))


class Archive:
    def __init__(self, name: str, gitdir: str, cache: str):
        self.name, self.gitdir = name, gitdir
        head = self.git("rev-parse", "HEAD").strip()
        path = os.path.join(cache, f"index{INDEX_FORMAT}-{name}-{head[:12]}.json")
        if os.path.exists(path):
            with open(path) as f:
                self.msgs = json.load(f)
        else:
            t0 = time.time()
            self.msgs = self._build()
            os.makedirs(cache, exist_ok=True)
            with open(path, "w") as f:
                json.dump(self.msgs, f)
            log(f"  indexed {name}: {len(self.msgs)} messages in {time.time() - t0:.1f} s")
        # oldest arrival first; a msgid seen twice keeps its first arrival
        self.msgs.sort(key=lambda r: (r["ct"], r["o"]))
        self.by_id: dict[str, dict] = {}
        for r in self.msgs:
            if r["id"] and r["id"] not in self.by_id:
                self.by_id[r["id"]] = r
        self._threads()

    def git(self, *args, **kw) -> str:
        return subprocess.run(
            ["git", "--git-dir=" + self.gitdir, *args],
            check=True,
            capture_output=True,
            text=True,
            **kw,
        ).stdout

    def raw_messages(self, commits):
        """Yield (commit, raw bytes of its m) for the commits, with one git cat-file --batch."""
        commits = list(commits)
        p = subprocess.Popen(
            ["git", "--git-dir=" + self.gitdir, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        import threading

        def feed():
            for c in commits:
                p.stdin.write(f"{c}:m\n".encode())
            p.stdin.close()

        threading.Thread(target=feed, daemon=True).start()
        for c in commits:
            line = p.stdout.readline().split()
            if len(line) < 3 or line[1] != b"blob":
                continue
            data = p.stdout.read(int(line[2]))
            p.stdout.read(1)
            yield c, data
        p.wait()

    def _build(self) -> list:
        log(f"  indexing {self.name} (headers of every message; cached afterwards)")
        rows = [ln.split() for ln in self.git("log", "--format=%H %ct").splitlines() if ln.strip()]
        cts = {c: int(t) for c, t in rows}
        order = {c: i for i, (c, _) in enumerate(reversed(rows))}
        out = []
        for c, raw in self.raw_messages(c for c, _ in rows):
            try:
                r = parse_headers(raw)
            except Exception as e:
                log(f"  unparsable {c}: {e}")
                continue
            r.update(c=c, ct=cts[c], o=order[c])
            if r["rt"] is None:
                r["rt"] = r["ct"]
            out.append(r)
        return out

    def _threads(self) -> None:
        parent: dict[str, str] = {}

        def find(x):
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a, b):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra

        for r in self.msgs:
            if not r["id"]:
                continue
            find(r["id"])
            for ref in r["refs"] + ([r["irt"]] if r["irt"] else []):
                union(r["id"], ref)
        self.thread_of = {m: find(m) for m in self.by_id}
        self.thread_members: dict[str, list] = defaultdict(list)
        for r in self.msgs:  # arrival order
            if r["id"] and self.by_id.get(r["id"]) is r:
                self.thread_members[self.thread_of[r["id"]]].append(r["id"])


def ensure_archive(name: str, arch_root: str) -> str:
    gitdir = os.path.join(arch_root, name, "git", "0.git")
    if not os.path.isdir(gitdir):
        bundle = os.path.join(SHARED, name + ".bundle")
        log(f"cloning {bundle} into {gitdir}")
        os.makedirs(os.path.dirname(gitdir), exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--mirror", bundle, gitdir], check=True)
    return gitdir


# --------------------------------------------------------------------------- the independent version reference

VER_RE = re.compile(r"(?:^|[^a-z0-9]|patch|rfc)v(\d+)(?![\d.])", re.I)
CNT_RE = re.compile(r"(?:^|[\s,\[])(\d{1,4})/(\d{1,4})(?![\d])")


def prefix_of(subject: str) -> str:
    s = REPLY_RE.sub("", subject) if REPLY_RE.match(subject) else subject
    i = s.rfind("]")
    return s[: i + 1] if i >= 0 else ""


def title_of(subject: str) -> str:
    i = subject.rfind("]")
    t = subject[i + 1 :] if i >= 0 else subject
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t.lower()).split())


def version_of(subject: str) -> int:
    m = VER_RE.search(prefix_of(subject))
    return int(m.group(1)) if m else 1


def counter_of(subject: str):
    m = CNT_RE.search(prefix_of(subject))
    return (int(m.group(1)), int(m.group(2))) if m else None


def is_posting(r: dict) -> bool:
    s = r["s"]
    if REPLY_RE.match(s) or not s.startswith("["):
        return False
    p = prefix_of(s).lower()
    return "patch" in p or "rfc" in p


def near(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b or abs(len(a) - len(b)) > max(len(a), len(b)) * 0.2:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


def norm_name(n: str) -> str:
    return " ".join(n.lower().replace('"', "").split())


class VersionReference:
    """Earlier versions of a series, found from the headers only (stdlib email, not listdigest).

    A posting is a non-reply whose subject starts with a [..PATCH..] or [..RFC..] prefix.  Its
    version is vN in the prefix (default 1), its title the subject after the last ']',
    lowercased, non-alphanumerics collapsed.  Postings are grouped into reference series by
    (thread, author address, version).  The earlier versions of a series are the groups with a
    lower version, posted before it by the same author (address or display name), with a
    posting whose title equals or nearly equals (difflib ratio >= 0.9) the series' cover or
    first-patch title.  The nearest is the highest lower version, latest first.
    """

    def __init__(self, archive: Archive):
        self.a = archive
        self.by_author: dict[str, list] = defaultdict(list)
        self.group: dict[str, tuple] = {}
        for r in archive.msgs:
            if not r["id"] or archive.by_id.get(r["id"]) is not r or not is_posting(r):
                continue
            g = (archive.thread_of[r["id"]], r["a"], version_of(r["s"]))
            self.group[r["id"]] = g
            for k in {r["a"], "name:" + norm_name(r["n"])}:
                if k and k != "name:" and k != "name:" + r["a"]:
                    self.by_author[k].append(r)

    def earlier(self, key: str, titles: set, version: int, before: int) -> list:
        """[(version, latest ct, group msgids)] nearest first."""
        r = self.a.by_id[key]
        cands = {}
        for k in {r["a"], "name:" + norm_name(r["n"])}:
            for c in self.by_author.get(k, ()):
                cands[c["id"]] = c
        groups: dict[tuple, list] = {}
        for c in cands.values():
            v = version_of(c["s"])
            if v >= version or c["rt"] >= before:
                continue
            if any(near(title_of(c["s"]), t) for t in titles):
                groups.setdefault(self.group[c["id"]], [])
        if not groups:
            return []
        members = defaultdict(list)
        for mid, g in self.group.items():
            if g in groups:
                members[g].append(mid)
        out = []
        for g in groups:
            mids = members[g]
            out.append((g[2], max(self.a.by_id[m]["rt"] for m in mids), mids))
        out.sort(key=lambda x: (-x[0], -x[1]))
        return out


# --------------------------------------------------------------------------- windows and listdigest


def day(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d")


def day_ts(d: str) -> int:
    return int(dt.datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp())


def default_windows(archive: Archive, n: int, days: int = 7) -> list:
    """n windows of `days` days spread over the archive's last two years, each starting on the day of the
    first message at or after its anchor (so sparse archives get non-empty windows)."""
    newest = max(r["ct"] for r in archive.msgs)  # a bogus future Date cannot move the windows
    cts = sorted(r["rt"] for r in archive.msgs)
    span = 730 * DAY
    out, prev_end = [], 0
    for k in reversed(range(n)):
        anchor = max(newest - int(span * (k + 0.5) / n), prev_end)
        first = next((t for t in cts if t >= anchor), None)
        if first is None:
            break
        start = day_ts(day(first))
        out.append((day(start), day(start + (days - 1) * DAY)))
        prev_end = start + days * DAY
    return out


def listdigest_command(args, tmp: str) -> tuple:
    """The command running listdigest, and the commit it measures.  Default: the committed
    src/ of --ref (HEAD), exported into tmp and put first on PYTHONPATH of the project venv's
    python, so that other engineers' uncommitted edits are not measured; --worktree runs the
    checkout as it is."""
    if args.worktree:
        commit = subprocess.run(
            ["git", "-C", ROOT, "log", "-1", "--format=%h (%cs)"], capture_output=True, text=True
        ).stdout.strip()
        if subprocess.run(
            ["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
        ).stdout.strip():
            commit += " + uncommitted changes in src/"
        return [args.listdigest], None, commit
    commit = subprocess.run(
        ["git", "-C", ROOT, "log", "-1", "--format=%h", args.ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    src = subprocess.run(
        ["git", "-C", ROOT, "log", "-1", "--format=%h (%cs)", args.ref, "--", "src"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = f"{commit} (src/ as of {src})"
    dest = os.path.join(tmp, "listdigest-src")
    os.makedirs(dest)
    arch = subprocess.run(
        ["git", "-C", ROOT, "archive", args.ref, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)
    py = os.path.join(os.path.dirname(args.listdigest), "python")
    cmd = [
        py,
        "-c",
        "import sys; from listdigest.cli import main; sys.argv[0] = 'listdigest'; sys.exit(main())",
    ]
    return cmd, os.path.join(dest, "src"), commit


def run_listdigest(cmd: list, pythonpath, gitdir: str, since: str, until: str, tmp: str) -> dict:
    env = sandbox_env(tmp)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    p = subprocess.run(
        [
            *cmd,
            "report",
            gitdir,
            "--since",
            since,
            "--until",
            until,
            "--format",
            "json",
            "--index",
            os.path.join(tmp, "ix.sqlite"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
    )
    if p.returncode != 0:
        if "empty range" in p.stderr:
            return {"series": []}
        raise RuntimeError(f"listdigest failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return json.loads(p.stdout)


# --------------------------------------------------------------------------- comparison


def read_classes(path: str) -> dict:
    """(archive, msgid) -> (class, category) from the results file's classification table."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 4 or cells[2].lower() not in CLASSES:
                continue
            out[(cells[0], cells[1].strip("`<> "))] = (cells[2].lower(), cells[3])
    return out


def short(s: str, n: int = 60) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def compare_archive(name: str, args, b4_version: str, classes: dict) -> dict:
    gitdir = ensure_archive(name, args.arch_root)
    log(f"== {name} ({gitdir})")
    archive = Archive(name, gitdir, args.cache)
    if args.since:
        windows = [(args.since, args.until or day(max(r["rt"] for r in archive.msgs)))]
    else:
        windows = default_windows(archive, args.windows, args.days)
        if args.quick:
            windows = windows[-1:]
    ref = VersionReference(archive)
    st = defaultdict(int)
    disagreements, version_misses, link_wrong, link_unverified = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="b4cmp-") as tmp:
        for since, until in windows:
            lo, hi = day_ts(since), day_ts(until) + DAY
            t0 = time.time()
            rep = run_listdigest(args.ld_cmd, args.ld_path, gitdir, since, until, tmp)
            series = rep.get("series", [])
            log(f"  {since}..{until}: listdigest {len(series)} series in {time.time() - t0:.1f} s")
            inrange = lambda m: m in archive.by_id and lo <= archive.by_id[m]["rt"] < hi  # noqa: E731
            # b4 on every thread touched by a posting
            threads = {}
            for s in series:
                for m in s["messages"]:
                    if m["msgid"] in archive.by_id:
                        tid = archive.thread_of[m["msgid"]]
                        threads[tid] = archive.thread_members[tid]
            b4res = run_b4(args.b4_venv, b4_version, archive, threads, args.cache, tmp)
            b4_of = defaultdict(list)  # msgid -> [b4 series]
            for tid, res in b4res.items():
                for i, bs in enumerate(res["series"]):
                    bs = dict(bs, tid=tid, idx=i)
                    for m in bs["msgids"]:
                        b4_of[m].append(bs)
                st["b4_errors"] += len(res["errors"])
            ld_posted = set()
            for s in series:
                mids = [m["msgid"] for m in s["messages"]]
                outside = [m for m in mids if not inrange(m)]
                st["ld_outside"] += len(outside)
                L = {m for m in mids if inrange(m)}
                ld_posted |= L
                if not L:
                    continue
                st["series"] += 1
                s_ok = True
                groups = defaultdict(list)
                for p in sorted(L, key=lambda m: archive.by_id[m]["rt"]):
                    cands = b4_of.get(p, [])
                    bs = next(
                        (b for b in cands if {m for m in b["msgids"] if inrange(m)} == L), None
                    ) or (cands[0] if cands else None)
                    B = {m for m in bs["msgids"] if inrange(m)} if bs else set()
                    bver = bs["revision"] if bs else None
                    st["postings"] += 1
                    if B == L and bver == s["version"]:
                        st["agree"] += 1
                        continue
                    s_ok = False
                    groups[(bs["tid"], bs["idx"]) if bs else None].append((p, bs, B))
                st["series_agree"] += s_ok
                for items in groups.values():
                    bs, B = items[0][1], items[0][2]
                    d = {
                        "window": f"{since}..{until}",
                        "key": s["key"],
                        "ld_version": s["version"],
                        "ld_n": len(L),
                        "postings": [p for p, _, _ in items],
                        "subject": short(archive.by_id[items[0][0]]["s"]),
                        "b4_version": bs["revision"] if bs else None,
                        "b4_n": len(B),
                        "only_ld": sorted(L - B, key=lambda m: archive.by_id[m]["rt"]),
                        "only_b4": sorted(B - L, key=lambda m: archive.by_id[m]["rt"]),
                        "b4_key": bs["msgids"][0] if bs else None,
                    }
                    d["hint"] = hint(archive, s, d, bs)
                    c = classes.get((name, d["key"]))
                    d["class"] = {p: classes.get((name, p), c) for p in d["postings"]}
                    disagreements.append(d)
                # version recall / precision against the independent reference
                key = (
                    s["key"]
                    if s["key"] in archive.by_id
                    else min(L, key=lambda m: archive.by_id[m]["rt"])
                )
                kr = archive.by_id[key]
                refv = version_of(kr["s"])
                if refv < 2:  # the reference's own reading of the version, not listdigest's
                    continue
                first = next(
                    (
                        m
                        for m in sorted(L, key=lambda m: archive.by_id[m]["rt"])
                        if (counter_of(archive.by_id[m]["s"]) or (1, 1))[0] == 1
                    ),
                    key,
                )
                titles = {title_of(kr["s"]), title_of(archive.by_id[first]["s"])}
                before = min(archive.by_id[m]["rt"] for m in L)
                earlier = ref.earlier(key, titles, refv, before)
                lv = s.get("versions") or []
                st["v2_series"] += 1
                if earlier:
                    st["v_ref"] += 1
                    if lv:
                        st["v_found"] += 1
                    else:
                        version_misses.append(
                            {
                                "key": key,
                                "version": s["version"],
                                "subject": short(kr["s"]),
                                "ref": (earlier[0][0], sorted(earlier[0][2])[0]),
                            }
                        )
                if lv:
                    st["v_linked"] += 1
                    if earlier:
                        st["v_both"] += 1
                        v, _, mids = earlier[0]
                        if lv[0]["msgid"] in mids and lv[0]["version"] == v:
                            st["v_nearest_ok"] += 1
                        else:
                            link_wrong.append(
                                {
                                    "key": key,
                                    "version": s["version"],
                                    "subject": short(kr["s"]),
                                    "ld": (lv[0]["version"], lv[0]["msgid"], lv[0].get("via")),
                                    "ref": (
                                        v,
                                        sorted(mids, key=lambda m: archive.by_id[m]["rt"])[0],
                                    ),
                                }
                            )
                    else:
                        link_unverified.append(
                            {
                                "key": key,
                                "version": s["version"],
                                "subject": short(kr["s"]),
                                "ld": (lv[0]["version"], lv[0]["msgid"], lv[0].get("via")),
                            }
                        )
            # postings b4 has in a series of a touched thread that listdigest has in none (information only)
            for m in b4_of:
                if inrange(m) and m not in ld_posted:
                    st["b4_only"] += 1
    st["windows"] = len(windows)
    b4w = sum(
        1 for d in disagreements for p in d["postings"] if (d["class"][p] or ("",))[0] == "b4 wrong"
    )
    uncl = sum(1 for d in disagreements for p in d["postings"] if not d["class"][p])
    st["b4_wrong"], st["unclassified"] = b4w, uncl
    return {
        "name": name,
        "windows": windows,
        "st": dict(st),
        "disagreements": disagreements,
        "version_misses": version_misses,
        "link_wrong": link_wrong,
        "link_unverified": link_unverified,
    }


def hint(archive: Archive, s: dict, d: dict, bs) -> str:
    """A first guess at the kind of disagreement, to speed up reading the mail (not a classification)."""
    if bs is None:
        return "b4: in no series"
    h = []
    subj = archive.by_id[d["postings"][0]]["s"]
    if d["b4_version"] != d["ld_version"]:
        if re.search(r"[^\s\[]v\d+|v\d+,|,\s*v\d+", prefix_of(subj)):
            h.append("version: comma-joined vN in prefix")
        else:
            h.append("version differs")
    if d["only_b4"]:
        authors = {archive.by_id[m]["a"] for m in d["only_b4"]} - {
            archive.by_id[d["postings"][0]]["a"]
        }
        h.append(f"b4 adds {len(d['only_b4'])}" + (" (other author)" if authors else ""))
    if d["only_ld"]:
        h.append(f"b4 lacks {len(d['only_ld'])}")
    return "; ".join(h) or "?"


# --------------------------------------------------------------------------- output


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f} %" if b else "–"


def figures(results: list, ld_commit: str, b4_version: str) -> str:
    out = [
        f"Measured {dt.date.today().isoformat()}; listdigest {ld_commit}; b4 {b4_version}.",
        "",
        "| archive | windows | postings | agree | agreement | series | series agreement | b4 wrong | "
        "agreement where b4 is right | unclassified | v≥2 series | with earlier version (ref) | version recall | "
        "nearest-version precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    tot = defaultdict(int)
    rows = [(r["name"], r["st"]) for r in results]
    for _, st in rows:
        for k, v in st.items():
            tot[k] += v
    if len(rows) > 1:
        rows.append(("**all**", tot))
    for name, st in rows:
        g = lambda k: st.get(k, 0)  # noqa: E731
        out.append(
            f"| {name} | {g('windows')} | {g('postings')} | {g('agree')} | {pct(g('agree'), g('postings'))} | "
            f"{g('series')} | {pct(g('series_agree'), g('series'))} | {g('b4_wrong')} | "
            f"{pct(g('agree'), g('postings') - g('b4_wrong'))} | {g('unclassified')} | {g('v2_series')} | "
            f"{g('v_ref')} | {pct(g('v_found'), g('v_ref'))} ({g('v_found')}/{g('v_ref')}) | "
            f"{pct(g('v_nearest_ok'), g('v_both'))} ({g('v_nearest_ok')}/{g('v_both')}) |"
        )
    return "\n".join(out)


def report(r: dict) -> str:
    st = r["st"]
    out = [
        f"### {r['name']}",
        "",
        "Windows: " + ", ".join(f"{a}..{b}" for a, b in r["windows"]),
        "",
        f"Postings compared {st.get('postings', 0)}, agreement {pct(st.get('agree', 0), st.get('postings', 0))}; "
        f"series compared {st.get('series', 0)}, series agreement "
        f"{pct(st.get('series_agree', 0), st.get('series', 0))}.  "
        f"(Information: {st.get('b4_only', 0)} in-range postings b4 has in a series that listdigest has in none; "
        f"{st.get('ld_outside', 0)} listdigest series messages outside the range; "
        f"{st.get('b4_errors', 0)} messages/series b4 refused.)",
        "",
    ]
    if r["disagreements"]:
        out += [
            "Disagreements (one row per listdigest series × b4 series; *ld* = listdigest):",
            "",
            "| window | ld series key | ld v | ld n | postings | b4 v | b4 n | only in ld | only in b4 | hint | class |",
            "|---|---|---:|---:|---|---:|---:|---|---|---|---|",
        ]
        for d in r["disagreements"]:
            cls = sorted({(c[0] if c else "unclassified") for c in d["class"].values()})
            out.append(
                f"| {d['window']} | `{d['key']}` | {d['ld_version']} | {d['ld_n']} | "
                + " ".join(f"`{p}`" for p in d["postings"])
                + f" | {d['b4_version']} | {d['b4_n']} | "
                + " ".join(f"`{p}`" for p in d["only_ld"])
                + " | "
                + " ".join(f"`{p}`" for p in d["only_b4"])
                + f" | {d['hint']} | {', '.join(cls)} |"
            )
        out.append("")
    if r["version_misses"]:
        out += [
            "Version recall misses (the reference has an earlier version, listdigest's `versions` is empty):",
            "",
        ]
        out += [
            f"- `{m['key']}` v{m['version']}: reference v{m['ref'][0]} `{m['ref'][1]}`"
            for m in r["version_misses"]
        ]
        out.append("")
    if r["link_wrong"]:
        out += [
            "Nearest-version mismatches (listdigest's `versions[0]` vs the reference's nearest):",
            "",
        ]
        out += [
            f"- `{m['key']}` v{m['version']}: listdigest v{m['ld'][0]} `{m['ld'][1]}` via {m['ld'][2]}; "
            f"reference v{m['ref'][0]} `{m['ref'][1]}`"
            for m in r["link_wrong"]
        ]
        out.append("")
    if r["link_unverified"]:
        out += [
            "listdigest links an earlier version the reference does not find (not in the precision figure):",
            "",
        ]
        out += [
            f"- `{m['key']}` v{m['version']}: listdigest v{m['ld'][0]} `{m['ld'][1]}` via {m['ld'][2]}"
            for m in r["link_unverified"]
        ]
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--archive",
        action="append",
        choices=ARCHIVES,
        help="archive to compare (repeatable; default all)",
    )
    ap.add_argument(
        "--since", help="one range instead of the default windows: first day (YYYY-MM-DD, UTC)"
    )
    ap.add_argument(
        "--until", help="last day of the range, included (default: the newest message's day)"
    )
    ap.add_argument(
        "--windows",
        type=int,
        default=4,
        help="weekly windows per archive over its last 2 years (4)",
    )
    ap.add_argument(
        "--quick", action="store_true", help="only the latest default window of each archive"
    )
    ap.add_argument(
        "--b4-venv", default=os.path.join(ROOT, ".b4-venv"), help="venv for b4 (created if absent)"
    )
    ap.add_argument(
        "--arch-root",
        default=ARCH_ROOT,
        help="where NAME/git/0.git live (cloned from the bundles if absent)",
    )
    ap.add_argument(
        "--cache",
        default=os.path.join(tempfile.gettempdir(), "listdigest-b4-compare"),
        help="header index and b4 answers per thread",
    )
    ap.add_argument(
        "--listdigest",
        default=LISTDIGEST,
        help="listdigest executable (its venv's python runs --ref)",
    )
    ap.add_argument("--ref", default="HEAD", help="commit whose src/ is measured (default HEAD)")
    ap.add_argument(
        "--worktree",
        action="store_true",
        help="measure the checkout as it is, uncommitted edits too",
    )
    ap.add_argument("--days", type=int, default=7, help="length of each default window in days (7)")
    ap.add_argument(
        "--classes", default=RESULTS, help="results file whose classification table is read"
    )
    ap.add_argument("--json", help="also write the full results as JSON to this file")
    args = ap.parse_args(argv)
    if args.until and not args.since:
        ap.error("--until needs --since")
    b4_version = ensure_b4(args.b4_venv)
    classes = read_classes(args.classes)
    with tempfile.TemporaryDirectory(prefix="b4cmp-ld-") as ldtmp:
        args.ld_cmd, args.ld_path, ld_commit = listdigest_command(args, ldtmp)
        log(f"listdigest {ld_commit}, b4 {b4_version}")
        results = [
            compare_archive(n, args, b4_version, classes) for n in (args.archive or ARCHIVES)
        ]
    print("## Figures\n")
    print(figures(results, ld_commit, b4_version))
    print()
    for r in results:
        print(report(r))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"listdigest": ld_commit, "b4": b4_version, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
