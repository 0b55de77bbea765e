"""SYNTHETIC lesion-like images written in exactly the HAM10000 release layout (for tests and the demo).

Each class has a procedural prototype (shape irregularity, palette, texture and a class-specific
structure: dots, vessels, a central white patch, red lacunae...). Parameters overlap between classes
and every image gets skin-tone, lighting, rotation, noise, blur and hair-like strokes, so the class is
learnable but not trivially. Class frequencies follow HAM10000; a lesion has one to several images.
Nothing here is real patient data, and a model trained on it is labelled SYNTHETIC everywhere.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lesion_contract.labels import LABELS
from model_pipeline.progress import progress

# HAM10000 class frequencies (10,015 images)
HAM_COUNTS = {"akiec": 327, "bcc": 514, "bkl": 1099, "df": 115, "mel": 1113, "nv": 6705, "vasc": 142}
LOCALIZATIONS = ("back", "lower extremity", "trunk", "upper extremity", "abdomen", "face", "chest", "scalp")


@dataclass(frozen=True)
class ClassStyle:
    irregularity: float  # amplitude of the border's Fourier perturbation
    radius: tuple[float, float]  # fraction of the short side
    palette: tuple[tuple[int, int, int], ...]  # colours mixed inside the lesion
    texture: float  # strength of blotchy texture
    feature: str  # class-specific structure


STYLES: dict[str, ClassStyle] = {
    "nv": ClassStyle(0.06, (0.22, 0.34), ((120, 80, 50), (100, 65, 40), (140, 95, 60)), 0.25, "network"),
    "mel": ClassStyle(0.22, (0.26, 0.40), ((60, 40, 30), (30, 25, 25), (90, 90, 120), (130, 85, 60)), 0.7, "multicolour"),
    "bkl": ClassStyle(0.10, (0.22, 0.36), ((170, 130, 90), (150, 110, 75), (185, 150, 110)), 0.45, "cerebriform"),
    "bcc": ClassStyle(0.14, (0.18, 0.32), ((200, 150, 150), (170, 130, 140), (110, 110, 130)), 0.35, "vessels"),
    "akiec": ClassStyle(0.18, (0.20, 0.34), ((200, 120, 110), (180, 110, 100), (215, 160, 140)), 0.6, "scale"),
    "df": ClassStyle(0.07, (0.14, 0.24), ((150, 105, 75), (165, 120, 90)), 0.3, "white_centre"),
    "vasc": ClassStyle(0.08, (0.16, 0.28), ((150, 40, 60), (110, 30, 70), (170, 60, 80)), 0.3, "lacunae"),
}


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    grid = rng.random((cells + 1, cells + 1)).astype(np.float32)
    img = Image.fromarray((grid * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _lesion_params(rng: np.random.Generator, label: str) -> dict:
    style = STYLES[label]
    n_harm = 6
    return {
        "label": label,
        "radius": rng.uniform(*style.radius),
        "amps": rng.normal(0, style.irregularity, n_harm) / np.arange(1, n_harm + 1) ** 0.6,
        "phases": rng.uniform(0, 2 * math.pi, n_harm),
        "aspect": rng.uniform(0.75, 1.0),
        "colours": np.array(style.palette, np.float32) + rng.normal(0, 18, (len(style.palette), 3)),
        "texture": style.texture * rng.uniform(0.6, 1.4),
        "seed": int(rng.integers(0, 2**31 - 1)),
    }


def draw_lesion(params: dict, rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Draw one image of a lesion (per-image pose, lighting, hair and noise vary)."""
    label = params["label"]
    style = STYLES[label]
    lesion_rng = np.random.default_rng(params["seed"])  # lesion-constant texture
    h, w = height, width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    side = min(h, w)
    cx = w / 2 + rng.normal(0, 0.05) * side
    cy = h / 2 + rng.normal(0, 0.05) * side
    rot = rng.uniform(0, 2 * math.pi)
    scale = rng.uniform(0.85, 1.15)
    dx, dy = xx - cx, yy - cy
    theta = np.arctan2(dy, dx) + rot
    dist = np.hypot(dx, dy * (1 / params["aspect"]))
    border = np.ones_like(theta)
    for k, (a, p) in enumerate(zip(params["amps"], params["phases"], strict=False), start=1):
        border += a * np.cos(k * theta + p)
    radius = params["radius"] * side * scale * border
    edge = side * rng.uniform(0.015, 0.05) * (2.0 if label in ("akiec", "bkl") else 1.0)
    mask = 1.0 / (1.0 + np.exp((dist - radius) / max(edge, 1e-3)))

    red = rng.uniform(170, 240)
    skin = np.array([red, red - rng.uniform(25, 55), red - rng.uniform(45, 80)], np.float32)
    img = np.broadcast_to(skin, (h, w, 3)).copy()
    img += (_smooth_noise(rng, h, w, 6)[..., None] - 0.5) * 20

    colours = params["colours"]
    weights = np.stack([_smooth_noise(lesion_rng, h, w, 4 + 2 * i) for i in range(len(colours))], -1)
    weights = weights ** (1 + 3 * params["texture"])
    weights /= weights.sum(-1, keepdims=True) + 1e-6
    lesion = weights @ colours
    lesion *= 1 + (_smooth_noise(lesion_rng, h, w, 12)[..., None] - 0.5) * params["texture"] * 0.6
    rel = dist / np.maximum(radius, 1e-3)

    feature = style.feature
    if feature == "network":  # faint pigment network
        net = (np.sin(xx / side * 60 + rot) * np.sin(yy / side * 60 - rot) > 0.6).astype(np.float32)
        lesion *= (1 - 0.12 * net)[..., None]
    elif feature == "multicolour":  # dark blotch + blue-white veil off-centre
        bx, by = cx + rng.normal(0, 0.12) * side, cy + rng.normal(0, 0.12) * side
        blotch = np.exp(-(((xx - bx) ** 2 + (yy - by) ** 2) / (2 * (0.08 * side) ** 2)))
        lesion = lesion * (1 - 0.6 * blotch[..., None]) + np.array([90, 100, 140]) * 0.4 * blotch[..., None]
    elif feature == "cerebriform":  # gyri-like ridges
        ridges = np.sin((xx * np.cos(rot) + yy * np.sin(rot)) / side * 45 + 3 * _smooth_noise(lesion_rng, h, w, 5))
        lesion *= (1 + 0.12 * ridges)[..., None]
    elif feature == "white_centre":
        centre = np.exp(-(rel**2) / (2 * 0.3**2))
        lesion = lesion * (1 - 0.7 * centre[..., None]) + np.array([235, 225, 215]) * 0.7 * centre[..., None]
    elif feature == "lacunae":
        for _ in range(int(rng.integers(4, 10))):
            a, r = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.7) * params["radius"] * side
            bx, by = cx + r * math.cos(a), cy + r * math.sin(a)
            blob = np.exp(-(((xx - bx) ** 2 + (yy - by) ** 2) / (2 * (0.05 * side) ** 2)))
            lesion = lesion * (1 - 0.5 * blob[..., None]) + np.array([120, 10, 40]) * 0.5 * blob[..., None]
    elif feature == "scale":  # rough, scaly surface
        grain = lesion_rng.random((h, w)).astype(np.float32)
        lesion *= (1 + 0.25 * (grain - 0.5))[..., None]
        lesion += (grain > 0.93)[..., None] * 50
    img = img * (1 - mask[..., None]) + lesion * mask[..., None]
    img = np.clip(img, 0, 255)

    pil = Image.fromarray(img.astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    if feature == "vessels":  # arborising red vessels
        for _ in range(int(rng.integers(3, 8))):
            x0, y0 = cx + rng.normal(0, 0.15) * side, cy + rng.normal(0, 0.15) * side
            for _ in range(int(rng.integers(3, 7))):
                x1, y1 = x0 + rng.normal(0, 0.07) * side, y0 + rng.normal(0, 0.07) * side
                draw.line([(x0, y0), (x1, y1)], fill=(170, 30, 40), width=max(1, side // 120))
                x0, y0 = x1, y1
    if label in ("mel", "nv", "akiec") and rng.random() < 0.6:  # dots / globules
        for _ in range(int(rng.integers(3, 15))):
            a, r = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 1.0) * params["radius"] * side
            bx, by = cx + r * math.cos(a), cy + r * math.sin(a)
            s = rng.uniform(0.006, 0.02) * side
            draw.ellipse([bx - s, by - s, bx + s, by + s], fill=(45, 30, 25))
    for _ in range(int(rng.poisson(2.0))):  # hair-like strokes
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        angle = rng.uniform(0, 2 * math.pi)
        points = []
        for _ in range(8):
            points.append((x0, y0))
            angle += rng.normal(0, 0.2)
            x0 += math.cos(angle) * side / 10
            y0 += math.sin(angle) * side / 10
        shade = int(rng.uniform(15, 70))
        draw.line(points, fill=(shade, shade - 5 if shade > 5 else 0, 0), width=max(1, int(rng.uniform(0.5, 1.5) * side / 150)))
    if rng.random() < 0.5:
        pil = pil.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    arr = np.asarray(pil, dtype=np.float32)
    vignette = 1 - rng.uniform(0.1, 0.45) * (np.hypot(xx - w / 2, yy - h / 2) / (0.75 * max(h, w))) ** 2
    gain = rng.uniform(0.8, 1.15) * np.array([rng.uniform(0.92, 1.08) for _ in range(3)], np.float32)
    arr = arr * vignette[..., None] * gain + rng.normal(0, rng.uniform(2, 8), arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def class_plan(n_images: int, min_per_class: int) -> dict[str, int]:
    """Images per class: HAM10000 proportions, at least ``min_per_class`` each."""
    total = sum(HAM_COUNTS.values())
    plan = {k: max(min_per_class, round(n_images * v / total)) for k, v in HAM_COUNTS.items()}
    plan["nv"] = max(min_per_class, plan["nv"] - (sum(plan.values()) - n_images))
    return plan


def generate(
    out: str | Path,
    n_images: int = 1500,
    *,
    seed: int = 0,
    width: int = 200,
    height: int = 150,
    min_per_class: int = 6,
) -> Path:
    """Write a SYNTHETIC dataset in HAM10000 layout under ``out`` and return the path."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty")
    parts = [out / "HAM10000_images_part_1", out / "HAM10000_images_part_2"]
    for p in parts:
        p.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plan = class_plan(n_images, min_per_class)
    jobs: list[tuple[str, str, dict]] = []
    lesion_no = 0
    for label in LABELS:
        remaining = plan[label]
        while remaining > 0:
            lesion_no += 1
            n = min(remaining, 1 + int(rng.geometric(0.65)) - 1)
            # keep at least two lesions per class so a lesion-level split has both sides
            if remaining - n == 0 and sum(1 for j in jobs if j[1] == label) == 0 and remaining > 1:
                n = remaining - 1
            params = _lesion_params(rng, label)
            lesion_id = f"SYN_L{lesion_no:06d}"
            jobs.extend((lesion_id, label, params) for _ in range(n))
            remaining -= n
    order = rng.permutation(len(jobs))
    rows = []
    for k, idx in progress(enumerate(order), len(order), "synthetic images"):
        lesion_id, label, params = jobs[idx]
        image_id = f"SYN_{k:07d}"
        image = draw_lesion(params, rng, width, height)
        image.save(parts[k % 2] / f"{image_id}.jpg", quality=92)
        rows.append(
            {
                "lesion_id": lesion_id,
                "image_id": image_id,
                "dx": label,
                "dx_type": "synthetic",
                "age": int(rng.integers(20, 86)),
                "sex": "male" if rng.random() < 0.5 else "female",
                "localization": LOCALIZATIONS[int(rng.integers(len(LOCALIZATIONS)))],
            }
        )
    with (out / "HAM10000_metadata.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (out / "SYNTHETIC.json").write_text(
        json.dumps(
            {
                "synthetic": True,
                "generator": "model_pipeline.data.synthetic",
                "seed": seed,
                "n_images": len(rows),
                "class_counts": plan,
                "size": [width, height],
                "note": "SYNTHETIC lesion-like drawings, not real patient data; not for clinical use.",
            },
            indent=2,
        )
    )
    return out
