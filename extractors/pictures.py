"""The pictures of a report that may hold its tables: ``<img>`` in an HTML page's body (``data:`` URIs,
or files beside the page when it was read from disk: never fetched), inline images of a Word file.

Only the bytes are returned, in document order; extractors/ocr.py decodes them and skips what is
no picture or too small to hold a table (icons, logos, seals).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

MAX_PICTURES = 60
MAX_PICTURE_BYTES = 30 * 1024 * 1024
_EMBED = re.compile(rb'r:(?:embed|id)="([^"]+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"', re.S)
_REL_SWAPPED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"', re.S)


def html_pictures(data: bytes, base_dir: str | None = None) -> list[bytes]:
    """The body's ``<img>`` pictures in order: inline ``data:`` URIs, and relative files under ``base_dir``."""
    from selectolax.lexbor import LexborHTMLParser

    from common.encoding import decode_html

    if b"<img" not in data and b"<IMG" not in data:
        return []
    text, _ = decode_html(data)
    tree = LexborHTMLParser(text)
    body = tree.body
    if body is None:
        return []
    out: list[bytes] = []
    for node in body.css("img"):
        src = (node.attributes.get("src") or node.attributes.get("data-src") or "").strip()
        picture = _data_uri(src) if src.startswith("data:") else _local_file(src, base_dir)
        if picture:
            out.append(picture)
        if len(out) >= MAX_PICTURES:
            break
    return out


def _data_uri(src: str) -> bytes | None:
    head, _, payload = src.partition(",")
    if ";base64" not in head.lower():
        return None
    try:
        picture = base64.b64decode("".join(payload.split()), validate=False)
    except (binascii.Error, ValueError):
        return None
    return picture if len(picture) <= MAX_PICTURE_BYTES else None


def _local_file(src: str, base_dir: str | None) -> bytes | None:
    """A picture beside the page (``images/t1.png``), never outside its folder, never over the network."""
    if not src or base_dir is None or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", src):
        return None
    base = Path(base_dir).resolve()
    path = (base / unquote(src.split("?")[0].split("#")[0])).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_PICTURE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


def docx_pictures(data: bytes) -> list[bytes]:
    """The inline pictures of a Word file, in the order the document places them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                return []
            rels_name = "word/_rels/document.xml.rels"
            rels = archive.read(rels_name) if rels_name in names else b""
            targets = {rid: target for rid, target in _REL.findall(rels)}
            targets.update({rid: target for target, rid in _REL_SWAPPED.findall(rels)})
            document = archive.read("word/document.xml")
            out: list[bytes] = []
            for rid in dict.fromkeys(_EMBED.findall(document)):
                target = targets.get(rid, b"").decode("utf-8", "replace")
                if not target.startswith("media/"):
                    continue
                name = f"word/{target}"
                if name not in names or archive.getinfo(name).file_size > MAX_PICTURE_BYTES:
                    continue
                out.append(archive.read(name))
                if len(out) >= MAX_PICTURES:
                    break
            return out
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return []
