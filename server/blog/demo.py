"""Demo posts on skin health for the embedded default, by the demo clinician (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from blog import services
from blog.models import Post

DEMO_AUTHOR = "clinician@demo.skinscreen.local"

POSTS = [
    (
        "the-abcde-rule-for-checking-moles",
        "The ABCDE rule for checking moles",
        ["melanoma", "self-examination", "moles"],
        20,
        """Most moles are harmless. A few changes are worth a closer look, and the **ABCDE** rule helps you notice them:

- **A – Asymmetry:** one half does not match the other.
- **B – Border:** edges that are ragged, notched or blurred.
- **C – Colour:** several shades of brown or black, or patches of red, white or blue.
- **D – Diameter:** larger than about 6 mm (a pencil eraser), although melanomas can be smaller.
- **E – Evolving:** any change in size, shape, colour or height, or new symptoms such as itching or bleeding.

Also watch for the *ugly duckling*: a mole that looks different from your other moles.

Check your skin once a month in good light, using a mirror for your back or asking someone to help.
Photos taken the same way each time (same distance, light and a ruler next to the mole) make changes easier to see.

> A screening app or a checklist is a screening aid, not a diagnosis. If a mole worries you, see a doctor.
""",
    ),
    (
        "sun-protection-that-works",
        "Sun protection that actually works",
        ["sun-protection", "prevention"],
        12,
        """Ultraviolet (UV) radiation is the main avoidable cause of skin cancer. Good habits matter more than any single product:

1. **Seek shade** between 11:00 and 15:00 when the UV index is 3 or higher.
2. **Cover up** with clothing, a wide-brimmed hat and UV-blocking sunglasses.
3. **Use sunscreen** with SPF 30 or higher and UVA protection on skin you cannot cover. Most people apply
   too little: about two tablespoons for the whole body. Reapply every two hours and after swimming or sweating.
4. **Never use sunbeds.**
5. **Protect children** especially: keep babies under 12 months out of direct sun.

Sunscreen is not a reason to stay out longer. A tan is a sign of skin damage, not of health.
""",
    ),
    (
        "when-to-see-a-doctor-about-a-skin-spot",
        "When to see a doctor about a skin spot",
        ["melanoma", "when-to-see-a-doctor"],
        5,
        """See a doctor **soon** (within two weeks) if you notice:

- a new mole after the age of about 30, or a mole that changes in size, shape or colour;
- a spot or sore that does not heal within four weeks;
- a lump that grows, bleeds, crusts or itches;
- a dark streak under a nail that was not caused by an injury.

Seek care **the same day** if a spot bleeds heavily or you feel unwell.

Bring photos of how the spot looked before if you have them. The app's result can help you decide to go,
but it **cannot rule out skin cancer**: a clinician's examination, sometimes with dermoscopy or a biopsy, can.
""",
    ),
]


def seed() -> list[str]:
    """Create the demo posts if missing; they need the demo clinician from accounts.demo."""
    author = User.objects.filter(email=DEMO_AUTHOR).first()
    if author is None:
        return [f"  blog: skipped demo posts ({DEMO_AUTHOR} does not exist)"]
    created = 0
    now = timezone.now()
    for slug, title, tags, days_ago, body in POSTS:
        if Post.objects.filter(slug=slug).exists():
            continue
        services.post_create(author=author, title=title, body=body, tags=tags, slug=slug, published_at=now - timedelta(days=days_ago))
        created += 1
    return [f"  blog: {len(POSTS)} demo posts on skin health ({created} new)"]
