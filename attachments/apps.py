from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attachments"
    verbose_name = "Attachments"

    def ready(self) -> None:
        # posts, below us, reads attached files only through posts.attached_media: we
        # plug our functions in, so posts never imports attachments.
        from attachments import selectors, services
        from posts import attached_media

        attached_media.provide(
            attached_media.Provider(
                preview_media=selectors.preview_media,
                files_of=selectors.files_of,
                thumbnail_url=selectors.thumbnail_url,
                uploads_resolve=services.uploads_resolve,
            )
        )
