"""Routes of the blog: reading is open (bookmark flags when signed in), writing is for clinicians."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from accounts.auth import jwt_auth
from blog import selectors, services
from blog.models import Post
from blog.schemas import PostDetailOut, PostFilters, PostIn, PostOut, PostPatch
from core.auth import request_user, request_user_or_anonymous
from core.errors import ApplicationError
from core.pagination import Pages
from core.schemas import ErrorOut

router = Router(tags=["blog"])

MAX_COVER_BYTES = 10 * 1024 * 1024


def optional_auth(request: HttpRequest) -> Any:
    """No Authorization header: an anonymous reader. A header: it must be a valid token (else 401)."""
    if "Authorization" not in request.headers:
        return AnonymousUser()
    return jwt_auth(request)


@router.get("/posts", auth=optional_auth, response={200: list[PostOut], 401: ErrorOut})
@paginate(Pages)
def list_posts(request: HttpRequest, filters: Query[PostFilters]) -> Any:
    return selectors.post_list(user=request_user_or_anonymous(request), search=filters.search, tag=filters.tag, mine=filters.mine)


@router.get("/posts/{slug}", auth=optional_auth, response={200: PostDetailOut, 401: ErrorOut, 404: ErrorOut})
def get_post(request: HttpRequest, slug: str) -> Post:
    return selectors.post_get(user=request_user_or_anonymous(request), slug=slug)


@router.post("/posts", auth=jwt_auth, response={201: PostDetailOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def create_post(request: HttpRequest, payload: PostIn) -> Status[Post]:
    user = request_user(request)
    post = services.post_create(author=user, **payload.dict())
    return Status(201, selectors.post_get(user=user, slug=post.slug))


@router.patch("/posts/{slug}", auth=jwt_auth, response={200: PostDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def update_post(request: HttpRequest, slug: str, payload: PostPatch) -> Post:
    user = request_user(request)
    post = selectors.post_get_for_edit(user=user, slug=slug)
    services.post_update(actor=user, post=post, data=payload.dict(exclude_unset=True))
    return selectors.post_get_for_edit(user=user, slug=slug)


@router.post(
    "/posts/{slug}/cover",
    auth=jwt_auth,
    response={200: PostDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut, 503: ErrorOut},
)
def upload_post_cover(request: HttpRequest, slug: str, image: File[UploadedFile]) -> Post:
    user = request_user(request)
    post = selectors.post_get_for_edit(user=user, slug=slug)
    if image.size is not None and image.size > MAX_COVER_BYTES:
        raise ApplicationError(f"The cover image may be at most {MAX_COVER_BYTES // (1024 * 1024)} MB.", code="too_large", status=413)
    services.post_set_cover(actor=user, post=post, content=image.read())
    return selectors.post_get_for_edit(user=user, slug=slug)


@router.put("/posts/{slug}/bookmark", auth=jwt_auth, response={204: None, 401: ErrorOut, 404: ErrorOut})
def bookmark_post(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    services.bookmark_add(user=user, post=selectors.post_get(user=user, slug=slug))
    return HttpResponse(status=204)


@router.delete("/posts/{slug}/bookmark", auth=jwt_auth, response={204: None, 401: ErrorOut, 404: ErrorOut})
def unbookmark_post(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    services.bookmark_remove(user=user, post=selectors.post_get(user=user, slug=slug))
    return HttpResponse(status=204)


@router.get("/bookmarks", auth=jwt_auth, response={200: list[PostOut], 401: ErrorOut})
@paginate(Pages)
def list_bookmarks(request: HttpRequest) -> Any:
    return selectors.bookmark_list(user=request_user(request))
