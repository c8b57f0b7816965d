"""``{% header_frames %}``: the Turbo frames that later apps put in the page
header (``crm.panels.header_frames``). Writes tags only; never queries."""

from django import template
from django.urls import reverse
from django.utils.html import format_html_join

from crm.panels import header_frames as registry

register = template.Library()


@register.simple_tag
def header_frames() -> str:
    return format_html_join(
        "",
        '<turbo-frame id="crm-header-{}" src="{}" target="_top"></turbo-frame>',
        ((frame.key, reverse(frame.url_name)) for frame in registry),
    )
