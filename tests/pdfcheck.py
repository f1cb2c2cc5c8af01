"""What an archivist checks in a PDF: its text, that every font is embedded, its XMP metadata
(PDF/A identification, title, language), and a page rendered to an image."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium


def pages_text(data: bytes) -> list[str]:
    """Each page's extracted text, whitespace runs squeezed to one space."""
    document = pdfium.PdfDocument(data)
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return [re.sub(r"\s+", " ", page) for page in pages]


def fonts(data: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded) for every font descriptor; a font without a descriptor (a core
    font such as Helvetica) is listed as not embedded."""
    found: list[tuple[str, bool]] = []
    for match in re.finditer(rb"<<(?:(?!>>).)*?/Type /Font\b(?:(?!>>).)*>>", data, re.S):
        entry = match.group(0)
        name = re.search(rb"/BaseFont /([^\s/]+)", entry)
        if name and b"/Subtype /Type0" not in entry and b"/FontDescriptor" not in entry:
            found.append((name.group(1).decode(), False))
    for match in re.finditer(rb"<<(?:(?!>>).)*?/Type /FontDescriptor(?:(?!>>).)*>>", data, re.S):
        entry = match.group(0)
        name = re.search(rb"/FontName /([^\s/]+)", entry)
        embedded = any(k in entry for k in (b"/FontFile ", b"/FontFile2 ", b"/FontFile3 "))
        found.append((name.group(1).decode() if name else "?", embedded))
    return found


def xmp(data: bytes) -> str:
    """The XMP metadata packet (uncompressed, as PDF/A requires)."""
    start = data.find(b"<x:xmpmeta")
    end = data.find(b"</x:xmpmeta>")
    assert start >= 0 and end > start, "no XMP metadata"
    return data[start : end + len(b"</x:xmpmeta>")].decode("utf-8")


def render_png(data: bytes, page: int, path: Path | str, scale: float = 2) -> object:
    """Page `page` (0-based) rendered to a PNG at `path`; returns the PIL image."""
    image = pdfium.PdfDocument(data)[page].render(scale=scale).to_pil()
    image.save(str(path))
    return image
