"""Blog data: tags, posts (Markdown source plus its sanitised HTML) and per-user bookmarks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Tag(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Post(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    body_markdown = models.TextField()
    # Rendered from body_markdown and sanitised with nh3 whenever the body is written.
    body_html = models.TextField()
    excerpt = models.CharField(max_length=300, blank=True)
    cover_image = models.ImageField(upload_to="blog/covers/", blank=True, null=True)
    # Published posts outlive their author's account; drafts go with it (see the delete hook).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="posts")
    tags = models.ManyToManyField(Tag, related_name="posts", blank=True)
    # NULL: a draft (its author only). In the future: scheduled. Otherwise published.
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["-published_at"])]
        constraints = [models.CheckConstraint(condition=~Q(slug=""), name="blog_post_slug_not_empty")]

    def __str__(self) -> str:
        return self.title


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="blog_bookmark_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.post_id}"
