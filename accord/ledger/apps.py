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
    from accord.ledger.models import Entry  # models load after the app registry is ready

    last = Entry.objects.order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else last + 1
