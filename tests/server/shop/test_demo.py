"""The demo catalogue and demo posts load, can be bought and read, and seeding twice adds nothing."""

from __future__ import annotations

import pytest

from accounts import demo as accounts_demo
from blog import demo as blog_demo
from blog.models import Post
from shop import demo as shop_demo
from shop.models import Category, Product

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_usable(api):
    accounts_demo.seed()
    shop_demo.seed()
    blog_demo.seed()
    counts = (Category.objects.count(), Product.objects.count(), Post.objects.count())

    shop_demo.seed()
    blog_demo.seed()

    assert (Category.objects.count(), Product.objects.count(), Post.objects.count()) == counts
    assert counts[1] >= 8 and counts[2] >= 3
    names = " ".join(Product.objects.values_list("name", flat=True)).lower()
    assert "sunscreen" in names and "dermatoscope" in names
    posts = api.get("/api/v1/posts").json()
    assert posts["count"] == counts[2]
    assert all(p["author_name"] == "Dr. Clara Klein" for p in posts["items"])
    abcde = api.get("/api/v1/posts/the-abcde-rule-for-checking-moles").json()
    assert "<strong>A – Asymmetry:</strong>" in abcde["body_html"]
    assert "not a diagnosis" in abcde["body_html"]
    assert api.get("/api/v1/products", {"category": "sun-protection"}).json()["count"] >= 3
