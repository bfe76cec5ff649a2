"""Form widgets and fields that render long option lists in Python.

Django renders each ``<option>`` of a select through its own template include, after
building a dictionary of attributes per option (``ChoiceWidget.optgroups``), and a
``ModelChoiceField`` makes a model instance per option: for the register's filter form
(200 departments, twice) that was most of the page's time, and for the direction form
(every person of the agency) far more. These widgets write the same HTML straight from
the choices, and ``NameChoiceField`` reads its options as ``(pk, name)`` pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape
from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False or value is None:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(format_html(' {}="{}"', name, str(value)))
    return "".join(parts)


def _text(value: Any) -> str:
    """``value`` as escaped HTML text (already safe HTML is kept as it is)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value), quote=True)


class FastSelectMixin:
    """The HTML of ``django.forms.Select`` (and ``SelectMultiple``), written directly:
    same attributes, same ``selected`` rule (a single select marks only the first option
    holding the value), optgroups included."""

    allow_multiple_selected: bool
    choices: Iterable[Any]

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        wanted = set(self.format_value(value))  # type: ignore[attr-defined]
        html = [format_html('<select name="{}"', name), _attrs(final_attrs), ">"]
        chosen = False
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                html.append(f'<optgroup label="{_text(group_value)}">')
                options: Iterable[Any] = group_label
            else:
                options = ((group_value, group_label),)
            for option_value, option_label in options:
                key = "" if option_value is None else str(option_value)
                selected = key in wanted and (self.allow_multiple_selected or not chosen)
                chosen = chosen or selected
                html.append(
                    f'<option value="{_text(key)}"{" selected" if selected else ""}>'
                    f"{_text(option_label)}</option>"
                )
            if isinstance(group_label, list | tuple):
                html.append("</optgroup>")
        html.append("</select>")
        return mark_safe("".join(html))  # noqa: S308 - every part is escaped above


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass


class NameChoiceIterator(ModelChoiceIterator):
    """Options as ``(pk, name)`` read with ``values_list``: no model instance per option,
    and no server-side cursor (``ModelChoiceIterator`` walks ``queryset.iterator()``)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list("pk", cast(NameChoiceField, self.field).label_field)


class NameChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose options are labelled by one column (``name`` unless
    said otherwise): what the long filter selects need. Cleaning is Django's own (the
    chosen row is read by primary key)."""

    iterator = NameChoiceIterator

    def __init__(self, queryset: Any, *, label_field: str = "name", **kwargs: Any) -> None:
        self.label_field = label_field
        super().__init__(queryset, widget=kwargs.pop("widget", FastSelect), **kwargs)
