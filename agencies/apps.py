from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies")

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .roles import sync_role_groups_after_migrate

        # Permissions are created by post_migrate, so the groups are synced after them.
        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="agencies.sync_role_groups")
