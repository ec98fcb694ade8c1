"""The documentation: its code runs, and the site builds without warnings.

(a) Every ```python block of the executable pages runs, in order, in one namespace per
    page (a block whose first line is ``# not run`` is skipped).
(b) ``mkdocs build --strict`` succeeds (skipped only when mkdocs is not installed; it is
    part of the ``test`` extra).
(c) The API page, generated from the docstrings by mkdocstrings, has a heading for every
    name in ``pgweyl.__all__``.
(d) The site works offline: no page, stylesheet or script loads anything from another
    host, and code blocks are highlighted when the site is built (Pygments spans, with the
    stylesheet served beside the pages).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pgweyl

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# The tutorial runs every study once (about 15 s): slow, run by CI with -m slow.
EXECUTABLE_PAGES = [
    "index.md",
    pytest.param("tutorial.md", marks=pytest.mark.slow),
    "rules.md",
    "api.md",
]
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


def build_site(site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of this checkout into ``site`` (this checkout's pgweyl)."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site (one build for the tests below), or a skip without mkdocstrings."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path_factory.mktemp("site")
    proc = build_site(site)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return site, proc


def test_mkdocs_build_strict(site):
    site, proc = site
    assert "WARNING" not in proc.stderr, proc.stderr
    assert (site / "index.html").exists()


# A documented object's heading: ``<h3 id="pgweyl.module.Name"`` (``:::`` blocks are at
# heading level 3; their members at 4 do not count).
_API_HEADING = re.compile(r'<h3 id="(pgweyl(?:\.\w+)*)"')


def missing_from_api(html: str, names) -> list[str]:
    """The names that no top-level heading of the API page documents (last path part)."""
    documented = {anchor.rsplit(".", 1)[-1] for anchor in _API_HEADING.findall(html)}
    return [name for name in names if name not in documented]


def test_api_page_documents_every_public_name(site):
    site, _ = site
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert missing_from_api(html, pgweyl.__all__) == []
    # The check can fail: a name without a ``:::`` block is reported, and so is a name
    # that only appears as a member of a documented object.
    assert missing_from_api(html, ["not_in_pgweyl", "value_grad"]) == [
        "not_in_pgweyl",
        "value_grad",
    ]
    assert 'id="pgweyl.env.environment.AlcoveWalkEnv.value_grad"' in html


# -- docs/cli.md against the parser -----------------------------------------------------------
def _cli_sections(text: str) -> dict[str, str]:
    """The text of each ``### `pgweyl NAME …``` section of docs/cli.md, by NAME."""
    parts = re.split(r"^### `pgweyl ([a-z-]+)[^\n]*$", text, flags=re.M)
    sections = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        sections[name] = body.split("\n## ", 1)[0]  # up to the next top-level section
    return sections


