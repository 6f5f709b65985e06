"""The site's pages. They share the historic ``web`` namespace with the shell's and identity's
pages (accord/urls.py mounts the three lists under it), so their URL names stay ``web:…``."""

from django.urls import path

from accord.site import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
