"""Ledger URLs; the project includes them at ``/ledger/``."""

from django.urls import path

from accord.ledger import views

app_name = "ledger"

urlpatterns = [
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("checkpoints/<int:tree_size>", views.checkpoint_at, name="checkpoint-at"),
    path("keys", views.keys, name="keys"),
    path("proof/inclusion", views.inclusion_proof, name="inclusion-proof"),
    path("proof/consistency", views.consistency_proof, name="consistency-proof"),
    path("entries/<int:index>", views.entry, name="entry"),
    path("bundle", views.bundle, name="bundle"),
    path("tile/entries/<path:rest>", views.entry_bundle, name="entry-bundle"),
    path("tile/<int:level>/<path:rest>", views.tile, name="tile"),
]
