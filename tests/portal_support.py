"""What the portal tests share: a resident's browser, photos, a complete report, a fresh cache."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from yimen.cases.models import Category

PHONE = "13812345678"
INSIDE = ("30.050000", "120.050000")  # in community A's square (tests/conftest.py)
OUTSIDE = ("31.500000", "121.500000")
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def resident():
    """An anonymous browser that reads English, so messages can be matched."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def photo_bytes(size=(3000, 2000), *, fmt="JPEG", orientation=None, mode="RGB") -> bytes:
    """A photo as a phone takes it: big, with the camera and a GPS position in its EXIF."""
    image = Image.new(mode, size, (200, 60, 40, 128) if mode == "RGBA" else (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0132] = "2026:03:01 08:00:00"  # date and time
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 3.0, 0.0), 3: "E", 4: (120.0, 3.0, 0.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def photo(name="现场.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, photo_bytes(**kwargs), content_type="image/jpeg")


def report_data(**overrides):
    data = {
        "category": str(Category.objects.get(code="neighbour").pk),
        "description": "楼上装修噪音，每天早上七点开始。\n已经持续两周。",
        "address": "桂花小区3幢",
        "latitude": INSIDE[0],
        "longitude": INSIDE[1],
        "phone": PHONE,
        "name": "王芳",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
