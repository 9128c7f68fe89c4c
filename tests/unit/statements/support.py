"""Signatures as the pad sends them: PNG data URLs, drawn or blank."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def png(ink: bool = True, mode: str = "RGBA", size: tuple[int, int] = (300, 120)) -> bytes:
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else (255, 255, 255))
    if ink:
        ImageDraw.Draw(image).line(
            [(10, 100), (80, 20), (150, 90), (290, 15)], fill="black", width=4
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(content: bytes | None = None) -> str:
    return "data:image/png;base64," + base64.b64encode(content or png()).decode()
