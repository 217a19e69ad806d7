"""Writes of the agencies app that people make for themselves."""

import getpass
from typing import Any

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
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


def account_change_logged(*, account: Any, change: str, command: str, added: bool = False) -> None:
    """Write, for a change to an account made from the command line, the entry the admin
    writes for the same change in its log (who, when, what): creating the account,
    granting a group or setting a password are never silent. No one is logged in on the
    command line, so the entry is filed under the account itself and names the command
    and the operating-system user who ran it."""
    LogEntry.objects.log_actions(
        user_id=account.pk,
        queryset=[account],
        action_flag=ADDITION if added else CHANGE,
        change_message=f"{change} (command line: {command}, run by {_os_user()})",
        single_object=True,
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container without a passwd entry for its uid
        return "an unknown user"
