from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies")

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
        from .roles import sync_role_groups_after_migrate

        # Permissions are created by post_migrate, so the groups are synced after them.
        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="agencies.sync_role_groups")
        # Processes keep the tokens they looked up; a change gives the token a new key version.
        from .models import Agency, AgencyToken
        from .tokens import agency_saved, token_saved

        post_save.connect(token_saved, sender=AgencyToken, dispatch_uid="agencies.token_saved")
        post_delete.connect(token_saved, sender=AgencyToken, dispatch_uid="agencies.token_deleted")
        post_save.connect(agency_saved, sender=Agency, dispatch_uid="agencies.agency_saved")
