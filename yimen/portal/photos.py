"""Residents' photos: checked like any upload, then resized and re-encoded as JPEG.

A phone photo is several megabytes and carries EXIF metadata — the camera, the time, often
the GPS position of the resident's home. Decoding it and saving only the pixels keeps the
stored file small and drops all of that; the orientation tag is applied first, so the
photo stays the right way up once it is gone.
"""

import io
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

JPEG_QUALITY = 85


def resized_jpeg(upload: Any) -> SimpleUploadedFile:
    """The photo at most ``YIMEN_PORTAL_PHOTO_MAX_SIDE`` px on its long side, as a bare JPEG.

    ``upload`` has passed ``attachments.check_upload`` and is an image by its content.
    """
    longest = settings.YIMEN_PORTAL_PHOTO_MAX_SIDE
    name = getattr(upload, "name", "") or "photo"
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            if original.width * original.height > settings.YIMEN_PORTAL_PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels to be processed.") % {"name": name}
                )
            # A JPEG decodes straight at 1/2, 1/4 or 1/8 size when that is still big enough:
            # a 100-megapixel photo then never needs its full size in memory.
            scale = min(1.0, longest / max(original.width, original.height))
            original.draft(None, (int(original.width * scale), int(original.height * scale)))
            image = ImageOps.exif_transpose(original)
            image.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            image = _flattened(image)
            image.info = {}  # nothing of the original's metadata goes along
            out = io.BytesIO()
            image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ValidationError(_("%(name)s could not be read as a photo.") % {"name": name}) from exc
    stem = PurePath(name).stem[:90] or "photo"
    return SimpleUploadedFile(f"{stem}.jpg", out.getvalue(), content_type="image/jpeg")


def _flattened(image: Image.Image) -> Image.Image:
    """RGB (or greyscale) pixels; transparency is laid over white, as a print would show it."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
