"""Django's `createsuperuser`, which also writes the admin's log entry for the account
it creates (docs/security.md: an account created from the command line is audited as one
created in the admin is)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser

from agencies.services import account_change_logged


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()._default_manager.using(options["database"])
        before = set(users.values_list("pk", flat=True))
        super().handle(*args, **options)
        for account in users.exclude(pk__in=before):
            account_change_logged(
                account=account, change="Added as a superuser.", command="createsuperuser", added=True
            )
