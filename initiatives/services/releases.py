"""Publishing releases: freeze a period's figures, have a second member of the office
confirm them, derive what the public may see, and withdraw or correct a wrong release
without ever editing it. Every step is kept in the release's history (who and when)."""

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from projectoffice.audit import audited
from projectoffice.model_mixins import LANGUAGE_CODES, in_language

from ..engine.disclosure import SECONDARY, SHOWN, CellKey, Equation, suppress
from ..models import (
    CheckpointReason,
    Indicator,
    PublicFigure,
    Release,
    ReleaseFigure,
    ReleaseState,
    RollupCheckpoint,
    Unit,
)
from ..periods import Period, PeriodNotOver
from ..selectors.kpi_relations import kpi_relations
from ..selectors.public import public_generation_bump
from ..selectors.releases import release_figures_compute
from .checkpoints import checkpoint_in_outer_transaction, checkpoint_keep, checkpoint_take

logger = logging.getLogger(__name__)


class ReleaseError(Exception):
    """A release step that is not allowed as asked; the message says why."""


def _refuse_unless_over(period: Period) -> None:
    """A release covers only a period that is over: its figures are complete by then."""
    try:
        period.check_over(timezone.localdate())
    except PeriodNotOver as exc:
        raise ReleaseError(str(exc)) from None


def _titles(title: str, titles: Mapping[str, str] | None, default: Callable[[str], str]) -> dict[str, str]:
    """A title in each language: the one given for it, else `title`, else `default` in it."""
    given = {code: text.strip() for code, text in (titles or {}).items()}
    chosen = {}
    for code in LANGUAGE_CODES:
        with translation.override(code):
            chosen[code] = given.get(code) or title.strip() or default(code)
    return chosen


def release_publish(
    *,
    period: Period,
    user: Any,
    title: str = "",
    titles: Mapping[str, str] | None = None,
    corrects: Release | None = None,
    reason: str = "",
) -> Release:
    """Freeze the figures of `period` as committed now, awaiting a second member's
    confirmation before anyone outside sees them. `user` is the active member of the office
    who publishes, from the admin or the command line alike: the confirmer must be
    someone else. `titles` by language; one left out takes `title`, else "Figures for ..."."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office publishes releases."))
    if corrects is not None and not reason.strip():
        raise ReleaseError(_("An erratum needs its reason."))
    _refuse_unless_over(period)
    # The release's figures are as of its checkpoint's moment: read from it, exactly. The
    # checkpoint commits first, in its own transaction: its lock on the values (which holds
    # off their writers) must not last until the release's own commit. A checkpoint left
    # behind by a release refused below is an ordinary one, swept in its time. Called
    # inside another transaction (on PostgreSQL), it has none: its figures are as of now.
    checkpoint = None
    if connection.vendor != "postgresql" or not checkpoint_in_outer_transaction():
        checkpoint = checkpoint_take(reason=CheckpointReason.RELEASE)
    else:
        logger.warning("release published inside a transaction: no checkpoint of its own")
    return _publish(
        period=period, user=user, title=title, titles=titles, corrects=corrects, reason=reason, checkpoint=checkpoint
    )


@transaction.atomic
def _publish(
    *,
    period: Period,
    user: Any,
    title: str,
    titles: Mapping[str, str] | None,
    corrects: Release | None,
    reason: str,
    checkpoint: RollupCheckpoint | None,
) -> Release:
    named = _titles(title, titles, lambda code: _("Figures for %(period)s") % {"period": period})
    moment = checkpoint.moment if checkpoint is not None else timezone.now()
    release = Release(
        title_kk=named["kk"],
        title_ru=named["ru"],
        title_en=named["en"],
        period=str(period),
        period_start=period.first_day,
        period_end=period.end.first_day,
        moment=moment,
        published_by=user,
        corrects=corrects,
        erratum_reason=reason.strip() if corrects is not None else "",
    )
    audited(release, user, "published" if corrects is None else f"erratum to release {corrects.pk}")
    release.save()
    if checkpoint is not None:
        checkpoint_keep(checkpoint, release=release)
    ReleaseFigure.objects.bulk_create(
        ReleaseFigure(
            release=release,
            indicator_id=row.indicator_id,
            region_id=row.region_id,
            value=row.value,
            previous=row.previous,
            change_percent=row.change_percent,
            rate_per_10k=row.rate_per_10k,
            target=row.target,
            status=row.status,
        )
        for row in release_figures_compute(span=period, moment=moment)
    )
    return release


@transaction.atomic
def release_confirm(*, release: Release, user: Any) -> Release:
    """The second person: another member of the office confirms, and the release goes out
    (with its public figures derived and frozen). Confirming twice changes nothing."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office confirms releases."))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.state == ReleaseState.PUBLISHED:
        return release
    if release.state != ReleaseState.PENDING:
        raise ReleaseError(_("A withdrawn release cannot be confirmed."))
    if release.published_by_id is None:
        raise ReleaseError(
            _("A release without its publisher cannot be confirmed: withdraw it and publish the period again.")
        )
    _refuse_unless_over(release.span)
    if release.published_by_id == user.pk:
        raise ReleaseError(_("A release is confirmed by another member of the office than the one who published it."))
    # Derived while the release is still pending: the database takes no figure rows into
    # a release that has gone out.
    _derive_public_figures(release)
    release.state = ReleaseState.PUBLISHED
    release.confirmed_by, release.confirmed_at = user, timezone.now()
    audited(release, user, "confirmed")
    release.save()
    public_generation_bump()
    return release


