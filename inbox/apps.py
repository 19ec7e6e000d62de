from django.apps import AppConfig


class InboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inbox"
    verbose_name = "Webhooks in"

    def ready(self) -> None:
        # posts, below us, asks whether webhooks keep the mirror current only through
        # posts.push: we plug our answer in, so posts never imports inbox.
        from inbox import selectors
        from posts import push

        push.provide(selectors.webhooks_healthy)
