"""Markdown to safe HTML: render with python-markdown, then sanitise with nh3 (allow-list)."""

from __future__ import annotations

import html
import re

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "del", "sup", "sub",
    "ul", "ol", "li", "blockquote", "code", "pre", "a", "img", "abbr",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXCERPT_LENGTH = 280


def render_markdown(source: str) -> str:
    """Markdown -> HTML with only allow-listed tags, attributes and URL schemes (scripts and handlers gone)."""
    raw = markdown.markdown(source, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(safe_html: str) -> str:
    """Visible text of sanitised HTML, whitespace collapsed."""
    text = html.unescape(nh3.clean(safe_html, tags=set()))
    return re.sub(r"\s+", " ", text).strip()


def make_excerpt(safe_html: str, limit: int = EXCERPT_LENGTH) -> str:
    text = plain_text(safe_html)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"
