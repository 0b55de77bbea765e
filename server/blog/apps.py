"""Blog: skin-health posts in Markdown written by clinicians, with tags and bookmarks."""

from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks
        from blog.services import posts_detach_author

        if posts_detach_author not in hooks.delete_hooks:
            hooks.delete_hooks.append(posts_detach_author)
