"""The project's routes plus the signing app's, until accord/urls.py mounts them."""

from django.urls import include, path

from accord.signing import views
from accord.urls import handler404, handler500  # noqa: F401
from accord.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("signing/", include("accord.signing.urls")),
    path("tsa", views.tsa),
    path("verify", views.verify_page),
    *project_urlpatterns,
]