def _subparsers(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def test_cli_page_documents_every_command_and_option():
    """Walks the argparse parser of ``pgweyl``: every subcommand has its section in
    docs/cli.md, and every option string of a subcommand appears (as `--opt`, in
    backquotes) in its own section or in the table of shared options."""
    from pgweyl.cli import build_parser

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    shared = text.split("## Options shared by the subcommands", 1)[1].split("\n## ", 1)[0]
    sections = _cli_sections(text)
    parser = build_parser()
    subs = _subparsers(parser)
    assert len(subs) >= 10
    missing = []
    for opt in (s for a in parser._actions for s in a.option_strings):
        if not re.search(rf"`{re.escape(opt)}[` ]", shared):
            missing.append(f"pgweyl {opt}")
    for name, sub in subs.items():
        if name not in sections:
            missing.append(f"section pgweyl {name}")
            continue
        for opt in (s for a in sub._actions for s in a.option_strings):
            pattern = rf"`{re.escape(opt)}[` ]"
            if not (re.search(pattern, sections[name]) or re.search(pattern, shared)):
                missing.append(f"pgweyl {name} {opt}")
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_cli_page_states_the_limits_the_code_uses():
    """The Limits table quotes the constants of pgweyl.budget (and the other limits the
    command enforces) with the values the code uses."""
    from pgweyl import budget
    from pgweyl.landscape.maxima import MAX_BASIN_SAMPLES
    from pgweyl.landscape.settings import MIN_GRID
    from pgweyl.study.checks import SYMBOLIC_MAX_STATES
    from pgweyl.study.difficulty import MAX_SWEEP_VALUES

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    limits = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = {
        "values of one sweep param": budget.MAX_PARAM_VALUES,
        "points of one sweep": budget.MAX_SWEEP_POINTS,
        "agents trained by `grade`": budget.MAX_SEEDS,
        "gradient-flow starts of `maxima`": MAX_BASIN_SAMPLES,
        "chain grid": MIN_GRID,
        "`pw.study.difficulty_sweep`": MAX_SWEEP_VALUES,
    }
    for label, value in rows.items():
        line = next((ln for ln in limits.splitlines() if label in ln), None)
        assert line is not None, label
        assert f"| {value}" in line or f" {value} " in line, (label, value, line)
    workers = next(ln for ln in limits.splitlines() if "`--workers`" in ln)
    assert f"/ {budget.WORKER_BYTES >> 20} MiB" in workers and "one per core" in workers
    assert f"up to {SYMBOLIC_MAX_STATES} states" in text
    # the old, wrong limit of the sweep section is gone
    assert "at most 100 values" not in text


# -- the site works offline ---------------------------------------------------------------
# What a browser *loads* (hyperlinks that a reader may follow, <a href>, are not loads):
# src= of any element, href= of <link> (stylesheets, icons), CSS url(...) and @import, and
# absolute URLs in JavaScript string literals (fetch, importScripts, src assignments).
_HOST = r"(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"


def _loads(pattern: str) -> re.Pattern:
    """A pattern whose group 1 is a URL on another host ({host} marks where it starts)."""
    return re.compile(pattern.replace("{host}", _HOST), re.I)


_HTML_LOADS = [
    _loads(r"""\ssrc\s*=\s*["']?({host}[^"' >]*)"""),
    _loads(r"""<link\b[^>]*\shref\s*=\s*["']?({host}[^"' >]*)"""),
    _loads(r"""url\(\s*["']?({host}[^"')]*)"""),
    _loads(r"""@import\s+(?:url\()?\s*["']?({host}[^"')\s;]*)"""),
]
_CSS_LOADS = _HTML_LOADS[2:]
_JS_LOADS = [_loads(r"""["'`]({host}[^"'`]*)""")]


def external_loads(name: str, text: str) -> set[str]:
    """URLs on other hosts that the file ``name`` (.html, .css or .js) makes a browser load."""
    suffix = name.rsplit(".", 1)[-1].lower()
    patterns = {"html": _HTML_LOADS, "css": _CSS_LOADS, "js": _JS_LOADS}.get(suffix, [])
    return {m.group(1) for p in patterns for m in p.finditer(text)}


def test_external_load_detection_has_teeth():
    cdn = "https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.8.0/highlight.min.js"
    page = (
        f'<script src="{cdn}"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/css?family=Lato">'
        '<a href="https://www.mkdocs.org/">MkDocs</a><img src="../img/x.png">'
    )
    assert external_loads("x.html", page) == {cdn, "//fonts.example.org/css?family=Lato"}
    css = "@import url('https://fonts.example.org/a.css'); .x { background: url(../img/y.png) }"
    assert external_loads("x.css", css) == {"https://fonts.example.org/a.css"}
    js = 'var a = "https://cdn.example.com/lib.js"; // see http://lunrjs.com\nx = p + "//" + h;'
    assert external_loads("x.js", js) == {"https://cdn.example.com/lib.js"}


def test_site_loads_nothing_from_another_host(site):
    site, _ = site
    found = {}
    for path in sorted(site.rglob("*")):
        if path.suffix.lower() in (".html", ".css", ".js"):
            urls = external_loads(path.name, path.read_text(encoding="utf-8", errors="replace"))
            if urls:
                found[str(path.relative_to(site))] = sorted(urls)
    assert found == {}


def test_code_is_highlighted_at_build_time(site):
    site, _ = site
    html = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert '<span class="kn">import</span>' in html  # Pygments' spans, no script needed
    assert "hljs" not in html and "highlight.min.js" not in html
    sheet = re.search(r'<link href="([^"]*pygments\.css)" rel="stylesheet"', html)
    assert sheet, "the Pygments stylesheet is not linked"
    css = (site / "tutorial" / sheet.group(1)).resolve()
    assert css.is_file() and ".highlight .kn" in css.read_text(encoding="utf-8")
