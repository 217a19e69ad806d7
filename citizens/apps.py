from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Citizen recognition register")

    def seed_demo(self, **kwargs: Any) -> str:
        """`seed_demo` asks every app that has this for its demo data; initiatives, where the
        command lives, knows nothing of this app."""
        from .demo import seed_citizen_register

        return seed_citizen_register()
