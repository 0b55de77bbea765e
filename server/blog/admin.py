"""Admin for posts and tags; the Markdown body is re-rendered and sanitised through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from blog.models import Bookmark, Post, Tag
from blog.rendering import make_excerpt, render_markdown


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "author", "published_at", "updated_at"]
    list_filter = ["published_at", "tags"]
    search_fields = ["title", "slug", "body_markdown"]
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ["tags"]
    fields = ["title", "slug", "author", "published_at", "tags", "excerpt", "cover_image", "body_markdown"]

    def save_model(self, request: HttpRequest, obj: Post, form: Any, change: bool) -> None:
        # The stored HTML is always the sanitised rendering of the Markdown, whoever edits it.
        obj.body_html = render_markdown(obj.body_markdown)
        if not obj.excerpt:
            obj.excerpt = make_excerpt(obj.body_html)
        super().save_model(request, obj, form, change)


@admin.register(Bookmark)
class BookmarkAdmin(admin.ModelAdmin):
    list_display = ["user", "post", "created_at"]
    raw_id_fields = ["user", "post"]
