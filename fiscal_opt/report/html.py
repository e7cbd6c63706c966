"""One self-contained HTML page of a :class:`~fiscal_opt.report.content.Page`: inline CSS with a print
layout, charts as inline SVG, and the CJK font embedded as a subset of the characters the page
uses. Nothing is fetched: the file opens the same offline, on any machine. Every piece of text is
HTML-escaped, user text included.
"""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING

from . import charts
from .content import Page, Table, build_page
from .fonts import FAMILY, embedded_font_css
from .labels import Labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..results.result import Result

CSS = """
:root{--ink:#1c2530;--muted:#5f6b7a;--rule:#d9dee5;--accent:#1f4e79;--soft:#f2f6fa;--paper:#ffffff}
*{box-sizing:border-box}
html{background:#eef1f5}
body{margin:0;font-family:'%(family)s',system-ui,sans-serif;color:var(--ink);font-size:14.5px;line-height:1.6;
 -webkit-font-smoothing:antialiased}
.page{max-width:1000px;margin:24px auto;background:var(--paper);padding:40px 52px 32px;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
header{border-bottom:3px solid var(--accent);padding-bottom:14px;margin-bottom:22px}
.kicker{color:var(--accent);font-size:12px;letter-spacing:.08em;text-transform:uppercase;margin:0}
h1{font-size:26px;line-height:1.25;margin:4px 0 6px;font-weight:700}
.subtitle{margin:0;color:var(--muted);font-size:15px}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;margin:10px 0 0;padding:0;list-style:none;font-size:12.5px;
 color:var(--muted)}
.meta b{color:var(--ink);font-weight:600}
h2{font-size:18px;margin:30px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--rule);font-weight:700}
.summary{background:var(--soft);border-left:4px solid var(--accent);padding:14px 20px;margin:0}
.summary p{margin:0 0 7px}.summary p:last-child{margin:0}
.facts{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:18px 0 4px}
.fact{border:1px solid var(--rule);border-top:3px solid var(--accent);padding:10px 12px}
.fact .label{font-size:12px;color:var(--muted);line-height:1.35}
.fact .value{font-size:22px;font-weight:700;margin:3px 0 1px;font-variant-numeric:tabular-nums}
.fact .note{font-size:11.5px;color:var(--muted);line-height:1.35}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:0 28px}
figure{margin:14px 0 22px;break-inside:avoid;min-width:0}
figure.wide{grid-column:1 / -1}
figure svg{width:100%%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);margin-top:4px}
.table-wrap{overflow-x:auto;margin:6px 0 22px}
table{border-collapse:collapse;width:100%%;font-size:12.5px;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:700;font-size:14px;padding:4px 0 6px;caption-side:top}
th{background:#e9eef4;text-align:left;font-weight:600;padding:5px 8px;border-bottom:1px solid #b9c3cf;
 white-space:nowrap;vertical-align:bottom}
td{padding:4px 8px;border-bottom:1px solid #edf0f3;vertical-align:top;white-space:nowrap}
table.regions td:last-child{white-space:normal;font-size:11.5px;color:var(--muted);min-width:9em}
tbody tr:nth-child(even){background:#fafbfc}
.num{text-align:right;white-space:nowrap}
.units{font-size:12px;color:var(--muted);margin:4px 0 0}
dl{display:grid;grid-template-columns:200px 1fr;gap:8px 18px;margin:8px 0 0}
dt{font-weight:700}dd{margin:0}
footer{margin-top:30px;padding-top:10px;border-top:1px solid var(--rule);font-size:12px;color:var(--muted)}
@page{size:A4;margin:14mm 13mm}
@media print{
 html{background:none}body{font-size:10.5pt}
 .page{max-width:none;margin:0;padding:0;box-shadow:none}
 h2{break-after:avoid}table,figure,.fact,.summary{break-inside:avoid}
 tr{break-inside:avoid}thead{display:table-header-group}
 .table-wrap{overflow:visible}
 .facts{grid-template-columns:repeat(4,1fr)}
}
@media (max-width:720px){.page{padding:20px}.facts{grid-template-columns:repeat(2,1fr)}dl{grid-template-columns:1fr}}
"""

def html_report(result: Result, lang: str = "en") -> str:
    """The solve's report as one self-contained HTML page in ``lang`` (``en`` or ``zh``)."""
    return render(build_page(result, lang))


def render(page: Page) -> str:
    """``page`` as HTML; every string escaped."""
    e = html.escape
    meta = "".join(f"<li>{e(k)}: <b>{e(v)}</b></li>" for k, v in page.meta)
    facts = "".join(f"<div class='fact'><div class='label'>{e(label)}</div><div class='value'>{e(value)}</div>"
                    f"<div class='note'>{e(note)}</div></div>" for label, value, note in page.facts)
    summary = "".join(f"<p>{e(line)}</p>" for line in page.summary)
    figures = "".join(f"<figure id='chart-{e(c.name)}' data-chart='{e(c.name)}' class='{'wide' if c.wide else 'half'}'>"
                      f"{svg(c.figure)}<figcaption>{e(c.caption)}</figcaption></figure>" for c in page.charts)
    tables = "".join(table_html(t) for t in page.tables)
    terms = "".join(f"<dt>{e(term)}</dt><dd>{e(text)}</dd>" for term, text in page.glossary)
    lab = Labels(page.lang)
    headings = [lab(k) for k in ("summary", "charts", "tables", "glossary")]
    body = (f"<div class='page'><header><p class='kicker'>{e(lab('kicker'))}</p><h1>{e(page.title)}</h1>"
            f"<p class='subtitle'>{e(page.subtitle)}</p><ul class='meta'>{meta}</ul></header>"
            f"<section id='summary'><h2>{e(headings[0])}</h2><div class='summary'>{summary}</div>"
            f"<div class='facts'>{facts}</div></section>"
            f"<section id='charts'><h2>{e(headings[1])}</h2><div class='charts'>{figures}</div></section>"
            f"<section id='tables'><h2>{e(headings[2])}</h2>{tables}</section>"
            f"<section id='glossary'><h2>{e(headings[3])}</h2><dl>{terms}</dl></section>"
            f"<footer>{e(page.footer)}</footer></div>")
    title = f"{page.title}: {page.subtitle}"
    style = embedded_font_css(title + body) + CSS % {"family": FAMILY}
    lang = "zh-Hans" if page.lang == "zh" else "en"
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{e(title)}</title><style>{style}</style></head><body>{body}</body></html>\n")


def table_html(table: Table) -> str:
    """A table with its caption, units line and note."""
    e = html.escape
    head = "".join(f"<th class='num'>{e(c)}</th>" if n else f"<th>{e(c)}</th>"
                   for c, n in zip(table.columns, table.numeric))
    body = "".join("<tr>" + "".join(f"<td class='num'>{e(v)}</td>" if n else f"<td>{e(v)}</td>"
                                    for v, n in zip(row, table.numeric)) + "</tr>" for row in table.rows)
    note = f"<p class='units'>{e(table.note)}</p>" if table.note else ""
    return (f"<div class='table-wrap'><table class='{e(table.kind)}'><caption>{e(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p class='units'>{e(table.units)}</p>{note}</div>")


_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def svg(figure: Figure) -> str:
    """``figure`` as inline SVG markup (text as text, drawn with the page's font)."""
    buffer = io.StringIO()
    charts.save(figure, buffer, "svg", {"Date": None})
    return _PROLOG.sub("", buffer.getvalue(), count=1)
