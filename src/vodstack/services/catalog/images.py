"""Artwork an editor uploads for a title: checked to be a real image, kept in the catalog.

An uploaded image beats the frame the pipeline picked from the video, which beats the generated
gradient (the gateway's `/artwork/{id}/image` decides). The bytes live in the catalog's own
database: a few hundred KiB per title, read rarely (the gateway and browsers cache them), and
deleted with the title.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from vodstack.core.errors import Invalid

MAX_BYTES = 2 * 1024 * 1024 - 64 * 1024  # under the services' default body cap, with headroom
MIN_SIDE = 160
MAX_SIDE = 8000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class ArtworkImage:
    data: bytes
    content_type: str
    etag: str
    width: int
    height: int


def _refuse(message: str) -> Invalid:
    return Invalid(message, code="invalid_artwork")


def checked_image(data: bytes) -> ArtworkImage:
    """`data` as artwork, or Invalid saying what is wrong with it (a person can act on it)."""
    if not data:
        raise _refuse("The artwork file is empty.")
    if len(data) > MAX_BYTES:
        raise _refuse(f"The artwork is {len(data)} bytes; at most {MAX_BYTES} are accepted.")
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused below by its size, not warned about.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "", image.size
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(
            "The file is not an image that can be read; upload a JPEG, PNG or WebP."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _refuse(f"The image is too large; at most {MAX_SIDE} px a side.") from exc
    if kind not in FORMATS:
        raise _refuse(f"{kind or 'This'} images are not accepted; upload a JPEG, PNG or WebP.")
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise _refuse(
            f"The image is {width}x{height}; each side must be {MIN_SIDE} to {MAX_SIDE} px."
        )
    digest = hashlib.sha256(data).hexdigest()[:32]
    return ArtworkImage(data, FORMATS[kind], f'"{digest}"', width, height)