@transaction.atomic
def release_withdraw(*, release: Release, user: Any, reason: str) -> Release:
    """Take a release back from the public, with its reason; its figures stay as they were."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office withdraws releases."))
    if not reason.strip():
        raise ReleaseError(_("Say why the release is withdrawn."))
    release = Release.objects.select_for_update().get(pk=release.pk)
    if release.state == ReleaseState.WITHDRAWN:
        return release
    release.state = ReleaseState.WITHDRAWN
    release.withdrawn_by, release.withdrawn_at, release.withdrawn_reason = user, timezone.now(), reason.strip()
    audited(release, user, "withdrawn")
    release.save()
    public_generation_bump()
    return release


def release_erratum(
    *, release: Release, user: Any, reason: str, title: str = "", titles: Mapping[str, str] | None = None
) -> Release:
    """A new release of the same period that names the one it corrects and why; it goes
    out when a second member confirms it, and the public page shows it from then on."""
    if release.state != ReleaseState.PUBLISHED:
        raise ReleaseError(_("Only a published release is followed by an erratum."))
    return release_publish(
        period=release.span,
        titles=_titles(
            title, titles, lambda code: _("Erratum to %(title)s") % {"title": in_language(release, "title", code)}
        ),
        user=user,
        corrects=release,
        reason=reason,
    )


def _warn_unprotected(release: Release, unprotected: list[Equation]) -> None:
    """One line in words for the office: where the withholding rules ran out of counts to
    withhold. The cells themselves go to the debug log."""
    codes = sorted({code for eq in unprotected for code, _kato, _first, _last in eq.cells})
    logger.warning(
        "Release %s (%s): %d sum(s) of published counts (%s) hold a count below %d that could not be "
        "fully protected: every other count in them is zero, small itself, already withheld or public "
        'from an earlier release, so nothing was left to withhold. The small counts still show as "<%d", '
        "but a reader who adds up the published figures can narrow some of them down (docs/publishing.md).",
        release.pk,
        release.period,
        len(unprotected),
        ", ".join(codes),
        settings.PUBLIC_SUPPRESSION_THRESHOLD,
        settings.PUBLIC_SUPPRESSION_THRESHOLD,
    )
    logger.debug("release %s: the sums concerned: %s", release.pk, [eq.cells for eq in unprotected])


def _derive_public_figures(release: Release) -> None:
    """What the public page shows of the release: counts below the threshold and what
    would give one away withheld, in view of every release the public has seen before."""
    indicators = {i.pk: i for i in Indicator.objects.select_related("numerator")}
    figures = list(ReleaseFigure.objects.filter(release=release).select_related("region"))
    span, before = release.span, release.span.year_before()
    counts = {pk for pk, i in indicators.items() if i.unit == Unit.COUNT}

    def key(f: Any, which: Period) -> CellKey:
        return (indicators[f.indicator_id].code, f.region.kato if f.region else "", which.start.index, which.end.index)

    cells: dict[CellKey, Decimal | None] = {}
    for f in figures:
        if f.indicator_id in counts:
            cells[key(f, span)] = f.value
            cells[key(f, before)] = f.previous
    known: dict[CellKey, tuple[Decimal, str]] = {}
    seen = list(
        PublicFigure.objects.filter(release__confirmed_at__isnull=False, indicator_id__in=counts)
        .exclude(release=release)
        .select_related("release", "region")
        .order_by("release__confirmed_at", "pk")
    )
    # What a withheld cell really was: the number frozen in its release.
    frozen: dict[tuple[int, int, int | None], tuple[Decimal | None, Decimal | None]] = {
        (r, i, g): (v, p)
        for r, i, g, v, p in ReleaseFigure.objects.filter(release_id__in={p.release_id for p in seen}).values_list(
            "release_id", "indicator_id", "region_id", "value", "previous"
        )
    }
    for p in seen:
        truth = frozen.get((p.release_id, p.indicator_id, p.region_id), (None, None))
        for shown, mark, number, which in (
            (p.value, p.value_suppressed, truth[0], p.release.span),
            (p.previous, p.previous_suppressed, truth[1], p.release.span.year_before()),
        ):
            if mark == SHOWN and shown is not None:
                known[key(p, which)] = (shown, SHOWN)
            elif mark != SHOWN and number is not None:
                known[key(p, which)] = (number, mark)
    regions = sorted({f.region.kato for f in figures if f.region is not None})
    outcome = suppress(
        cells, known, threshold=settings.PUBLIC_SUPPRESSION_THRESHOLD, regions=regions, relations=kpi_relations()
    )
    marks = outcome.marks
    if outcome.unprotected:
        _warn_unprotected(release, outcome.unprotected)

    def mark_of(f: ReleaseFigure, which: Period) -> str:
        """A count's own mark; a formula over a count (offences per 10,000) hides with it."""
        indicator = indicators[f.indicator_id]
        base = f.indicator_id if f.indicator_id in counts else indicator.numerator_id
        if base not in counts:
            return SHOWN
        mark = marks.get((indicators[base].code, f.region.kato if f.region else "", which.start.index, which.end.index))
        if mark is None or mark == SHOWN:
            return SHOWN
        return mark if base == f.indicator_id else SECONDARY

    rows = []
    for f in figures:
        value_mark, previous_mark = mark_of(f, span), mark_of(f, before)
        value_hidden, previous_hidden = value_mark != SHOWN, previous_mark != SHOWN
        rows.append(
            PublicFigure(
                release=release,
                indicator_id=f.indicator_id,
                region_id=f.region_id,
                value=None if value_hidden else f.value,
                value_suppressed=value_mark,
                previous=None if previous_hidden else f.previous,
                previous_suppressed=previous_mark,
                # Rates, changes and traffic lights computed from a withheld count go with it.
                change_percent=None if value_hidden or previous_hidden else f.change_percent,
                rate_per_10k=None if value_hidden else f.rate_per_10k,
                target=f.target,
                status="" if value_hidden else f.status,
            )
        )
    PublicFigure.objects.bulk_create(rows)
