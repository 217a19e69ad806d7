"""The register in the portal, for a branch's staff: register a citizen's report, record
the outcome of the check, and (the branch head) the reward. Only the user's own
branches: another branch's report is not found. Personal data are shown masked."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from agencies.access import branches_of

from ..models import CitizenReportStatus
from ..selectors import (
    KEEPER_ROLES,
    citizen_reports_kept_by,
    is_branch_head,
    register_counts,
    same_person_count,
)
from ..services import citizen_report_decide, citizen_report_register, citizen_report_reward
from .forms import CitizenReportForm, DecisionForm, RewardForm

PAGE_SIZE = 50


def _own_reports(request: HttpRequest) -> Any:
    reports = citizen_reports_kept_by(request.user)
    if reports is None:
        raise Http404  # the register is kept by branches; others have no page here
    return reports


def _refused(form: Form, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# Django's error reports (the debug page, mails to admins) show these as stars.
PERSONAL_POST = ("iin", "full_name", "phone")


@sensitive_post_parameters(*PERSONAL_POST)
@login_required
def register_page(request: HttpRequest) -> HttpResponse:
    reports = _own_reports(request)
    branches = branches_of(request.user, roles=KEEPER_ROLES)
    form = CitizenReportForm(request.POST or None, branches=branches)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = citizen_report_register(
                branch=data["branch"],
                received_on=data["received_on"],
                channel=data["channel"],
                offence=data["offence"],
                law_enforcement_staff=data["law_enforcement_staff"],
                iin=data["iin"],
                full_name=data["full_name"],
                phone=data["phone"],
                user=request.user,  # type: ignore[arg-type]
            )
        except (ValidationError, PermissionDenied) as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("The report was registered."))
            return redirect("citizen_report", pk=report.pk)
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "citizens/register.html",
        {"form": form, "page": page, "counts": register_counts(reports)},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(_own_reports(request), pk=pk)
    head = is_branch_head(request.user, report.branch)
    action = request.POST.get("action") if request.method == "POST" else None
    decision = DecisionForm(request.POST if action == "decide" else None)
    reward = RewardForm(
        request.POST if action == "reward" else None,
        initial={
            "reward": report.reward,
            "amount_kzt": report.amount_kzt,
            "awarded_on": report.awarded_on,
            "paid_on": report.paid_on,
            "law_enforcement_staff": report.law_enforcement_staff,
        },
    )
    user: Any = request.user
    try:
        if action == "decide" and decision.is_valid():
            citizen_report_decide(report=report, user=user, **decision.cleaned_data)
            messages.success(request, _("The outcome of the check was recorded."))
            return redirect("citizen_report", pk=report.pk)
        if action == "reward" and reward.is_valid():
            citizen_report_reward(report=report, user=user, **reward.cleaned_data)
            messages.success(request, _("The reward was recorded."))
            return redirect("citizen_report", pk=report.pk)
    except (ValidationError, PermissionDenied) as exc:
        _refused(decision if action == "decide" else reward, exc)
    return render(
        request,
        "citizens/report.html",
        {
            "report": report,
            "decision": decision if report.status == CitizenReportStatus.RECEIVED else None,
            # Shown to the head once confirmed; and whenever a reward was just refused, to say why.
            "reward": reward
            if action == "reward" or (head and report.status == CitizenReportStatus.CONFIRMED)
            else None,
            "head": head,
            "same_person": same_person_count(report),
        },
        status=400 if action else 200,
    )
