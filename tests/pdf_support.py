"""Read a generated PDF's text layer, as a reader's search or copy would see it."""

from io import BytesIO

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """All pages' text; CJK comes back as text only if the font maps it to Unicode."""
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def pdf_words(content: bytes) -> str:
    """The text with all white space removed: a narrow table cell wraps names and dates."""
    return "".join(pdf_text(content).split())
