from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qualitas.web.accounts"
    label = "accounts"
    verbose_name = "People and sign-in"

    def ready(self) -> None:
        # Signal receivers: audit events, and the start of a session's lifetime.
        from qualitas.web.accounts import security_events, sessions  # noqa: F401
