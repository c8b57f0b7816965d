"""Charts: plotly.js from our static files, figures as inert JSON."""

import json
import re

import plotly.graph_objects as go
from django.contrib.staticfiles import finders

from crm.charts import PLOTLY_JS, chart_html, chart_scripts


def test_plotly_js_is_served_from_the_installed_package():
    found = finders.find(PLOTLY_JS)
    assert found and found.endswith("plotly.min.js")
    assert "/static/plotly/plotly.min.js" in chart_scripts()


def test_figure_json_cannot_break_out_of_its_script_tag():
    figure = go.Figure(go.Bar(x=["</script><b>x</b>"], y=[1]))
    html = chart_html(figure, testid="funnel")
    assert html.count("</script>") == 1
    payload = re.search(r'<script type="application/json">(.*)</script>', html).group(1)
    assert json.loads(payload)["data"][0]["x"] == ["</script><b>x</b>"]
    assert 'data-testid="funnel"' in html
