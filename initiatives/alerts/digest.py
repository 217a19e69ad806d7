"""The e-mail after a detection that raised alerts: to each active member of the project
office with an address (every alert) and to each region's coordinators (their region's
tree), in the person's own language, once per import (or command run) and person (the
outbox key). Never empty: a person none of whose regions moved gets nothing."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.utils import formats, translation

from agencies.models import Membership, MembershipRole, person_language
from agencies.roles import PROJECT_OFFICE_GROUP
from regions.kato import kato_prefix

from ..periods import Month
from ..services.notifications import notice_text, site_link
from ..services.outbox import outbox_add
from .models import Alert, DetectionRun

# Alerts listed in one e-mail at most; the page has them all.
LISTED = 50


def _recipients() -> dict[int, tuple[User, list[tuple[str, int]] | None]]:
    """Each person to write to: None for the office (everything), else the (KATO prefix,
    level) of the regions they coordinate."""
    people: dict[int, tuple[User, list[tuple[str, int]] | None]] = {}
    office = (
        User.objects.filter(is_active=True, is_staff=True, groups__name=PROJECT_OFFICE_GROUP)
        .exclude(email="")
        .select_related("profile")
        .distinct()
    )
    for person in office:
        people[person.pk] = (person, None)
    memberships = (
        Membership.objects.active()
        .filter(role=MembershipRole.COORDINATOR, user__is_active=True)
        .exclude(user__email="")
        .select_related("user__profile", "branch__region")
    )
    for membership in memberships:
        if membership.user_id in people and people[membership.user_id][1] is None:
            continue  # the office's e-mail has it all
        regions = people.setdefault(membership.user_id, (membership.user, []))[1]
        assert regions is not None
        region = membership.branch.region
        regions.append((kato_prefix(region.kato), region.level))
    return people


def _visible(alert: Alert, regions: list[tuple[str, int]] | None) -> bool:
    if regions is None:
        return True
    return any(alert.region.kato.startswith(prefix) and alert.region.level >= level for prefix, level in regions)


def alerts_digest_send(*, alert_ids: Iterable[int], key: str, runs: list[DetectionRun]) -> int:
    """Write the digest of these alerts into the outbox; how many people get one."""
    ids = list(alert_ids)
    if not ids:
        return 0
    alerts = list(
        Alert.objects.filter(pk__in=ids, withdrawn=False)
        .select_related("indicator", "region")
        .order_by("-period", "indicator__code", "region__kato", "kind")
    )
    if not alerts:
        return 0
    months = sorted({Month.from_date(a.period) for a in alerts}, key=lambda m: m.index)
    sent = 0
    texts: dict[tuple[str, tuple[int, ...]], tuple[str, str]] = {}
    for person_id, (person, regions) in sorted(_recipients().items()):
        mine = [a for a in alerts if _visible(a, regions)]
        if not mine:
            continue
        language = person_language(person)
        cache_key = (language, tuple(a.pk for a in mine))
        if cache_key not in texts:
            with translation.override(language):
                texts[cache_key] = notice_text(
                    "alerts_digest",
                    {
                        "count": len(mine),
                        "months": ", ".join(formats.date_format(m.first_day, "YEAR_MONTH_FORMAT") for m in months),
                        "alerts": [_line(a) for a in mine[:LISTED]],
                        "more": max(0, len(mine) - LISTED),
                        "link": site_link("dashboard-alerts") + f"?period={months[-1]}",
                    },
                )
        subject, body = texts[cache_key]
        if outbox_add(key=f"{key}:{person_id}", recipient=person.email, subject=subject, body=body):
            sent += 1
    return sent


def _line(alert: Alert) -> dict[str, str]:
    """One alert as the e-mail lists it, in the active language."""
    return {
        "kpi": alert.indicator.name,
        "region": alert.region.name,
        "month": formats.date_format(alert.period, "YEAR_MONTH_FORMAT"),
        "kind": str(alert.get_kind_display()),
        "adverse": str(alert.get_adverse_display()),
        "observed": f"{alert.observed:.0f}",
        "expected": f"{alert.expected:.1f}",
        "bound": f"{(alert.upper if alert.adverse == 'rise' else alert.lower):.0f}",
    }
