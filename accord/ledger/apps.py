from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "accord.ledger"
    label = "ledger"
    verbose_name = "Accord evidence ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.ledger.tasks import register_periodic_checks

        register_periodic_checks()
