"""factory_boy factories for the shop tests."""

from __future__ import annotations

import factory

from shop.models import Category, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Sunscreen SPF {n}")
    description = "Broad-spectrum protection."
    price_minor = 1000
    currency = "EUR"
    stock = 10
    active = True
    category = factory.SubFactory(CategoryFactory)
