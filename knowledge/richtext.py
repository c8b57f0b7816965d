"""Rich text of articles and announcements: Trix in the browser, sanitised HTML
in the database.

viewflow 2 ships the Trix editor (``viewflow/js/trix.js``, ``viewflow/css/trix.css``)
but its open-source frontend does not wire it to a form field, so
``RichTextWidget`` renders what Trix needs: a hidden input holding the HTML
and a ``<trix-editor>`` bound to it. Whatever arrives is cleaned with ``nh3``
(an allow-list HTML sanitiser) before it is stored -- the editor is a
convenience, not a defence -- so a ``<script>``, an ``onclick`` or a
``javascript:`` link never reaches a page. File attachments in the editor
are refused (``static/knowledge/js/editor.js``); files belong to attachments.
"""

from __future__ import annotations

import html
import re

import nh3
from django import forms
from django.utils.html import format_html

#: What Trix produces (and a little more for pasted text), nothing else.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "hr",
    "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_BLOCK_END = re.compile(r"</(p|div|h[1-3]|li|blockquote|pre|tr)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def sanitize(value: str) -> str:
    """The HTML with only the allowed tags, attributes and link schemes."""
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def plain_text(value: str) -> str:
    """The text of (sanitised) HTML, a line per block, for search and diffs."""
    text = _BLOCK_END.sub("\n", value or "")
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


class RichTextWidget(forms.Widget):
    """A hidden input with the HTML and the Trix editor that edits it."""

    class Media:
        css = {"all": ["viewflow/css/trix.css"]}
        js = ["viewflow/js/trix.js", "knowledge/js/editor.js"]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        input_id = attrs.get("id") or f"id_{name}"
        return format_html(
            '<input type="hidden" id="{}" name="{}" value="{}">'
            '<trix-editor input="{}" class="trix-content crm-richtext" data-testid="editor-{}">'
            "</trix-editor>",
            input_id,
            name,
            value or "",
            input_id,
            name,
        )

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class RichTextField(forms.CharField):
    """A form field whose cleaned value is sanitised HTML."""

    widget = RichTextWidget

    def to_python(self, value):
        return sanitize(super().to_python(value))
