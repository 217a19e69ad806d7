"""The coordinator portal: plain pages that work without JavaScript.

Views stay thin: reads come from `selectors`, every change goes through
`services.reports`, and a failed form is shown again with everything typed in it.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies.access import branches_of, coordinator_regions, is_project_office
from agencies.models import RegionalBranch
from projectoffice.body_size import body_limit, uploads_refused
from projectoffice.session_limits import keeps_unsaved_form, unsaved_form_take

from ..models import Report, ReportEvidence, ReportKind
from ..periods import Period, PeriodError
from ..selectors.portal import (
    due_reports,
    home_cards_rendered,
    is_branch_coordinator,
    kpi_context,
    register_figures,
    reopen_request_waiting,
    reopen_requests_waiting,
    reported_kpis,
)
from ..selectors.reporting import overdue_reports
from ..selectors.reports import (
    EDITABLE,
    closed_reason,
    reopened_notice,
    report_editable_by,
    reports_to_review,
    reports_visible_to,
    values_at_last_return,
)
from ..services.reopen_requests import reopen_request_create
from ..services.reports import (
    StaleReportError,
    report_approve,
    report_create,
    report_reopen,
    report_return,
    report_save_all,
)
from .forms import ReportForm, ReviewForm, evidence_too_large


def _cards(cards: list[Any]) -> str:
    return render_to_string("portal/home_cards.html", {"cards": cards})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    office = is_project_office(request.user)
    today = timezone.localdate()
    # The person's branches, read once for the reports due and the cards.
    branches = [] if office else list(branches_of(request.user))
    return render(
        request,
        "portal/home.html",
        {
            "office": office,
            "regions": [] if office else list({r.kato: r for r in coordinator_regions(request.user)}.values()),
            "due": [] if office else due_reports(request.user, today, branches),
            # The figures, rendered once per figures version (selectors/portal.py).
            "cards": "" if office else home_cards_rendered(request.user, today, branches, _cards),
            "reports": reports_visible_to(request.user).order_by("-period_start", "kind")[:50],
            "queue": reports_to_review()[:100] if office else [],
            "overdue": overdue_reports(user=request.user, today=timezone.localdate()) if office else [],
            "reopen_requests": reopen_requests_waiting()[:100] if office else [],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def report_start(request: HttpRequest) -> HttpResponse:
    branch = get_object_or_404(RegionalBranch.objects.select_related("region"), pk=request.POST.get("branch"))
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404
    try:
        period = Period.parse(request.POST.get("period", ""))
        report = report_create(branch=branch, kind=kind, period=period, user=request.user)  # type: ignore[arg-type]
    except PermissionDenied:
        raise Http404 from None
    except (ValidationError, PeriodError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("home")
    return redirect("report", pk=report.pk)


@login_required
@require_POST
def report_ask_reopen(request: HttpRequest) -> HttpResponse:
    """A coordinator asks the office to reopen a report closed by its due date."""
    branch = get_object_or_404(RegionalBranch.objects.select_related("region"), pk=request.POST.get("branch"))
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404
    try:
        period = Period.parse(request.POST.get("period", ""))
        reopen_request_create(
            branch=branch, kind=kind, period=period, user=request.user, reason=request.POST.get("reason", "")
        )
    except PermissionDenied:
        raise Http404 from None
    except (ValidationError, PeriodError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("home")
    messages.success(
        request, _("The project office was asked to reopen the report; it stays closed until the office decides.")
    )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)  # the report's page, when asked from there
    return redirect("home")


@login_required
@require_POST
def report_reopen_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The office reopens a closed report for a limited time, from its home page."""
    if not is_project_office(request.user):
        raise Http404
    report = _report_or_404(request, pk)
    try:
        report = report_reopen(report=report, user=request.user)  # type: ignore[arg-type]
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        until = date_format(timezone.localtime(report.reopened_until), "SHORT_DATETIME_FORMAT")
        messages.success(request, _("%(report)s reopened until %(until)s.") % {"report": report, "until": until})
    return redirect("home")


def _report_or_404(request: HttpRequest, pk: int) -> Report:
    """Another region's report is not found, rather than forbidden: its existence is not told."""
    return get_object_or_404(
        reports_visible_to(request.user).prefetch_related("lines__indicator", "evidence", "settlements__settlement"),
        pk=pk,
    )


