"""The demo data of initiatives, split by purpose: the programme (initiatives, campaigns, districts,
villages), its statistics (generated KPI values), the coordinators' reports, the targets
and the release of the public page. `seed_demo` calls `seed_programme` first and
`seed_release` last, after every app's own `seed_demo` hook (the citizen register's)."""

from .programme import seed_programme
from .release import seed_release
from .statistics import DEFAULT_DISTRICTS

__all__ = ["DEFAULT_DISTRICTS", "seed_programme", "seed_release"]
