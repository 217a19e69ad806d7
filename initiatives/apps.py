from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives and KPIs")

    def ready(self) -> None:
        # The first version of an imported value, written before any save or delete
        # replaces it (services/value_history.py).
        from .services.value_history import connect

        connect()

    def health_reports(self) -> dict[str, Callable[[], Any]]:
        """What `/healthz` reports of this app (projectoffice/health.py asks every app that
        has this). The nightly comparison of the KPI engine's rollups with the values: a
        drift is reported, not failed on, as the site still serves and `rebuild_rollups`
        mends it."""
        from .selectors.figures import rollups_health

        return {"rollups": rollups_health}