@body_limit(
    "MAX_EVIDENCE_FILE_BYTES",
    evidence=True,
    refused=gettext_lazy(
        "What you sent is %(size)s MB; an evidence file may be at most %(file)s MB. "
        "Nothing was saved: enter the values again and attach a smaller file."
    ),
)
@keeps_unsaved_form
@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    kpis = list(reported_kpis())
    context = kpi_context(report, kpis)
    lock = None if report_editable_by(report, request.user) else closed_reason(report)
    # Closed by its due date: its coordinator's way forward is to ask the office to reopen it.
    may_ask_reopen = bool(lock) and report.state in EDITABLE and is_branch_coordinator(request.user, report.branch)
    # What was typed when the session ended (projectoffice/session_limits.py): back in the form, unsaved.
    unsaved = unsaved_form_take(request) if request.method == "GET" else None
    if unsaved is not None:
        messages.warning(
            request, _("Your session had ended before this was saved. What you typed is below, not saved yet: save it.")
        )
    form = ReportForm(
        request.POST or unsaved,
        request.FILES or None,
        report=report,
        kpis=kpis,
        context=context,
        submitting=request.POST.get("action") == "submit",
    )
    # A file over the evidence limit was left out as it arrived (projectoffice/body_size.py):
    # refused beside its field, everything else typed shown back, nothing saved.
    refused = uploads_refused(request) if request.method == "POST" else []
    if request.method == "POST":
        if lock:
            messages.error(request, lock)
        elif refused or not form.is_valid():
            for upload in refused:
                form.add_error("evidence", evidence_too_large(upload.name))
            if request.FILES or refused:
                form.add_error(None, _("Nothing was saved. Fix what is marked and attach the file again."))
        else:
            submitting = request.POST.get("action") == "submit"
            try:
                report = report_save_all(
                    report=report,
                    version=form.cleaned_data["version"],
                    values=form.values(),
                    narrative=form.cleaned_data["narrative"],
                    evidence=form.cleaned_data.get("evidence"),
                    settlement=form.settlement_joined(),
                    submit=submitting,
                    user=request.user,  # type: ignore[arg-type]
                )
                if submitting:
                    messages.success(request, _("The report was submitted to the project office."))
                else:
                    messages.success(request, _("The draft was saved."))
                return redirect("report", pk=report.pk)
            except StaleReportError as exc:
                form.add_error(
                    None, " ".join(exc.messages) + " " + _("Your values are below; check them and save again.")
                )
                # Saving again now overwrites the other tab's save, knowingly: the newer version goes in.
                form.data = request.POST.copy()
                form.data["version"] = str(Report.objects.values_list("version", flat=True).get(pk=report.pk))
            except ValidationError as exc:
                # Nothing was saved (report_save_all is one transaction): the form keeps
                # what was typed and the version it was opened at.
                form.add_error(None, " ".join(exc.messages))
    lines = {line.indicator_id: line for line in report.lines.all()}
    rows = form.rows()
    for row in rows:
        row["line"] = lines.get(row["kpi"].pk)
    return render(
        request,
        "portal/report.html",
        {
            "report": report,
            "form": form,
            "rows": rows,
            "register_figures": register_figures(report),
            "lock": lock,
            "reopened": reopened_notice(report),
            "may_ask_reopen": may_ask_reopen,
            "reopen_asked": reopen_request_waiting(report) if may_ask_reopen else None,
            "office": is_project_office(request.user),
            "has_settlements": form.fields["settlement"].queryset.exists(),  # type: ignore[attr-defined]
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
def evidence_file(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """Evidence is served only to those who may open its report."""
    report = _report_or_404(request, pk)
    evidence = get_object_or_404(ReportEvidence, pk=evidence_pk, report=report)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


@login_required
def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_project_office(request.user):
        raise Http404
    report = _report_or_404(request, pk)
    form = ReviewForm(request.POST or None, report=report)
    around = kpi_context(report, [line.indicator for line in form.lines])
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "approve":
                report_approve(report=report, version=form.cleaned_data["version"], user=request.user)  # type: ignore[arg-type]
                messages.success(request, _("The report was approved and its values published."))
            else:
                report_return(
                    report=report,
                    reason=form.cleaned_data["reason"],
                    line_reasons=form.line_reasons(),
                    version=form.cleaned_data["version"],
                    user=request.user,  # type: ignore[arg-type]
                )
                messages.success(request, _("The report was returned to the coordinator."))
            return redirect("home")
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
    before = values_at_last_return(report)
    lines: list[dict[str, Any]] = [
        {
            "line": line,
            "field": form[f"line_{line.pk}"],
            "before": before.get(line.pk),
            "around": around.get(line.indicator_id),
        }
        for line in form.lines
    ]
    return render(request, "portal/review.html", {"report": report, "form": form, "lines": lines})
