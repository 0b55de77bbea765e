"""Blog posts: listing and search, drafts for their author only, safe Markdown, authoring rights."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from blog.models import Post
from tests.server.blog.factories import PostFactory
from tests.server.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_KEYS = {"id", "slug", "title", "excerpt", "cover_image_url", "author_name", "tags", "published_at", "bookmarked"}


def test_list_has_the_mobile_contract_newest_first(api):
    author = UserFactory(role="clinician", full_name="Dr. Clara Klein")
    old = PostFactory(title="Old", author=author, published_at=timezone.now() - timedelta(days=5), tags=["Sun protection"])
    new = PostFactory(title="New", author=author, published_at=timezone.now() - timedelta(hours=1))

    response = api.get("/api/v1/posts")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["slug"] for p in body["items"]] == [new.slug, old.slug]
    item = body["items"][1]
    assert LIST_KEYS <= set(item)
    assert item["author_name"] == "Dr. Clara Klein"
    assert item["tags"] == ["sun-protection"]
    assert item["bookmarked"] is False
    assert item["cover_image_url"] is None
    assert "body_html" not in item


def test_search_and_tag_filter(api):
    PostFactory(title="The ABCDE rule", body_markdown="Asymmetry, border, colour", tags=["melanoma"])
    PostFactory(title="Sunscreen basics", body_markdown="SPF 30 or higher", tags=["sun-protection"])
    PostFactory(title="Hats", body_markdown="Wide brims shade your ears", tags=["sun-protection", "prevention"])

    assert [p["title"] for p in api.get("/api/v1/posts", {"search": "abcde"}).json()["items"]] == ["The ABCDE rule"]
    assert [p["title"] for p in api.get("/api/v1/posts", {"search": "SPF"}).json()["items"]] == ["Sunscreen basics"]
    assert sorted(p["title"] for p in api.get("/api/v1/posts", {"tag": "sun-protection"}).json()["items"]) == ["Hats", "Sunscreen basics"]
    assert [p["title"] for p in api.get("/api/v1/posts", {"tag": "sun-protection", "search": "ears"}).json()["items"]] == ["Hats"]
    assert api.get("/api/v1/posts", {"tag": "nothing"}).json()["count"] == 0


def test_pagination_is_capped(api):
    author = UserFactory(role="clinician")
    for i in range(103):
        PostFactory(author=author, slug=f"p-{i}")
    assert len(api.get("/api/v1/posts", {"page_size": 500}).json()["items"]) == 100
    assert api.get("/api/v1/posts", {"page": 0}).status_code == 422


def test_drafts_and_scheduled_posts_are_visible_to_their_author_only(api, as_user, patient, admin_user):
    author = UserFactory(role="clinician")
    draft = PostFactory(author=author, published_at=None, title="Draft")
    scheduled = PostFactory(author=author, published_at=timezone.now() + timedelta(days=3), title="Later")
    PostFactory(author=author, title="Live")

    for reader in (api, as_user(patient), as_user(UserFactory(role="clinician")), as_user(admin_user)):
        assert [p["title"] for p in reader.get("/api/v1/posts").json()["items"]] == ["Live"]
        for hidden in (draft, scheduled):
            response = reader.get(f"/api/v1/posts/{hidden.slug}")
            assert response.status_code == 404
            assert response.json()["code"] == "post_not_found"
            assert reader.put(f"/api/v1/posts/{hidden.slug}/bookmark").status_code in (401, 404)

    mine = as_user(author)
    assert mine.get(f"/api/v1/posts/{draft.slug}").json()["draft"] is True
    assert sorted(p["title"] for p in mine.get("/api/v1/posts", {"mine": "true"}).json()["items"]) == ["Draft", "Later", "Live"]
    # The public feed stays the public feed, even for the author
    assert [p["title"] for p in mine.get("/api/v1/posts").json()["items"]] == ["Live"]


def test_markdown_with_scripts_is_rendered_harmless(as_user, clinician, api):
    body = (
        "# Sun safety\n\n"
        "<script>alert('xss')</script>\n\n"
        "Use **SPF 30**. [Click](javascript:alert(1)) and [WHO](https://www.who.int).\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        '<a href="https://example.org" onclick="steal()">link</a>\n\n'
        "<iframe src='https://evil.example'></iframe><style>body{display:none}</style>"
    )
    created = as_user(clinician).post("/api/v1/posts", {"title": "Sun safety", "body": body, "published_at": timezone.now().isoformat()})
    assert created.status_code == 201, created.content

    html = api.get(f"/api/v1/posts/{created.json()['slug']}").json()["body_html"]

    assert "<strong>SPF 30</strong>" in html
    assert '<a href="https://www.who.int" rel="noopener noreferrer nofollow">WHO</a>' in html
    lowered = html.lower()
    for bad in ("<script", "alert('xss')", "javascript:", "onerror", "onclick", "<iframe", "<style", "display:none"):
        assert bad not in lowered, bad
    assert "alert" not in created.json()["excerpt"]


def test_clinicians_and_admins_author_patients_do_not(as_user, clinician, admin_user, patient):
    payload = {"title": "Moles 101", "body": "Most moles are *harmless*.", "tags": ["Moles", "self examination"]}

    response = as_user(clinician).post("/api/v1/posts", payload)
    assert response.status_code == 201
    post = response.json()
    assert post["slug"] == "moles-101"
    assert post["draft"] is True and post["published_at"] is None
    assert post["tags"] == ["moles", "self-examination"]
    assert post["body_html"] == "<p>Most moles are <em>harmless</em>.</p>"
    assert post["excerpt"] == "Most moles are harmless."

    assert as_user(admin_user).post("/api/v1/posts", payload).json()["slug"] == "moles-101-2"

    denied = as_user(patient).post("/api/v1/posts", payload)
    assert denied.status_code == 403
    assert Post.objects.count() == 2


def test_authoring_bad_input_is_clear_4xx(as_user, clinician):
    client = as_user(clinician)
    assert client.post("/api/v1/posts", {"title": "", "body": "x"}).status_code == 422
    assert client.post("/api/v1/posts", {"title": "T", "body": "x", "author_id": 1}).status_code == 422
    assert client.post("/api/v1/posts", {"title": "T", "body": "x", "slug": "Not A Slug"}).status_code == 422
    assert client.post("/api/v1/posts", {"title": "T", "body": "x", "tags": ["!!!"]}).json()["code"] == "invalid_tag"
    assert client.post("/api/v1/posts", {"title": "T", "body": "x", "published_at": "2026-01-01T10:00:00"}).status_code == 422
    assert client.post("/api/v1/posts", {"title": "T", "body": "x" * 100_001}).status_code in (413, 422)
    client.post("/api/v1/posts", {"title": "T", "body": "x", "slug": "taken"})
    assert client.post("/api/v1/posts", {"title": "T2", "body": "y", "slug": "taken"}).status_code == 409
    assert Post.objects.count() == 1


def test_author_edits_publishes_and_others_cannot(as_user, clinician, admin_user, api):
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Draft title", "body": "First"}).json()["slug"]

    patched = client.patch(f"/api/v1/posts/{slug}", {"title": "Final title", "body": "Second <script>x()</script>", "tags": ["prevention"]})
    assert patched.status_code == 200
    assert patched.json()["title"] == "Final title"
    assert patched.json()["body_html"] == "<p>Second </p>"
    assert patched.json()["tags"] == ["prevention"]
    assert api.get(f"/api/v1/posts/{slug}").status_code == 404  # still a draft

    published = client.patch(f"/api/v1/posts/{slug}", {"published_at": timezone.now().isoformat()})
    assert published.json()["draft"] is False
    assert api.get(f"/api/v1/posts/{slug}").status_code == 200

    other = as_user(UserFactory(role="clinician"))
    assert other.patch(f"/api/v1/posts/{slug}", {"title": "Hijack"}).status_code == 403
    assert as_user(UserFactory()).patch(f"/api/v1/posts/{slug}", {"title": "Hijack"}).status_code == 403
    assert as_user(admin_user).patch(f"/api/v1/posts/{slug}", {"title": "Edited by admin"}).status_code == 200
    assert Post.objects.get(slug=slug).title == "Edited by admin"


def test_cover_image_is_reencoded_and_bad_files_refused(as_user, clinician, api):
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Covered", "body": "x", "published_at": timezone.now().isoformat()}).json()["slug"]
    png = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 120, 90)).save(png, format="PNG")
    png.seek(0)
    png.name = "cover.png"

    response = client.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": png})

    assert response.status_code == 200, response.content
    url = api.get(f"/api/v1/posts/{slug}").json()["cover_image_url"]
    assert url.startswith("http://testserver/media/blog/covers/") and url.endswith(".jpg")
    with Post.objects.get(slug=slug).cover_image.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"

    junk = io.BytesIO(b"not an image at all")
    junk.name = "evil.png"
    bad = client.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": junk})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_image"


def test_cover_over_the_pixel_limit_is_refused_without_changing_pillows_global_limit(as_user, clinician, monkeypatch):
    # Given a cover limit of 1,000 pixels and a 64x32 (2,048 pixel) image
    monkeypatch.setattr("blog.services.MAX_COVER_PIXELS", 1000)
    client = as_user(clinician)
    slug = client.post("/api/v1/posts", {"title": "Too big", "body": "x"}).json()["slug"]
    png = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 120, 90)).save(png, format="PNG")
    png.seek(0)
    png.name = "cover.png"
    limit_before = Image.MAX_IMAGE_PIXELS
    # When it is uploaded
    response = client.post_multipart(f"/api/v1/posts/{slug}/cover", {"image": png})
    # Then it is refused, nothing is stored, and the process-wide limit screening relies on is untouched
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_image"
    assert not Post.objects.get(slug=slug).cover_image
    assert Image.MAX_IMAGE_PIXELS == limit_before
