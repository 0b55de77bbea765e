"""Blog reads: what a reader may see (published posts, plus their own drafts) and their bookmarks."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from blog.error_codes import BlogError
from blog.models import Bookmark, Post
from core.errors import NotFound
from core.permissions import is_admin


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _with_bookmarked(qs: QuerySet[Post], user: Any) -> QuerySet[Post]:
    if _signed_in(user):
        return qs.annotate(bookmarked=Exists(Bookmark.objects.filter(user=user, post=OuterRef("pk"))))
    return qs.annotate(bookmarked=Value(False, output_field=BooleanField()))


def visible_posts(user: Any) -> QuerySet[Post]:
    """Published posts for everyone; drafts and scheduled posts for their author only."""
    published = Q(published_at__isnull=False, published_at__lte=timezone.now())
    condition = published | Q(author=user) if _signed_in(user) else published
    return Post.objects.filter(condition).select_related("author").prefetch_related("tags")


def post_list(*, user: Any, search: str | None = None, tag: str | None = None, mine: bool = False) -> QuerySet[Post]:
    qs = visible_posts(user)
    if mine:
        qs = qs.filter(author=user) if _signed_in(user) else qs.none()
    else:
        # The public feed shows published posts only; an author finds their drafts with ?mine=true.
        qs = qs.filter(published_at__isnull=False, published_at__lte=timezone.now())
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(title__icontains=term) | Q(body_markdown__icontains=term) | Q(tags__name__icontains=term)).distinct()
    if tag:
        qs = qs.filter(tags__slug=tag.strip().lower())
    return _with_bookmarked(qs, user).order_by("-published_at", "-id")


def post_get(*, user: Any, slug: str) -> Post:
    post = _with_bookmarked(visible_posts(user), user).filter(slug=slug).first()
    if post is None:
        raise NotFound("Post not found.", code=BlogError.POST_NOT_FOUND)
    return post


def post_get_for_edit(*, user: Any, slug: str) -> Post:
    """The post an author or admin is about to change (admins may reach others' drafts)."""
    qs = Post.objects.select_related("author").prefetch_related("tags") if is_admin(user) else visible_posts(user)
    post = _with_bookmarked(qs, user).filter(slug=slug).first()
    if post is None:
        raise NotFound("Post not found.", code=BlogError.POST_NOT_FOUND)
    return post


def bookmark_list(*, user: Any) -> QuerySet[Post]:
    """The user's bookmarked posts they can still see, most recently bookmarked first."""
    qs = visible_posts(user).filter(bookmarks__user=user).annotate(bookmarked=Value(True, output_field=BooleanField()))
    return qs.order_by("-bookmarks__created_at", "-id")
