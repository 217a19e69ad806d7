from . import exports, imports, indicators, outbox, programme, reports, values  # noqa: F401  (registers the admin classes)
