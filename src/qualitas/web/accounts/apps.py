from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qualitas.web.accounts"
    label = "accounts"
    verbose_name = "People and sign-in"
