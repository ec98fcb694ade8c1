"""The documentation: its code runs, and the site builds without warnings.

(a) Every ```python block of the executable pages runs, in order, in one namespace per
    page (a block whose first line is ``# not run`` is skipped).
(b) ``mkdocs build --strict`` succeeds (skipped only when mkdocs is not installed; it is
    part of the ``test`` extra).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXECUTABLE_PAGES = ["index.md", "tutorial.md", "rules.md"]
NOT_RUN = "# not run"

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """(first line number, code) of every ```python block of a Markdown page."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_block_extraction():
    blocks = python_blocks(DOCS / "tutorial.md")
    assert len(blocks) >= 10
    assert all("```" not in code for _, code in blocks)


@pytest.mark.parametrize("name", EXECUTABLE_PAGES)
def test_page_code_runs(name):
    page = DOCS / name
    blocks = python_blocks(page)
    assert blocks, f"{name} has no python blocks"
    namespace = {"__name__": f"docs.{page.stem}"}
    saved = np.get_printoptions()
    try:
        for line, code in blocks:
            if code.lstrip().startswith(NOT_RUN):
                continue
            exec(compile(code, f"docs/{name}, block at line {line}", "exec"), namespace)
    finally:
        np.set_printoptions(**saved)


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    assert (tmp_path / "site" / "index.html").exists()
