"""Abstract bases every domain model shares: timestamps, names in three languages, jobs.

Names people read are kept in Kazakh, Russian and English side by side:
explicit `<field>_kk/_ru/_en` columns rather than a translation library: they go into
history tables, imports, exports and the API unchanged, and nothing is patched at start-up.
"""

from typing import ClassVar, NamedTuple

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LANGUAGE_CODES = ("kk", "ru", "en")
FALLBACK_ORDER = ("ru", "kk", "en")


def in_language(obj: object, field: str, language: str | None = None) -> str:
    """`obj.<field>_<language>`, falling back to the other languages when it is empty."""
    wanted = (language or get_language() or FALLBACK_ORDER[0]).split("-")[0]
    for code in (wanted, *FALLBACK_ORDER):
        if code in LANGUAGE_CODES:
            value: str = getattr(obj, f"{field}_{code}", "") or ""
            if value:
                return value
    return ""


class NamedInThreeLanguages(models.Model):
    name_kk = models.CharField(_("name (Kazakh)"), max_length=255)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self, "name")


class Timestamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class JobStatuses(NamedTuple):
    """The values a kind of job spells its states with (the API shows them as they are)."""

    waiting: str
    running: str
    done: str
    failed: str


class Job(Timestamped):
    """A background job whose row is the job: a worker claims it, counts an attempt, and
    ends it done or failed (`projectoffice/jobs.py` does each step the same way for every
    kind). Which worker holds a running job is the job's session lock
    (`projectoffice/job_locks.py`), so no heartbeat column is kept: a dead worker's lock
    goes with its connection, and the next delivery takes the job over at once."""

    statuses: ClassVar[JobStatuses]

    # Each kind redeclares it with its own choices and default.
    status = models.CharField(_("status"), max_length=20)
    # How many times a worker took the job up (more than one: a worker died, or the database failed).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True
