from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "accord.contracts"
    label = "contracts"
    verbose_name = "福易签 e-labour contracts"

    def ready(self) -> None:
        from accord.contracts import scoping  # noqa: F401  (registers the scoping functions)
