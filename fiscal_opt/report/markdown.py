"""The report as Markdown: the same :class:`~fiscal_opt.report.content.Page` as the HTML page, with
the charts as PNG files in ``charts/`` beside ``report.md``.

All text is escaped for Markdown: HTML-escaped (viewers render HTML) and with the characters of
link, image, emphasis, code and table syntax backslash-escaped, so a region called
``[click](javascript:…)`` or ``![](http://…)`` is shown as written, never as a link or an image.
"""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING

from . import charts
from .content import Page, Table, build_page
from .labels import Labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..results.result import Result

CHART_FOLDER = "charts"
"""The folder beside report.md that holds its chart images."""

_SYNTAX = re.compile(r"([\\`*_\[\]|#!~])")


def escape(text: str) -> str:
    """``text`` safe inside Markdown: HTML-escaped, Markdown syntax characters backslash-escaped,
    line breaks flattened to spaces."""
    flat = " ".join(str(text).split())
    return _SYNTAX.sub(r"\\\1", html.escape(flat, quote=False))


def markdown_report(result: Result, lang: str = "en") -> tuple[str, dict[str, bytes]]:
    """The solve's report as Markdown in ``lang``, and its chart images by path relative to report.md."""
    return render(build_page(result, lang))


def render(page: Page) -> tuple[str, dict[str, bytes]]:
    """``page`` as Markdown text and PNG files (``charts/NAME.png``)."""
    e = escape
    lab = Labels(page.lang)
    headings = [lab(k) for k in ("summary", "key_figures", "charts", "tables", "glossary")]
    lines = [f"# {e(page.title)}: {e(page.subtitle)}", "",
             " · ".join(f"{e(k)}: **{e(v)}**" for k, v in page.meta), "", f"## {headings[0]}", ""]
    for sentence in page.summary:
        lines += [e(sentence), ""]
    lines += [f"## {headings[1]}", ""]
    lines += [f"- **{e(label)}**: {e(value)} ({e(note)})" for label, value, note in page.facts] + [""]
    files: dict[str, bytes] = {}
    lines += [f"## {headings[2]}", ""]
    for chart in page.charts:
        path = f"{CHART_FOLDER}/{chart.name}.png"
        files[path] = png(chart.figure)
        lines += [f"![{e(chart.caption)}]({path})", "", f"*{e(chart.caption)}*", ""]
    lines += [f"## {headings[3]}", ""]
    for table in page.tables:
        lines += table_markdown(table)
    lines += [f"## {headings[4]}", ""]
    lines += [f"- **{e(term)}**: {e(text)}" for term, text in page.glossary] + ["", f"*{e(page.footer)}*", ""]
    return "\n".join(lines), files


def table_markdown(table: Table) -> list[str]:
    """A table as Markdown lines: its title, a pipe table (numbers right-aligned), units, note."""
    e = escape
    out = [f"### {e(table.title)}", "", "| " + " | ".join(e(c) for c in table.columns) + " |",
           "|" + "|".join("---:" if n else "---" for n in table.numeric) + "|"]
    out += ["| " + " | ".join(e(v) for v in row) + " |" for row in table.rows]
    out += ["", e(table.units)]
    if table.note:
        out += ["", e(table.note)]
    return out + [""]


def png(figure: Figure) -> bytes:
    """``figure`` as PNG bytes (150 dpi), the same bytes for the same figure."""
    buffer = io.BytesIO()
    charts.save(figure, buffer, "png", {"Software": None})
    return buffer.getvalue()
