"""``{% attachments_frame record %}``: the record's attachments card as a lazy
Turbo frame (``crm.attachments.views.attachment_card``). Formats a URL; no query."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from crm.attachments.views import card_url, frame_id

register = template.Library()


@register.simple_tag
def attachments_frame(record):
    return format_html(
        '<turbo-frame id="{}" src="{}" loading="lazy" data-testid="attachments-frame">'
        '<p class="crm-muted">{}</p></turbo-frame>',
        frame_id(record),
        card_url(record),
        gettext("Loading attachments…"),
    )
