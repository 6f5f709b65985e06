"""The shell's pages. They share the historic ``web`` namespace with identity's and the site's
pages (accord/urls.py mounts the three lists under it), so their URL names stay ``web:…``."""

from django.urls import path

from accord.core import views
from accord.core.metrics import metrics_view

app_name = "web"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("inbox/", views.inbox, name="inbox"),
    path("dev/sms", views.dev_sms, name="dev_sms"),
    path("prefs/large-type", views.large_type, name="large_type"),
    path("metrics", metrics_view, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
]
