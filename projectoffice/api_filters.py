"""Filters of the API's lists that refuse what they cannot read, naming the filter.

A filter naming a record by its code (a KPI, an agency, a region) answers 400 with
`unknown_<thing>` when no such record exists, instead of an empty list that looks like
"no data"; every filter's text has a length limit. The backend turns a filter set's
errors into the API's error shape with each error's code and params
(projectoffice/api_errors.py). Knows no app: the models are given by the callers.
"""

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django_filters.rest_framework import DjangoFilterBackend

from .api_errors import CodedValidationError, django_field_errors, form_errors

# The longest text a filter reads: codes and KATO numbers are far shorter.
MAX_FILTER_LENGTH = 100


class CodeField(forms.CharField):
    def __init__(
        self, *, model: type[Model], to_field: str, unknown_code: str, unknown_message: str, **kwargs: Any
    ) -> None:
        kwargs.setdefault("max_length", MAX_FILTER_LENGTH)
        super().__init__(**kwargs)
        self.model = model
        self.to_field = to_field
        self.unknown_code = unknown_code
        self.unknown_message = unknown_message

    def clean(self, value: Any) -> Any:
        # After the field's own checks (length, NUL characters), so no query sees what they refuse.
        value = super().clean(value)
        if value and not self.model._default_manager.filter(**{self.to_field: value}).exists():
            raise ValidationError(self.unknown_message, code=self.unknown_code, params={"value": value})
        return value


class CodeFilter(django_filters.CharFilter):
    """`?kpi=crime.theft`: the rows of the record with that code; an unknown code is a
    400 (`unknown_code`, params `value`)."""

    field_class = CodeField

    def __init__(
        self,
        *,
        model: type[Model],
        to_field: str = "code",
        unknown_code: str,
        unknown_message: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model=model, to_field=to_field, unknown_code=unknown_code, unknown_message=unknown_message, **kwargs
        )


class TextFilter(django_filters.CharFilter):
    """A free-text filter (a period, a KATO code read by a method), limited in length."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_FILTER_LENGTH)
        super().__init__(**kwargs)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, whose 400 keeps each error's code and params; a filter
    method that cannot read its value (a region, a period) raises ValidationError naming it."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise CodedValidationError(django_field_errors(form_errors(filterset.form)))
        try:
            return filterset.qs  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise CodedValidationError(django_field_errors(exc)) from None
