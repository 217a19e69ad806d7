# Initiatives, campaigns and KPIs arrive with the domain issue; the app exists so that
# migrations and the admin have their place from the start.
