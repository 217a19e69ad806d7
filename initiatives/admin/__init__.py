from . import exports, imports, indicators, outbox, programme, releases, reports, values  # noqa: F401  (registers the admin classes)
