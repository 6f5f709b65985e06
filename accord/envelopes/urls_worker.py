"""Routes of the envelopes pages (worker); included by accord/envelopes/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
