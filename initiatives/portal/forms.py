"""The report form: one value and one comment per KPI, the narrative, and the version the
person opened, so a save from a stale tab is caught."""

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from projectoffice.numbers import exact_text
from regions.models import Region

from ..models import Indicator, Report, Unit
from ..selectors.portal import KpiContext
from ..services.reports import SettlementJoined
from ..value_bound import MAX_DECIMAL_PLACES, validate_value_bound

# A value more than this share away from last period's (or last year's) needs a comment.
OUTLIER_SHARE = Decimal("0.5")


# Digits, one decimal point, a minus sign (refused as negative, by min_value, in its own words).
TYPED_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
# Languages whose people write the decimal point as a comma (12,5); in English a comma
# groups thousands, so it is refused there rather than read one way or the other.
DECIMAL_COMMA = ("kk", "ru")


class TypedNumberField(forms.DecimalField):
    """A number typed into a text input, read on the server as typed.

    An <input type=number> sends an empty string for anything the browser cannot read
    ("5e", "12,5" in some browsers), so the server could not tell a cleared field from
    unreadable input, and dropped both. A text input sends what was typed: empty means
    cleared, anything else is a number or an error on its field, with the text kept."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs' DecimalField returns int
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value or ""))  # spaces that group thousands
        if not text:
            return None
        if (get_language() or "")[:2] in DECIMAL_COMMA and "." not in text:
            text = text.replace(",", ".")
        if not TYPED_NUMBER.match(text):
            raise forms.ValidationError(
                _("%(value)s is not a number: write digits, with a point for decimals (1234 or 12.5).")
                % {"value": str(value).strip()},
                code="invalid",
            )
        number: Decimal | None = super().to_python(text)
        return number


def evidence_too_large(name: str) -> str:
    """What a person reads of a file over the evidence limit, on the page and (with
    `{name}` for the file's name) from the browser's own check, in static/portal.js."""
    return _("%(name)s is larger than %(mb)s MB and was not attached: choose a smaller file.") % {
        "name": name,
        "mb": settings.MAX_EVIDENCE_FILE_BYTES // 10**6,
    }


class ReportForm(forms.Form):
    narrative = forms.CharField(
        label=gettext_lazy("Narrative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What was done in the period, what worked, what got in the way."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    evidence = forms.FileField(
        label=gettext_lazy("Evidence file"),
        required=False,
        help_text=gettext_lazy("PDF, JPEG, PNG or XLSX, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.xlsx"}),
    )
    settlement = forms.ModelChoiceField(
        label=gettext_lazy("A village joined the alcohol-free campaign"), queryset=Region.objects.none(), required=False
    )
    decided_on = forms.DateField(
        label=gettext_lazy("Date of the village assembly's decision"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    settlement_note = forms.CharField(label=gettext_lazy("Decision (number, protocol)"), required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        report: Report,
        kpis: list[Indicator],
        context: dict[int, KpiContext],
        submitting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The comment a far-off value needs is asked for on submitting; a draft may wait.
        self.submitting = submitting
        self.kpis = kpis
        self.context = context
        lines = {line.indicator_id: line for line in report.lines.all()}
        for kpi in kpis:
            line = lines.get(kpi.pk)
            self.fields[f"value_{kpi.pk}"] = TypedNumberField(
                label=kpi.name,
                required=False,
                min_value=Decimal(0),
                decimal_places=MAX_DECIMAL_PLACES,
                validators=[validate_value_bound],
                initial=exact_text(line.value, 0) if line else None,
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": _("Value")}
                ),
            )
            self.fields[f"comment_{kpi.pk}"] = forms.CharField(
                label=_("Comment on %(kpi)s") % {"kpi": kpi.name},
                required=False,
                initial=line.comment if line else "",
                widget=forms.TextInput(attrs={"placeholder": _("Comment")}),
            )
        # For the browser's size check before sending (static/portal.js), in the page's language.
        self.fields["evidence"].widget.attrs.update(
            {"data-max-bytes": str(settings.MAX_EVIDENCE_FILE_BYTES), "data-too-large": evidence_too_large("{name}")}
        )
        self.fields["narrative"].initial = report.narrative
        self.fields["settlement"].queryset = Region.objects.within(report.branch.region).filter(level__gte=3)  # type: ignore[attr-defined]
        self.fields["version"].initial = report.version

    def rows(self) -> list[dict[str, Any]]:
        """Each KPI with its fields and the figures beside it, for the template."""
        return [
            {
                "kpi": kpi,
                "value": self[f"value_{kpi.pk}"],
                "comment": self[f"comment_{kpi.pk}"],
                "context": self.context.get(kpi.pk),
                "line": None,
            }
            for kpi in self.kpis
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("settlement") and not data.get("decided_on"):
            self.add_error("decided_on", _("Give the date of the village assembly's decision."))
        for kpi in self.kpis:
            value = data.get(f"value_{kpi.pk}")
            comment = (data.get(f"comment_{kpi.pk}") or "").strip()
            if value is not None and Unit(kpi.unit).is_counted and value != value.to_integral_value():
                # Events held, people reached: "12,5" is a slip of the finger, not a figure.
                self.add_error(
                    f"value_{kpi.pk}",
                    _("%(kpi)s is counted in whole numbers: %(value)s is not one.")
                    % {"kpi": kpi.name, "value": exact_text(value, 0)},
                )
                continue
            if value is None and comment and f"value_{kpi.pk}" not in self.errors:
                # A value cleared, or never typed, takes its comment with it: say so rather than drop it.
                self.add_error(
                    f"comment_{kpi.pk}", _("A comment goes with a value: enter the value, or clear the comment.")
                )
                continue
            around = self.context.get(kpi.pk)
            if not self.submitting or value is None or around is None or comment:
                continue
            for reference, when in ((around.previous, _("last period")), (around.year_before, _("a year before"))):
                if reference and abs(value - reference) > reference * OUTLIER_SHARE:
                    self.add_error(
                        f"comment_{kpi.pk}",
                        _("%(value)s is far from %(reference)s %(when)s: say why in the comment.")
                        % {"value": exact_text(value, 0), "reference": exact_text(reference, 0), "when": when},
                    )
                    break
        return data

    def settlement_joined(self) -> SettlementJoined | None:
        if not self.cleaned_data.get("settlement"):
            return None
        return SettlementJoined(
            settlement=self.cleaned_data["settlement"],
            decided_on=self.cleaned_data["decided_on"],
            note=self.cleaned_data.get("settlement_note", ""),
        )

    def values(self) -> dict[Indicator, tuple[Decimal | None, str]]:
        """Every KPI of the form: its value and comment, None for a field left empty (a
        value the report holds is then cleared)."""
        return {
            kpi: (self.cleaned_data.get(f"value_{kpi.pk}"), (self.cleaned_data.get(f"comment_{kpi.pk}") or "").strip())
            for kpi in self.kpis
        }


class ReviewForm(forms.Form):
    # The version the reviewer opened: a report saved since is not approved unseen.
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("What to fix in the report as a whole"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = report.version
        self.lines = list(report.lines.select_related("indicator"))
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.CharField(
                label=_("What to fix in %(kpi)s") % {"kpi": line.indicator.name},
                required=False,
                initial=line.return_reason,  # what was asked last time, to keep or clear
            )

    def line_reasons(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}", "") for line in self.lines}
