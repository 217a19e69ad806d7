from ..alerts import admin as alerts_admin  # noqa: F401  (registers early warning's admin)
from ..forecasts import admin as forecasts_admin  # noqa: F401  (registers the forecast runs' admin)
from ..statistics import admin as statistics_admin  # noqa: F401  (registers the statistics import's admin)
from . import exports, indicators, outbox, programme, regions, releases, reports, values  # noqa: F401  (registers the admin classes)
