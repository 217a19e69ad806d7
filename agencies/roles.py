"""The groups people are put in, and what each may do in the admin.

Accounts are kept by a group of their own, "Access administrators": the project office
only reads them, so no member of it can take over another account (set its password)
or make a second one to confirm their own release. An access administrator, in turn,
changes only accounts whose rights are within their own (`agencies/accounts.py`).

The permissions are synced after every `migrate`, so a new model's permissions reach
the project office without a hand-written migration.
"""

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

PROJECT_OFFICE_GROUP = "Project office"
COORDINATORS_GROUP = "Regional coordinators"
ACCESS_ADMINISTRATORS_GROUP = "Access administrators"

# Project-office staff maintain all reference and domain data and the people in it.
PROJECT_OFFICE_APPS = ("regions", "agencies", "initiatives", "citizens")
# Never granted to a group by default: given person by person (citizens' personal data).
PERSON_BY_PERSON = ("view_citizen_personal_data",)
PROJECT_OFFICE_EXTRA = (("auth", "user", ("view",)), ("auth", "group", ("view",)))
ACCESS_ADMINISTRATORS = (("auth", "user", ("add", "change", "view")), ("auth", "group", ("view",)))
# Coordinators read the reference data they pick from; their own reports are checked in code.
COORDINATOR_VIEW = (("regions", "region"), ("agencies", "agency"), ("agencies", "regionalbranch"))


def _model_permissions(grants: tuple[tuple[str, str, tuple[str, ...]], ...]) -> Q:
    condition = Q(pk__in=[])
    for app, model, actions in grants:
        condition |= Q(
            content_type__app_label=app, content_type__model=model, codename__in=[f"{a}_{model}" for a in actions]
        )
    return condition


def sync_role_groups() -> None:
    office, _ = Group.objects.get_or_create(name=PROJECT_OFFICE_GROUP)
    office_q = Q(content_type__app_label__in=PROJECT_OFFICE_APPS) | _model_permissions(PROJECT_OFFICE_EXTRA)
    office.permissions.set(Permission.objects.filter(office_q).exclude(codename__in=PERSON_BY_PERSON))

    access, _ = Group.objects.get_or_create(name=ACCESS_ADMINISTRATORS_GROUP)
    access.permissions.set(Permission.objects.filter(_model_permissions(ACCESS_ADMINISTRATORS)))

    coordinators, _ = Group.objects.get_or_create(name=COORDINATORS_GROUP)
    coordinator_q = Q(pk__in=[])
    for app, model in COORDINATOR_VIEW:
        coordinator_q |= Q(content_type__app_label=app, codename=f"view_{model}")
    coordinators.permissions.set(Permission.objects.filter(coordinator_q))


def sync_role_groups_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app; the last one sees every app's permissions, once they
    # are made: Django makes them in a receiver of the same signal, which may come after
    # this one (the agencies app is first in INSTALLED_APPS), so make them here first.
    app_configs = list(apps.get_app_configs())
    if kwargs.get("app_config") is not app_configs[-1]:
        return
    for app_config in app_configs:
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", DEFAULT_DB_ALIAS))
    sync_role_groups()
