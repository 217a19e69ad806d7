"""Django's `changepassword`, which also writes the admin's log entry for the change
(docs/security.md: a password set from the command line is audited as one set in the
admin is)."""

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from agencies.services import account_change_logged


class Command(changepassword.Command):
    def handle(self, *args: Any, **options: Any) -> str | None:
        said: str | None = super().handle(*args, **options)  # raises CommandError when nothing changed
        model = get_user_model()
        account = model._default_manager.using(options["database"]).get(
            **{model.USERNAME_FIELD: options["username"] or getpass.getuser()}
        )
        account_change_logged(account=account, change="Changed password.", command="changepassword")
        return said
