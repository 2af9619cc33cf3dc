"""Long fuzz runs for humans (CI runs the short one in test_fuzz.py).

    python -m tests.fuzz.long                       # every target, 10 minutes each
    python -m tests.fuzz.long --target message --minutes 120 --seed 42
    python -m tests.fuzz.long --atheris --target body   # coverage-guided, needs `pip install atheris`

Run from the repository root with the project's venv.  Crashing inputs are written to
``--out`` (default ``fuzz-crashes/``); turn each into a named test in
``tests/test_regressions.py``.  Exit status 1 when anything crashed or an input took more
than 1 s of CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for hostile_kit

import hostile_kit  # noqa: E402

from tests.fuzz import engine  # noqa: E402
from tests.fuzz import targets as T  # noqa: E402


def _atheris(target: T.Target, seeds, out: str) -> None:  # pragma: no cover - manual use
    import atheris

    corpus = os.path.join(out, f"corpus-{target.name}")
    os.makedirs(corpus, exist_ok=True)
    for i, s in enumerate(seeds):
        with open(os.path.join(corpus, f"seed-{i}"), "wb") as f:
            f.write(s)

    def one(data: bytes) -> None:
        try:
            target.fn(data)
        except target.allowed:
            pass

    atheris.Setup(
        [sys.argv[0], corpus, f"-artifact_prefix={out}/", "-timeout=1", "-rss_limit_mb=2048"], one
    )
    atheris.Fuzz()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--target", action="append", choices=sorted(T.targets()), help="target(s); default all"
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="per target (default 10)")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default="fuzz-crashes")
    ap.add_argument(
        "--atheris", action="store_true", help="coverage-guided with atheris (one target)"
    )
    args = ap.parse_args(argv)
    all_targets = T.targets()
    names = args.target or sorted(all_targets)
    messages = hostile_kit.seed_messages(80) + [
        m for _, m in hostile_kit.hostile_messages(small=True)
    ]
    os.makedirs(args.out, exist_ok=True)
    bad = 0
    for name in names:
        t = all_targets[name]
        seeds = [s[: t.max_input] for s in T.seeds_for(name, messages)]
        if args.atheris:
            _atheris(t, seeds, args.out)
            return 0
        st = engine.run(
            name,
            t.fn,
            t.allowed,
            seeds,
            seconds=args.minutes * 60,
            seed=args.seed,
            max_input=t.max_input,
            max_crashes=100,
        )
        print(
            f"{name}: {st.inputs} inputs, {len(st.crashes)} crashes, slowest {st.max_seconds:.3f}s CPU (seed {args.seed})"
        )
        for i, c in enumerate(st.crashes):
            path = os.path.join(args.out, f"{name}-{args.seed}-{i}.bin")
            with open(path, "wb") as f:
                f.write(c.data)
            print(f"  {path}: {c.error.strip().splitlines()[-1]}")
        if st.max_seconds > 1.0:
            path = os.path.join(args.out, f"{name}-{args.seed}-slow.bin")
            with open(path, "wb") as f:
                f.write(st.slowest)
            print(f"  slow input saved to {path}")
            bad += 1
        bad += len(st.crashes)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
