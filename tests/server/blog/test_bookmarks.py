"""Bookmarks: idempotent PUT and DELETE, my bookmarks, the flag in lists, account deletion."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from blog.models import Bookmark, Post
from tests.server.blog.factories import PostFactory
from tests.server.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_bookmark_and_unbookmark_are_idempotent(as_user, patient):
    post = PostFactory()
    client = as_user(patient)

    assert client.put(f"/api/v1/posts/{post.slug}/bookmark").status_code == 204
    assert client.put(f"/api/v1/posts/{post.slug}/bookmark").status_code == 204
    assert Bookmark.objects.filter(user=patient).count() == 1
    assert client.get(f"/api/v1/posts/{post.slug}").json()["bookmarked"] is True

    assert client.delete(f"/api/v1/posts/{post.slug}/bookmark").status_code == 204
    assert client.delete(f"/api/v1/posts/{post.slug}/bookmark").status_code == 204
    assert Bookmark.objects.count() == 0
    assert client.get(f"/api/v1/posts/{post.slug}").json()["bookmarked"] is False


def test_my_bookmarks_newest_first_and_flags_are_per_user(as_user, patient):
    first, second, unmarked = PostFactory(title="First"), PostFactory(title="Second"), PostFactory(title="Unmarked")
    client = as_user(patient)
    client.put(f"/api/v1/posts/{first.slug}/bookmark")
    client.put(f"/api/v1/posts/{second.slug}/bookmark")
    as_user(UserFactory()).put(f"/api/v1/posts/{unmarked.slug}/bookmark")

    mine = client.get("/api/v1/bookmarks").json()
    assert [p["title"] for p in mine["items"]] == ["Second", "First"]
    assert all(p["bookmarked"] for p in mine["items"])

    flags = {p["title"]: p["bookmarked"] for p in client.get("/api/v1/posts").json()["items"]}
    assert flags == {"First": True, "Second": True, "Unmarked": False}


def test_bookmarks_need_a_login_and_an_existing_post(api, as_user, patient):
    post = PostFactory()
    assert api.put(f"/api/v1/posts/{post.slug}/bookmark").status_code == 401
    assert api.get("/api/v1/bookmarks").status_code == 401
    assert as_user(patient).put("/api/v1/posts/no-such-post/bookmark").status_code == 404
    assert Bookmark.objects.count() == 0


def test_a_bad_token_is_401_even_where_reading_is_open(api):
    PostFactory()
    response = api.get("/api/v1/posts", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_a_post_turned_back_into_a_draft_leaves_my_bookmarks(as_user, patient):
    post = PostFactory()
    as_user(patient).put(f"/api/v1/posts/{post.slug}/bookmark")
    Post.objects.filter(pk=post.pk).update(published_at=None)
    assert as_user(patient).get("/api/v1/bookmarks").json()["count"] == 0


def test_deleting_an_account_removes_its_bookmarks_and_drafts_keeps_published_posts(patient):
    author = UserFactory(role="clinician")
    published = PostFactory(author=author)
    PostFactory(author=author, published_at=None)
    Bookmark.objects.create(user=patient, post=published)

    account_services.user_delete(user=author, password=DEFAULT_PASSWORD)
    account_services.user_delete(user=patient, password=DEFAULT_PASSWORD)

    assert list(Post.objects.values_list("pk", flat=True)) == [published.pk]
    assert Post.objects.get().author is None
    assert Bookmark.objects.count() == 0
