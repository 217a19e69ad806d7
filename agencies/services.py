"""Writes of the agencies app that people make for themselves."""

from typing import Any

from django.conf import settings
from django.db import transaction

from .models import Profile


@transaction.atomic
def profile_language_set(*, user: Any, language: str) -> Profile | None:
    """Remember the language a person chose, for the site and for their e-mails. An
    unknown language is ignored (the switcher offers only known ones); an anonymous
    visitor has no profile."""
    if not getattr(user, "is_authenticated", False) or language not in dict(settings.LANGUAGES):
        return None
    profile, created = Profile.objects.select_for_update().get_or_create(user=user, defaults={"language": language})
    if not created and (profile.language != language or profile.language_from_browser):
        profile.language, profile.language_from_browser = language, False
        profile.save(update_fields=["language", "language_from_browser", "updated_at"])
    return profile


@transaction.atomic
def profile_language_remember(*, user: Any, language: str) -> Profile | None:
    """Remember the language a person's browser asks for, for their e-mails, as long as
    they have not chosen one with the switcher (a choice is never overridden)."""
    if not getattr(user, "is_authenticated", False) or language not in dict(settings.LANGUAGES):
        return None
    profile, created = Profile.objects.select_for_update().get_or_create(
        user=user, defaults={"language": language, "language_from_browser": True}
    )
    if not created and profile.language_from_browser and profile.language != language:
        profile.language = language
        profile.save(update_fields=["language", "updated_at"])
    return profile
