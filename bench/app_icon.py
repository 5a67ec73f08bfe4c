"""Draw the review screen's home-screen icon (PNG, 192 and 512 px) with Pillow: `python -m bench.app_icon`.

A white speech bubble with a red alert mark on the header's blue; the safe zone of maskable icons
(the middle 80 %) holds the whole drawing, so one file serves as "any" and "maskable".
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "service" / "pages" / "static"
BLUE, RED, WHITE = (26, 82, 118), (192, 57, 43), (255, 255, 255)
SIZES = (192, 512)


def draw(size: int) -> Image.Image:
    """The icon at `size` × `size` px (drawn 4× larger, then scaled down for smooth edges)."""
    big = size * 4
    unit = big / 100
    image = Image.new("RGB", (big, big), BLUE)
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle([22 * unit, 24 * unit, 78 * unit, 68 * unit], radius=10 * unit, fill=WHITE)
    pen.polygon([(32 * unit, 66 * unit), (30 * unit, 80 * unit), (46 * unit, 66 * unit)], fill=WHITE)
    pen.rounded_rectangle([46 * unit, 31 * unit, 54 * unit, 53 * unit], radius=4 * unit, fill=RED)
    pen.ellipse([45.5 * unit, 56 * unit, 54.5 * unit, 65 * unit], fill=RED)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in SIZES:
        path = STATIC / f"icon-{size}.png"
        draw(size).save(path, optimize=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
