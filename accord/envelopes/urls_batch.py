"""Routes of the envelopes pages (batch); included by accord/envelopes/urls.py."""

from django.urls import path

from accord.envelopes import views_batch

urlpatterns: list = [
    path("enterprises/<uuid:public_id>/batches/", views_batch.batch_list, name="batch_list"),
    path("enterprises/<uuid:public_id>/batches/new", views_batch.batch_new, name="batch_new"),
    path("batches/<uuid:public_id>/", views_batch.batch_detail, name="batch_detail"),
    path("batches/<uuid:public_id>/progress", views_batch.batch_progress, name="batch_progress"),
    path("batches/<uuid:public_id>/start", views_batch.batch_start, name="batch_start"),
    path("batches/<uuid:public_id>/seal", views_batch.batch_seal, name="batch_seal"),
]
