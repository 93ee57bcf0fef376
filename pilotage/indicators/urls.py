from django.urls import include, path

from pilotage.indicators import views

urlpatterns = [
    path("import/", include("pilotage.indicators.import_views")),
    path("units/<slug:unit_code>/", views.unit_indicators, name="unit_indicators"),
    path("<slug:code>/units/<slug:unit_code>/", views.indicator_detail, name="indicator_detail"),
    path("<slug:code>/units/<slug:unit_code>/values/", views.enter_value, name="enter_value"),
    path("<slug:code>/units/<slug:unit_code>/rebases/", views.rebase, name="rebase"),
    path("<slug:code>/units/<slug:unit_code>/chart.svg", views.chart_svg, name="indicator_chart"),
    path("<slug:code>/units/<slug:unit_code>/export.csv", views.export_csv, name="indicator_csv"),
    path(
        "<slug:code>/units/<slug:unit_code>/export.xlsx", views.export_xlsx, name="indicator_xlsx"
    ),
]
