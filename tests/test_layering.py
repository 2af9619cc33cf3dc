"""Data flows one way: a stage imports only from the stages before it (style.md).

The check resolves every import the way Python does: relative imports from a package's
``__init__.py`` (whose package is itself) and from modules, ``from . import x`` naming
submodules, and absolute ``import listdigest.x`` / ``from listdigest.x import y`` forms.  A
copy of the tree with a back-edge injected proves that each form is caught.
"""

import ast
import os
import shutil

import pytest

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "listdigest")
ORDER = [
    "errors",
    "timeparse",
    "fileio",
    "mapfiles",
    "words",
    "workers",
    "settings",
    "sources",
    "message",
    "model",
    "analysis",
    "report",
    "delivery",
    "store",
    "config",
    "pipeline",
    "multilist",
    "cli",
]
# store sits beside the flow: it may use sources..analysis, and report/delivery may not use it
BESIDE = {
    "store": {
        *("errors", "timeparse", "fileio", "mapfiles", "words", "workers"),
        *("sources", "message", "model", "analysis"),
    }
}
# delivery places bytes and sends mail, config reads settings and checks files: neither
# needs a stage of the flow
NEVER = {
    "delivery": {"message", "model", "analysis", "store"},
    "config": {"sources", "message", "model", "analysis", "delivery", "store"},
}


def module_name(root: str, path: str) -> str:
    """``listdigest.a.b`` for ``root/a/b.py``, ``listdigest.a`` for ``root/a/__init__.py``."""
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] == "__init__":
        rel = rel[:-1]
    return ".".join(["listdigest", *rel])


def imported(path: str, module: str, is_package: bool):
    """Every listdigest module ``path`` imports, as a dotted name below ``listdigest``."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "listdigest" or a.name.startswith("listdigest."):
                    yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not (target == "listdigest" or target.startswith("listdigest.")):
                continue
            yield target
            if not node.module or node.level:
                # "from . import sources" / "from .report import atom": the names may be modules
                for a in node.names:
                    yield f"{target}.{a.name}"


def stage_of(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def allowed(stage: str, target: str) -> bool:
    if target in NEVER.get(stage, ()):
        return False
    if stage in BESIDE:
        return target in BESIDE[stage]
    if stage in ("pipeline", "multilist", "cli"):  # the glue knows every stage
        return True
    return ORDER.index(target) < ORDER.index(stage) and target != "store"


def violations(root: str):
    bad = []
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            path = os.path.join(dirpath, f)
            module = module_name(root, path)
            stage = stage_of(module)
            if stage not in ORDER:
                if stage:  # a new top-level module or package must take its place in ORDER
                    bad.append(f"{os.path.relpath(path, root)} has no place in ORDER")
                continue
            for name in imported(path, module, f == "__init__.py"):
                target = stage_of(name)
                if target not in ORDER or target == stage:
                    continue
                if not allowed(stage, target):
                    bad.append(f"{os.path.relpath(path, root)} imports {name}")
    return sorted(set(bad))


def test_no_stage_imports_a_later_one():
    assert violations(SRC) == []


@pytest.mark.parametrize(
    "where,line",
    [
        (
            "message/__init__.py",
            "from ..analysis import digest",
        ),  # relative, from a package's __init__
        ("message/subject.py", "from ..model.series import Series"),  # relative, from a module
        ("sources/__init__.py", "from .. import report"),  # "from .. import x": x is a module
        ("model/series.py", "import listdigest.cli"),  # absolute "import x" form
        (
            "analysis/digest.py",
            "from listdigest.store.index import Index",
        ),  # absolute from-form; store is beside
        ("delivery/smtp.py", "from ..analysis.digest import Digest"),  # delivery reads no analysis
        ("report/text.py", "from ..delivery import files"),  # a later stage
        ("config.py", "from .analysis.employers import load_affiliations"),  # config: no stage
        ("mapfiles.py", "from .sources import RawMessage"),  # a file reader before the flow
    ],
)
def test_an_injected_back_edge_is_caught(tmp_path, where, line):
    copy = tmp_path / "listdigest"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    got = violations(str(copy))
    assert got and all(g.startswith(where) for g in got), got


def test_a_module_outside_the_order_is_caught(tmp_path):
    copy = tmp_path / "listdigest"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "helpers.py").write_text("from .errors import SourceError\n", encoding="utf-8")
    assert violations(str(copy)) == ["helpers.py has no place in ORDER"]


def test_library_does_not_print_exit_or_read_environment():
    offenders = []
    for dirpath, _, files in os.walk(SRC):
        for f in files:
            if f.endswith(".py") and f != "cli.py":
                with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                    text = fh.read()
                for needle in ("sys.exit(", "print(", "os.environ"):
                    if needle in text:
                        offenders.append(f"{f}: {needle}")
    assert offenders == []
