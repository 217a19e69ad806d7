"""Forecasts of monthly KPIs over the region tree: fitting, calibration, and their runs."""
