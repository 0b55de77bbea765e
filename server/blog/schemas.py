"""Request and response schemas of the blog API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import ModelSchema, Schema
from pydantic import Field

from blog.models import Post
from core.schemas import IsoDateTime, StrictSchema

MAX_BODY = 100_000


class PostOut(ModelSchema):
    excerpt: str
    cover_image_url: str | None = None
    author_name: str
    tags: list[str]
    bookmarked: bool = False
    draft: bool = Field(False, description="True while unpublished or scheduled for later (visible to the author only).")

    class Meta:
        model = Post
        fields = ["id", "slug", "title", "published_at"]

    @staticmethod
    def resolve_cover_image_url(obj: Post, context: Any) -> str | None:
        if not obj.cover_image:
            return None
        request = (context or {}).get("request")
        url = obj.cover_image.url
        return request.build_absolute_uri(url) if request is not None else url

    @staticmethod
    def resolve_author_name(obj: Post) -> str:
        if obj.author is None:
            return "SkinScreen team"
        return obj.author.full_name or "SkinScreen clinician"

    @staticmethod
    def resolve_tags(obj: Post) -> list[str]:
        return [t.slug for t in obj.tags.all()]

    @staticmethod
    def resolve_bookmarked(obj: Post) -> bool:
        return bool(getattr(obj, "bookmarked", False))

    @staticmethod
    def resolve_draft(obj: Post) -> bool:
        from django.utils import timezone

        return obj.published_at is None or obj.published_at > timezone.now()


class PostDetailOut(PostOut):
    body_html: str = Field(description="Rendered from Markdown and sanitised (nh3): safe to display as HTML.")
    body_markdown: str
    updated_at: datetime


class PostIn(StrictSchema):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=MAX_BODY, description="Markdown.")
    excerpt: str = Field("", max_length=300)
    tags: list[str] = Field(default_factory=list, max_length=10)
    slug: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    published_at: IsoDateTime | None = Field(
        None, description="Omit or null for a draft; ISO 8601 with offset to publish (future: scheduled)."
    )


class PostPatch(StrictSchema):
    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=MAX_BODY)
    excerpt: str | None = Field(None, max_length=300)
    tags: list[str] | None = Field(None, max_length=10)
    published_at: IsoDateTime | None = None


class PostFilters(Schema):
    search: str | None = Field(None, max_length=100)
    tag: str | None = Field(None, max_length=50)
    mine: bool = Field(False, description="Only my own posts, drafts included (authors).")
