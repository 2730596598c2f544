"""The layout's promises that the import contracts (lint-imports) cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "hedgesim"
MODULES = sorted(PACKAGE.rglob("*.py"))
FILE_CALLS = {
    "open",
    "read_csv",
    "read_parquet",
    "to_csv",
    "to_parquet",
    "read_text",
    "write_text",
    "savefig",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _called_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def test_the_walk_finds_the_package():
    assert len(MODULES) > 30
    assert (PACKAGE / "core" / "model.py") in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_says_what_it_is_for(path):
    tree = _tree(path)
    assert ast.get_docstring(tree) or not tree.body, f"{path.name} has no module docstring"


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_the_core_reads_and_writes_no_files(path):
    assert not _called_names(_tree(path)) & FILE_CALLS


def test_a_core_module_that_opened_a_file_would_be_caught():
    tree = ast.parse("with open('x') as f:\n    pass\nframe.to_parquet('y')\n")
    assert _called_names(tree) & FILE_CALLS == {"open", "to_parquet"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_the_command_line(path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom):
            assert node.module != "hedgesim.cli" and not (
                node.module == "hedgesim" and any(a.name == "cli" for a in node.names)
            ), f"{path.name} imports hedgesim.cli"
