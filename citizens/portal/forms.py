"""The register's forms. Personal fields are never written back into the page, not even
after a failed submit (their inputs come back empty), and their errors name the rule,
never the value."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import RegionalBranch

from ..models import Channel, CitizenReportStatus, Offence, Reward
from ..rules import date_problems, personal_data_problems


class NoEchoInput(forms.TextInput):
    """A text input that never renders a value back into the page."""

    def format_value(self, value: Any) -> None:
        return None


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO whatever the language: the locale's
    format ("02.12.2026" in kk and ru) is one the browser rejects, leaving the field empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or "%Y-%m-%d")


class PersonalDataForm(forms.Form):
    iin = forms.CharField(label=_("IIN"), max_length=12, widget=NoEchoInput(attrs={"inputmode": "numeric"}))
    full_name = forms.CharField(label=_("full name"), max_length=255, widget=NoEchoInput)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False, widget=NoEchoInput)

    PERSONAL = ("iin", "full_name", "phone")

    def not_kept(self) -> list[str]:
        """The personal fields typed into a form that failed: their inputs come back empty,
        and the page says so, or the person would think them kept."""
        if not self.is_bound or not self.errors:
            return []
        return [name for name in self.PERSONAL if str(self.data.get(name) or "").strip()]

    def not_kept_labels(self) -> str:
        return ", ".join(str(self.fields[name].label) for name in self.not_kept())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, message in personal_data_problems(
            iin=(data.get("iin") or "").strip(),
            full_name=(data.get("full_name") or "").strip(),
            phone=data.get("phone") or "",
        ):
            if name not in self.errors:
                self.add_error(name, message)
        return data


class CitizenReportForm(PersonalDataForm):
    branch = forms.ModelChoiceField(label=_("regional branch"), queryset=RegionalBranch.objects.none())
    received_on = forms.DateField(label=_("received on"), widget=DateInput)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    offence = forms.ChoiceField(label=_("offence category"), choices=Offence.choices)
    law_enforcement_staff = forms.BooleanField(label=_("law-enforcement staff"), required=False)

    field_order = ["branch", "received_on", "channel", "offence", "law_enforcement_staff", "iin", "full_name", "phone"]

    def __init__(self, *args: Any, branches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["branch"]
        field.queryset = branches  # type: ignore[attr-defined]
        if len(branches) == 1:
            field.initial = branches[0]
        self.fields["received_on"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, message in date_problems(
            field="received_on", day=data.get("received_on"), today=timezone.localdate()
        ):
            self.add_error(name, message)
        return data


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=_("outcome of the check"),
        choices=[(s.value, s.label) for s in CitizenReportStatus if s != CitizenReportStatus.RECEIVED],
    )
    decided_on = forms.DateField(label=_("date of the decision"), widget=DateInput)
    decision_no = forms.CharField(label=_("number of the procedural decision"), max_length=100, required=False)


class RewardForm(forms.Form):
    reward = forms.ChoiceField(label=_("reward"), choices=Reward.choices)
    amount_kzt = forms.DecimalField(
        label=_("amount, tenge"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    awarded_on = forms.DateField(label=_("date of the award"), widget=DateInput, required=False)
    paid_on = forms.DateField(label=_("date paid"), widget=DateInput, required=False)
    law_enforcement_staff = forms.BooleanField(label=_("law-enforcement staff"), required=False)
