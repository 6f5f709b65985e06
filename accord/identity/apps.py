from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "accord.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from accord.identity import scoping  # noqa: F401  (registers the scoping functions)
