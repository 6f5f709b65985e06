from django.apps import AppConfig

from accord.core import metrics


class LedgerConfig(AppConfig):
    name = "accord.ledger"
    label = "ledger"
    verbose_name = "Accord evidence ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accord.ledger.tasks import register_periodic_checks

        register_periodic_checks()
        metrics.register_gauge(
            "accord_ledger_entries", "Entries in the evidence ledger", ledger_size
        )


def ledger_size() -> int:
    from accord.ledger import storage  # reads the entry bundles: after the app registry is ready

    return storage.tree_size()
