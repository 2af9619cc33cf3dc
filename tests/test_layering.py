"""Data flows one way: a stage imports only from the stages before it (style.md)."""

import ast
import os

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "listdigest")
ORDER = ["errors", "timeparse", "workers", "sources", "message", "model", "analysis", "report", "delivery", "store", "config", "pipeline", "cli"]
# store sits beside the flow: it may use sources..analysis, and report/delivery may not use it
BESIDE = {"store": {"errors", "timeparse", "workers", "sources", "message", "model", "analysis"}}


def stage_of(module: str) -> str:
    return module.split(".")[0]


def imports(path: str, pkg: str):
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
            mod = ".".join(base[1:] + ([node.module] if node.module else []))
            if mod:
                yield mod
            else:
                for a in node.names:
                    yield a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("listdigest."):
            yield node.module[len("listdigest."):]


def test_no_stage_imports_a_later_one():
    bad = []
    for dirpath, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), SRC)
            parts = rel[:-3].split(os.sep)
            stage = parts[0]
            if stage not in ORDER:
                continue
            pkg = "listdigest." + ".".join(parts if f == "__init__.py" else parts[:-1])
            if f == "__init__.py":
                pkg = "listdigest." + ".".join(parts[:-1]) if len(parts) > 1 else "listdigest"
                pkg = pkg + ".__init__"
            for mod in imports(os.path.join(dirpath, f), pkg):
                target = stage_of(mod)
                if target not in ORDER or target == stage:
                    continue
                allowed = BESIDE.get(stage)
                ok = target in allowed if allowed is not None else ORDER.index(target) < ORDER.index(stage) and target != "store" or stage in ("pipeline", "cli", "config")
                if not ok:
                    bad.append(f"{rel} imports {mod}")
    assert bad == []


def test_library_does_not_print_exit_or_read_environment():
    offenders = []
    for dirpath, _, files in os.walk(SRC):
        for f in files:
            if f.endswith(".py") and f != "cli.py":
                text = open(os.path.join(dirpath, f), encoding="utf-8").read()
                for needle in ("sys.exit(", "print(", "os.environ"):
                    if needle in text:
                        offenders.append(f"{f}: {needle}")
    assert offenders == []
