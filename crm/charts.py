"""Plotly charts rendered on the server, drawn by ``plotly.min.js`` from our
own static files (no CDN, no inline script: the page's CSP allows neither).

A view builds a ``plotly.graph_objects.Figure`` from figures it computed in
SQL and passes ``chart_html(figure)`` to its template; the markup is a
``<crm-plotly>`` element whose JSON the small ``crm/js/charts.js`` hands to
Plotly when the element is attached (also after Turbo navigations).
"""

from __future__ import annotations

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

#: Where the installed plotly package's bundle is served (see STATICFILES_DIRS).
PLOTLY_JS = "plotly/plotly.min.js"

_LAYOUT = {
    "margin": {"l": 40, "r": 20, "t": 30, "b": 40},
    "font": {"family": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", Roboto, sans-serif'},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


def chart_html(figure, *, height: int = 360, testid: str = "chart") -> SafeString:
    """The markup that draws ``figure``; include ``chart_scripts()`` once."""
    figure.update_layout(**_LAYOUT)
    figure.update_layout(height=height)
    # ``to_json`` escapes "<", ">" and "&", so the JSON cannot close the tag.
    return format_html(
        '<crm-plotly data-testid="{}" style="display:block;min-height:{}px">'
        '<script type="application/json">{}</script></crm-plotly>',
        testid,
        height,
        SafeString(figure.to_json(engine="json")),
    )


def chart_scripts() -> SafeString:
    """The two script tags charts need (plotly and our element)."""
    return format_html(
        '<script src="{}"></script><script src="{}"></script>',
        static(PLOTLY_JS),
        static("crm/js/charts.js"),
    )
