"""The API's one pagination: page numbers, page size capped at 100, page number capped too."""

from ninja.pagination import PageNumberPagination
from pydantic import Field


class Pages(PageNumberPagination):
    """Page numbers with a ceiling, so a silly ?page= cannot overflow the database's OFFSET."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int | None = Field(None, ge=1)
