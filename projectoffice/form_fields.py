"""Form fields the apps share."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.text import capfirst


class PeriodField(forms.CharField):
    """A period typed the way the brief writes it (2025-09, 2025-Q3, 2025-01/2025-09), read
    by the app's own `parse`, which returns the period or raises ValueError in the reader's
    words: the form shows those words as they are. The kernel knows no period type; the
    app that owns periods says how one is read and which may be given."""

    def __init__(self, *, parse: Callable[[str], Any], **kwargs: Any) -> None:
        if kwargs.get("label"):  # as Django writes a model field's: "Period", like the others
            kwargs["label"] = capfirst(kwargs["label"])
        super().__init__(**kwargs)
        self.parse = parse

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return text  # left empty in a field that may be: nothing to read
        try:
            return self.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid_period") from None
