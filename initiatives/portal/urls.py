from django.urls import path

from . import dashboard_views, public_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/alerts/", dashboard_views.alerts, name="dashboard-alerts"),
    path("dashboard/alerts/<int:pk>/review/", dashboard_views.alert_review_page, name="dashboard-alert-review"),
    path("dashboard/forecasts/", dashboard_views.forecasts, name="dashboard-forecasts"),
    path("dashboard/reporting/", dashboard_views.reporting, name="dashboard-reporting"),
    path("dashboard/villages/", dashboard_views.villages, name="dashboard-villages"),
    path("public/", public_views.public, name="public"),
    path("reports/start/", views.report_start, name="report-start"),
    path("reports/ask-reopen/", views.report_ask_reopen, name="report-ask-reopen"),
    path("reports/<int:pk>/", views.report_page, name="report"),
    path("reports/<int:pk>/reopen/", views.report_reopen_page, name="report-reopen"),
    path("reports/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence"),
    path("review/<int:pk>/", views.review_page, name="review"),
]
