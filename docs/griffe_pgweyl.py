"""Griffe extension: render pgweyl's docstring dialect with mkdocstrings (docs/api.md).

pgweyl's docstrings are plain text with three habits Markdown does not know; this
extension rewrites each docstring as it is loaded (the source files are not touched):

- Sphinx roles, ``:func:`~pgweyl.x.f``` → a code span `` `f` `` (the full path without ``~``);
- doctest blocks (``>>>`` lines and their output) → fenced ``pycon`` code blocks;
- items of numpy sections written ``name : description`` on one line (pgweyl's habit)
  → ``name`` with the description indented below it, as the numpy parser expects (it
  would otherwise read the description as the type); two items on one line, separated
  by three or more spaces, are split.

Loaded by mkdocs.yml (``handlers.python.options.extensions``).
"""

from __future__ import annotations

import re

from griffe import Extension

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`(~?)([^`]+)`")
_SECTION_HEADER = re.compile(r"^(Parameters|Attributes|Other Parameters)\s*$")
_UNDERLINE = re.compile(r"^-{3,}\s*$")
_ITEM = re.compile(r"^(?P<names>\*{0,2}[A-Za-z_][\w]*(?:, \*{0,2}[A-Za-z_]\w*)*) : (?P<desc>.*)$")
_SPLIT = re.compile(r"\s{3,}(?=\*{0,2}[A-Za-z_]\w*(?:, \*{0,2}[A-Za-z_]\w*)* : )")


def _role(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def _fence_doctests(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip():
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
        if i < len(lines):
            out.append("")
    return out


def _numpy_items(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_section = False
    for i, line in enumerate(lines):
        if _SECTION_HEADER.match(line) and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]):
            in_section = True
            out.append(line)
            continue
        if in_section and not line.strip():
            # A blank line followed by text at the margin that is not an item ends it.
            nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
            if nxt and not nxt.startswith(" ") and not _ITEM.match(nxt):
                in_section = False
            out.append(line)
            continue
        if in_section and not line.startswith(" ") and not _UNDERLINE.match(line):
            for part in _SPLIT.split(line):
                item = _ITEM.match(part.strip())
                if item:
                    out.append(item["names"])
                    out.append("    " + item["desc"])
                else:
                    out.append(part)
            continue
        out.append(line)
    return out


def rewrite(text: str) -> str:
    """The docstring ``text`` in the form mkdocstrings renders (see the module docstring)."""
    text = _ROLE.sub(_role, text)
    lines = _numpy_items(text.split("\n"))
    return "\n".join(_fence_doctests(lines))


class PgweylDocstrings(Extension):
    """Rewrite every docstring of the loaded objects (:func:`rewrite`)."""

    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
