from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "accord.contracts"
    label = "contracts"
    verbose_name = "福易签 e-labour contracts"
