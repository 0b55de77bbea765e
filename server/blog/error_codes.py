"""Machine-readable error codes of the blog app."""

from enum import StrEnum


class BlogError(StrEnum):
    POST_NOT_FOUND = "post_not_found"
    SLUG_TAKEN = "slug_taken"
    INVALID_TAG = "invalid_tag"
    NOT_AUTHOR = "not_author"
    INVALID_IMAGE = "invalid_image"
