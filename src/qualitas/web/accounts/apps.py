from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qualitas.web.accounts"
    label = "accounts"
    verbose_name = "People and sign-in"

    def ready(self) -> None:
        from qualitas.web.accounts import security_events  # noqa: F401  (receivers)
