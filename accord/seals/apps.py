from django.apps import AppConfig


class SealsConfig(AppConfig):
    name = "accord.seals"
    label = "seals"
    default_auto_field = "django.db.models.BigAutoField"
