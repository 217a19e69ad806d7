from . import imports, indicators, programme, reports, values  # noqa: F401  (registers the admin classes)
