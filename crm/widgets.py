"""Form widgets for pages that must render fast.

Django renders a ``<select>`` through one template per ``<option>``: a list of
a few hundred owners costs tens of milliseconds, more than the query behind
the page. ``PlainSelect`` writes the same HTML in Python; ``ListedChoices``
lets a model choice field read its queryset once, as a plain query, instead
of through a server-side cursor (three round trips) each time it is iterated.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe


class PlainSelect(forms.Select):
    """A single ``<select>`` rendered without templates: the same markup as
    ``forms.Select`` (id, name, attributes, option groups, the selected value)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        parts: list[str] = []
        state = {"selected": False}

        def option(option_value, label) -> str:
            text = "" if option_value is None else str(option_value)
            selected = not state["selected"] and text in chosen
            state["selected"] = state["selected"] or selected
            return '<option value="{}"{}>{}</option>'.format(
                conditional_escape(text),
                " selected" if selected else "",
                conditional_escape(label),
            )

        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                inner = "".join(option(v, lbl) for v, lbl in label)
                parts.append(
                    f'<optgroup label="{conditional_escape(option_value)}">{inner}</optgroup>'
                )
            else:
                parts.append(option(option_value, label))
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final_attrs), mark_safe("".join(parts))
        )


class ListedChoices(ModelChoiceIterator):
    """Choices of a ``ModelChoiceField`` from its queryset, read once per form."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once, then its result cache
            yield self.choice(obj)

    def __len__(self):
        return len(self.queryset) + (1 if self.field.empty_label is not None else 0)


class _PlainInputMixin:
    """An ``<input>`` written in Python, as ``django/forms/widgets/input.html`` writes it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_attr = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            value_attr,
            flatatt(widget["attrs"]),
        )


class PlainTextInput(_PlainInputMixin, forms.TextInput):
    pass


class PlainCheckboxInput(_PlainInputMixin, forms.CheckboxInput):
    pass
