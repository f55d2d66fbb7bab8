"""A report as one self-contained HTML page: its plots as inline SVG (pygal), its table,
and a print style, so that it can be mailed, opened offline and printed on A4.

Nothing is fetched when the page opens: pygal's tooltip script is left out (`js=[]`), the
SVG is inline and the style is in the page.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

from wallboard.live.history.report import Report, cell_text

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#777",
    colors=("#1f6fb2", "#c0392b", "#e69f00", "#2a9d5c"),
    font_family="sans-serif",
    # The limit lines of the rate plots (`LIMIT_LINES`) are the chart's major guides.
    major_guide_stroke_color="#c0392b",
    major_guide_stroke_dasharray="6,3",
    guide_stroke_color="#ddd",
)

_CSS = """
body { font-family: sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.4em; }
p.note { color: #444; font-size: 0.9em; }
table { border-collapse: collapse; margin-top: 1em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25em 0.6em; }
th { text-align: left; background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; max-width: 60em; }
figure svg { width: 100%; height: auto; }
@media print {
  body { margin: 0; font-size: 10pt; }
  figure { page-break-inside: avoid; max-width: 100%; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  th { background: none; border-bottom: 2px solid #000; }
}
@page { size: A4 landscape; margin: 12mm; }
"""

#: The lines drawn on abandon plots: where supervisors act, the add-ons' red line, the rule.
LIMIT_LINES = (2.5, 2.8, 3.0)


def _chart(title: str, series: dict[str, Sequence[tuple[str, float | None]]], rates: bool) -> str:
    extra: dict[str, object] = {}
    if rates:
        # Guides at 2.5%, 2.8% and 3% (drawn red, dashed), and whole percents above.
        top = max([0.0, *(v for points in series.values() for _, v in points if v is not None)])
        steps = [float(n) for n in range(0, int(top) + 2, max(1, int(top) // 8 or 1))]
        extra = {
            "y_labels": sorted({*steps, *LIMIT_LINES}),
            "y_labels_major": list(LIMIT_LINES),
            "show_minor_y_labels": True,
        }
    chart = pygal.Bar(
        style=_STYLE,
        js=[],  # no script fetched from the network: the page stands alone
        disable_xml_declaration=True,
        width=900,
        height=360,
        x_label_rotation=30 if len(next(iter(series.values()), ())) > 8 else 0,
        show_legend=len(series) > 1 or rates,
        legend_at_bottom=True,
        print_values=False,
        title=title,
        **extra,
    )
    labels = [label for label, _ in next(iter(series.values()), ())]
    chart.x_labels = labels
    for name, points in series.items():
        chart.add(name, [value for _, value in points])
    return str(chart.render(is_unicode=True))


def plots_of(report: Report) -> list[str]:
    """The report's plots as SVG text."""
    plots = report.plots
    if not plots or not any(plots.values()):
        return []
    rates = {k: v for k, v in plots.items() if "abandon" in k}
    counts = {k: v for k, v in plots.items() if "abandon" not in k}
    svgs = []
    if counts:
        svgs.append(_chart(f"Calls by {report.by}", counts, rates=False))
    if rates:
        svgs.append(_chart(f"Abandon rate by {report.by}, %", rates, rates=True))
    return svgs


def as_html(report: Report) -> str:
    """The whole page."""
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in report.columns)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="{"t" if c.kind == "text" else "n"}">'
            f"{html.escape(cell_text(v, c.kind))}</td>"
            for v, c in zip(row, report.columns, strict=True)
        )
        + "</tr>"
        for row in report.rows
    )
    figures = "\n".join(f"<figure>{svg}</figure>" for svg in plots_of(report))
    empty = "" if report.rows else "<p>Nothing in the history store for this period.</p>"
    title = html.escape(report.title)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_CSS}</style></head>
<body>
<h1>{title}</h1>
<p class="note">Times in {html.escape(report.tz)}. {html.escape(report.note)}</p>
{figures}
<table><thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody></table>
{empty}
</body></html>
"""
