"""The demo's release: what the public page shows on the day the demo runs."""

from django.contrib.auth.models import User

from ..models import Release
from ..periods import Month, Period
from ..services.releases import release_confirm, release_publish
from .statistics import last_month


def seed_release() -> str:
    """A release for the public page: the year to date through the last month that is over,
    published by the office and confirmed by its deputy, as a real one goes out. Once per
    period: a release is never edited, so running the demo again leaves it as it is."""
    last = last_month()
    period = Period(Month(last.year, 1), last)
    if Release.objects.filter(period=str(period)).exists():
        return f"Release of {period}: already published."
    office = User.objects.get(username="office")
    deputy = User.objects.get(username="office.deputy")
    titles = {
        "kk": f"Демонстрациялық релиз, {period}",
        "ru": f"Демонстрационный релиз, {period}",
        "en": f"Demo release {period}",
    }
    release = release_publish(period=period, titles=titles, user=office)
    release_confirm(release=release, user=deputy)
    return f"Release of {period}: published by office, confirmed by office.deputy."
