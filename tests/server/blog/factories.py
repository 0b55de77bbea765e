"""factory_boy factories for the blog tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from blog.models import Post
from blog.rendering import make_excerpt, render_markdown
from tests.server.factories import UserFactory


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Skin health note {n}")
    slug = factory.Sequence(lambda n: f"skin-health-note-{n}")
    body_markdown = "Check your skin **once a month**."
    body_html = factory.LazyAttribute(lambda o: render_markdown(o.body_markdown))
    excerpt = factory.LazyAttribute(lambda o: make_excerpt(o.body_html))
    author = factory.SubFactory(UserFactory, role="clinician")
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            from blog.services import _tags_from_names

            self.tags.set(_tags_from_names(extracted))
