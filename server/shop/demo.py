"""Demo catalogue for the embedded default: sun protection, dermatoscopy, skin care (idempotent)."""

from __future__ import annotations

from shop.models import Category, Product

CATEGORIES = [
    ("sun-protection", "Sun protection", 1),
    ("dermatoscopy", "Dermatoscope attachments", 2),
    ("skin-care", "Skin care", 3),
    ("self-exam", "Self-examination aids", 4),
]

# sku, name, category, net price in cents (EUR), stock, description
PRODUCTS = [
    (
        "SUN-SPF50-100",
        "Broad-spectrum sunscreen SPF 50+ (100 ml)",
        "sun-protection",
        1490,
        120,
        "Very high UVA/UVB protection, fragrance-free, water-resistant for 80 minutes. Reapply every two hours outdoors.",
    ),
    (
        "SUN-SPF30-KIDS",
        "Mineral sunscreen SPF 30 for children (75 ml)",
        "sun-protection",
        1190,
        80,
        "Zinc oxide formula for sensitive skin. Keep infants under 12 months out of direct sun altogether.",
    ),
    ("SUN-LIP-SPF30", "Lip balm SPF 30", "sun-protection", 450, 200, "Lips burn too: reapply after eating and drinking."),
    ("SUN-HAT-UPF50", "Wide-brim sun hat UPF 50+", "sun-protection", 2990, 40, "Shades face, ears and neck; packable."),
    (
        "DERM-CLIP-10X",
        "Smartphone dermatoscope attachment, 10x polarised",
        "dermatoscopy",
        8900,
        25,
        "Clip-on lens with polarised LED ring for sharper, glare-free lesion photos in the screening app.",
    ),
    (
        "DERM-RULER-50",
        "Adhesive lesion rulers (50 pieces)",
        "dermatoscopy",
        690,
        150,
        "Millimetre scale stickers to place next to a lesion so changes in size can be compared over time.",
    ),
    (
        "DERM-CALIB-CARD",
        "Colour calibration card for skin photos",
        "dermatoscopy",
        1290,
        60,
        "Grey and colour patches for consistent lighting between follow-up photos.",
    ),
    ("CARE-EMOLLIENT-400", "Emollient cream for dry skin (400 g)", "skin-care", 1650, 70, "Unperfumed moisturiser for daily use."),
    (
        "CARE-AFTERSUN-200",
        "After-sun gel with aloe (200 ml)",
        "skin-care",
        890,
        90,
        "Soothes sun-exposed skin. Sunburn is skin damage: prevent it.",
    ),
    (
        "EXAM-MIRROR-HAND",
        "Hand mirror for skin self-examination",
        "self-exam",
        1590,
        35,
        "Use with a wall mirror to check your back and scalp once a month.",
    ),
    (
        "EXAM-BODYMAP",
        "Body map pad for mole tracking (30 sheets)",
        "self-exam",
        590,
        100,
        "Mark moles and note the date, size and colour; bring it to your clinician.",
    ),
]


def seed() -> list[str]:
    """Create the demo categories and products if missing (stock is only set on creation)."""
    categories = {}
    for slug, name, position in CATEGORIES:
        categories[slug], _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    created = 0
    for sku, name, category, price, stock, description in PRODUCTS:
        _, was_created = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": name,
                "category": categories[category],
                "price_minor": price,
                "currency": "EUR",
                "stock": stock,
                "description": description,
                "active": True,
            },
        )
        created += int(was_created)
    return [f"  shop: {len(PRODUCTS)} demo products in {len(CATEGORIES)} categories ({created} new)"]
