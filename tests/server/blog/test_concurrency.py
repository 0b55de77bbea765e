"""Bookmarks under real concurrency (MariaDB): parallel PUTs leave exactly one bookmark, all 204."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from blog.models import Bookmark
from tests.server.blog.factories import PostFactory
from tests.server.conftest import ApiClient, token_for
from tests.server.factories import UserFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]


def test_parallel_bookmarks_of_one_post_make_one_row():
    post = PostFactory()
    token = token_for(UserFactory())
    gate = threading.Event()

    def put(_: int) -> int:
        try:
            gate.wait(timeout=30)
            return ApiClient(token).put(f"/api/v1/posts/{post.slug}/bookmark").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(put, i) for i in range(20)]
        gate.set()
        statuses = [f.result() for f in futures]

    assert statuses == [204] * 20
    assert Bookmark.objects.filter(post=post).count() == 1
