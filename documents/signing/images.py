"""Made-up signature and seal images (transparent PNG) for the demo and the tests.

Real ones are scanned by the agency: the signer's handwritten signature in blue, the seal in
red at actual size (DOMAIN.md §c.3); an administrator uploads them with the keys.
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFont

from documents.signing.appearance import FONT_DIR

BLUE = (20, 50, 170, 255)
RED = (210, 20, 30, 255)


def make_signature_png(name: str, *, width: int = 400, height: int = 200) -> bytes:
    """A blue scribble seeded by the name: the same person always gets the same one."""
    rng = random.Random(name)  # noqa: S311 - a drawing, not a secret
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = []
    x = width * 0.08
    while x < width * 0.92:
        y = height * (0.5 + 0.3 * math.sin(x / (18 + rng.random() * 10)) * rng.random())
        points.append((x, y))
        x += 6 + rng.random() * 14
    draw.line(points, fill=BLUE, width=5, joint="curve")
    draw.line([(width * 0.15, height * 0.72), (width * 0.88, height * 0.6)], fill=BLUE, width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_seal_png(agency_name: str, *, size: int = 400) -> bytes:
    """A round red seal with the agency's name around the ring and a star in the middle."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = 8
    draw.ellipse([margin, margin, size - margin, size - margin], outline=RED, width=12)
    inner = size * 0.2
    draw.ellipse([inner, inner, size - inner, size - inner], outline=RED, width=5)
    centre = size / 2
    star = []
    for k in range(10):
        radius = size * 0.12 if k % 2 == 0 else size * 0.05
        angle = -math.pi / 2 + k * math.pi / 5
        star.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    draw.polygon(star, fill=RED)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans-Bold.ttf"), int(size * 0.065))
    except OSError:
        font = ImageFont.load_default()
    text = agency_name.upper()
    ring = size / 2 - size * 0.12
    step = min(2 * math.pi / max(len(text) + 4, 1), 0.2)
    start = -math.pi / 2 - step * (len(text) - 1) / 2
    for index, char in enumerate(text):
        angle = start + index * step
        glyph = Image.new("RGBA", (int(size * 0.1), int(size * 0.1)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (glyph.width / 2, glyph.height / 2), char, font=font, fill=RED, anchor="mm"
        )
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + ring * math.cos(angle) - glyph.width / 2
        y = centre + ring * math.sin(angle) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
