from . import imports, indicators, programme, values  # noqa: F401  (registers the admin classes)
