"""Blog writes: clinicians and admins author posts; everyone signed in bookmarks (idempotently)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from blog.error_codes import BlogError
from blog.models import Bookmark, Post, Tag
from blog.rendering import make_excerpt, render_markdown
from core.concurrency import decode_slot
from core.errors import Conflict, Forbidden, Unprocessable
from core.images import ImageRejected, Rejection, open_untrusted, reencode_jpeg
from core.permissions import is_admin, require_role
from core.tasks import run_after_commit

if TYPE_CHECKING:
    from accounts.models import User

MAX_TAGS = 10
MAX_COVER_PIXELS = 40_000_000
COVER_MAX_SIDE = 2000
COVER_JPEG_QUALITY = 85
COVER_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


def _tags_from_names(names: Iterable[str]) -> list[Tag]:
    tags: dict[str, Tag] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        slug = slugify(name)[:50]
        if not slug:
            raise Unprocessable(f"'{raw}' is not a usable tag (use letters or digits).", code=BlogError.INVALID_TAG)
        if slug not in tags:
            tags[slug], _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name[:50]})
    if len(tags) > MAX_TAGS:
        raise Unprocessable(f"At most {MAX_TAGS} tags per post.", code=BlogError.INVALID_TAG)
    return list(tags.values())


def _unique_slug(title: str) -> str:
    base = slugify(title)[:200].strip("-") or "post"
    slug, n = base, 2
    while Post.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        raise Unprocessable("published_at needs a time zone offset (ISO 8601, e.g. 2026-05-01T09:00:00+02:00).", code="validation_error")
    return value


@transaction.atomic
def post_create(
    *,
    author: User,
    title: str,
    body: str,
    tags: Iterable[str] = (),
    published_at: datetime | None = None,
    excerpt: str = "",
    slug: str | None = None,
) -> Post:
    """A clinician or admin writes a post; without published_at it is a draft only they can see."""
    require_role(author, "clinician")
    if slug:
        if Post.objects.filter(slug=slug).exists():
            raise Conflict(f"The slug '{slug}' is already taken.", code=BlogError.SLUG_TAKEN)
    else:
        slug = _unique_slug(title)
    body_html = render_markdown(body)
    try:
        with transaction.atomic():
            post = Post.objects.create(
                title=title.strip(),
                slug=slug,
                body_markdown=body,
                body_html=body_html,
                excerpt=excerpt.strip() or make_excerpt(body_html),
                author=author,
                published_at=_aware(published_at),
            )
    except IntegrityError as exc:  # a concurrent post took the same slug
        raise Conflict(f"The slug '{slug}' is already taken.", code=BlogError.SLUG_TAKEN) from exc
    post.tags.set(_tags_from_names(tags))
    return post


def _require_editor(user: User, post: Post) -> None:
    require_role(user, "clinician")
    if not is_admin(user) and post.author_id != user.pk:
        raise Forbidden("Only the post's author (or an admin) can edit it.", code=BlogError.NOT_AUTHOR)


@transaction.atomic
def post_update(*, actor: User, post: Post, data: dict[str, Any]) -> Post:
    """Change title, body, excerpt, tags or publication time; the slug (the post's address) stays."""
    _require_editor(actor, post)
    fields: list[str] = []
    if "title" in data and data["title"] is not None:
        post.title = data["title"].strip()
        fields.append("title")
    if "body" in data and data["body"] is not None:
        post.body_markdown = data["body"]
        post.body_html = render_markdown(data["body"])
        fields += ["body_markdown", "body_html"]
        if "excerpt" not in data:
            post.excerpt = make_excerpt(post.body_html)
            fields.append("excerpt")
    if "excerpt" in data:
        post.excerpt = (data["excerpt"] or "").strip() or make_excerpt(post.body_html)
        fields.append("excerpt")
    if "published_at" in data:
        post.published_at = _aware(data["published_at"])
        fields.append("published_at")
    if fields:
        post.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    if "tags" in data and data["tags"] is not None:
        post.tags.set(_tags_from_names(data["tags"]))
    return post


def post_set_cover(*, actor: User, post: Post, content: bytes) -> Post:
    """Re-encode an uploaded cover from its pixels (orientation applied, metadata dropped) as JPEG.

    The pixel count is checked from the file's header before anything is decoded (core.images), and the
    decode takes one of the process's decode slots, outside the transaction."""
    _require_editor(actor, post)
    try:
        image = open_untrusted(content, max_pixels=MAX_COVER_PIXELS, formats=COVER_FORMATS)
        with decode_slot():
            jpeg = reencode_jpeg(image, quality=COVER_JPEG_QUALITY, max_side=COVER_MAX_SIDE, optimize=True)
    except ImageRejected as exc:
        if exc.reason == Rejection.TOO_MANY_PIXELS:
            raise Unprocessable(exc.message, code=BlogError.INVALID_IMAGE) from exc
        raise Unprocessable("The cover must be a JPEG, PNG or WebP image.", code=BlogError.INVALID_IMAGE) from exc
    with transaction.atomic():
        old = post.cover_image.name if post.cover_image else None
        post.cover_image.save(f"{post.slug}.jpg", ContentFile(jpeg), save=False)
        post.save(update_fields=["cover_image", "updated_at"])
        if old and old != post.cover_image.name:
            storage, name = post.cover_image.storage, old
            run_after_commit(lambda: storage.delete(name), what=f"delete the old cover {name}")
    return post


def bookmark_add(*, user: User, post: Post) -> None:
    """Idempotent: bookmarking twice leaves one bookmark."""
    try:
        with transaction.atomic():
            Bookmark.objects.get_or_create(user=user, post=post)
    except IntegrityError:
        pass  # a concurrent request created it: the outcome is the same


def bookmark_remove(*, user: User, post: Post) -> None:
    """Idempotent: removing a bookmark that is not there is fine."""
    Bookmark.objects.filter(user=user, post=post).delete()


def posts_detach_author(user: User) -> None:
    """Account deletion hook: unpublished drafts go with the account; published posts stay, unsigned."""
    for post in Post.objects.filter(author=user, published_at__isnull=True):
        if post.cover_image:
            post.cover_image.delete(save=False)
        post.delete()
    Post.objects.filter(author=user).update(author=None)
