"""Binary Word formats (DOC, WPS, RTF, ODT) read through LibreOffice headless, then the DOCX extractor.

Each conversion runs ``soffice --headless --convert-to docx`` in its own temporary directory
with its own ``-env:UserInstallation`` profile (so concurrent conversions never share a
profile lock), in its own process group, and is killed (the whole group) when it exceeds the
timeout. About 1 s per file. Without LibreOffice on PATH the error says how to install it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from common.document import Document
from common.errors import ExtractionError, too_large
from extractors.docx import extract_docx

INSTALL_HINT = "install LibreOffice: apt-get install -y --no-install-recommends libreoffice-writer-nogui"
MAX_INPUT_BYTES = 100 * 1024 * 1024
MAX_OUTPUT_BYTES = 200 * 1024 * 1024
DEFAULT_TIMEOUT = 120.0
CONVERTIBLE = {".doc", ".wps", ".rtf", ".odt"}  # suffixes routed through LibreOffice
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def find_soffice() -> str | None:
    """Path of the LibreOffice binary (``XXGK_SOFFICE`` overrides), or None."""
    override = os.environ.get("XXGK_SOFFICE")
    if override:
        return shutil.which(override)
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, suffix: str, target: str = "docx", timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Convert an office file (``suffix`` like ".doc") to ``target`` with LibreOffice; return its bytes."""
    suffix = _normalise_suffix(suffix)
    if not data:
        raise ExtractionError("conversion_failed", f"empty {suffix} file")
    if len(data) > MAX_INPUT_BYTES:
        raise too_large(f"{suffix} files", len(data), MAX_INPUT_BYTES)
    binary = find_soffice()
    if binary is None:
        raise ExtractionError("converter_missing", f"no soffice/libreoffice on PATH to read {suffix}; {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as tmp:
        work = Path(tmp)
        source = work / f"input{suffix}"
        source.write_bytes(data)
        outdir = work / "out"
        command = [
            binary,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nologo",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(source),
        ]
        returncode, output = _run(command, timeout, env={**os.environ, "HOME": str(work)})
        produced = outdir / f"input.{target.split(':', 1)[0]}"
        if not produced.is_file():  # LibreOffice often exits 0 after "source file could not be loaded"
            raise ExtractionError(
                "conversion_failed",
                f"LibreOffice (exit {returncode}) produced no {target} from {suffix}: {output[-300:]!r}",
            )
        size = produced.stat().st_size
        if size > MAX_OUTPUT_BYTES:
            raise too_large(f"DOCX files converted from {suffix}", size, MAX_OUTPUT_BYTES)
        return produced.read_bytes()


def convert_to_docx(data: bytes, suffix: str, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Convert a .doc / .wps (or .rtf / .odt) file to DOCX bytes with LibreOffice headless."""
    suffix = _normalise_suffix(suffix)
    if suffix not in CONVERTIBLE:
        raise ExtractionError("conversion_failed", f"{suffix} is not a convertible Word format")
    # The explicit filter also exports documents LibreOffice opened as Writer/Web (HTML saved as .doc).
    return convert(data, suffix, "docx:MS Word 2007 XML", timeout)


def extract_word(data: bytes, suffix: str, timeout: float = DEFAULT_TIMEOUT) -> Document:
    """Extract any Word attachment; .doc/.wps go through LibreOffice, layout names the format read."""
    suffix = _normalise_suffix(suffix)
    if suffix in (".docx", ".docm") or data.startswith(b"PK\x03\x04"):
        # A zip is a DOCX whatever its name says (sites often serve .docx renamed to .doc).
        document = extract_docx(data)
        if suffix not in (".docx", ".docm"):
            document.meta["declared_suffix"] = suffix
        return document
    if suffix not in CONVERTIBLE:
        raise ExtractionError("conversion_failed", f"{suffix} is not a Word format this extractor reads")
    container = _sniff(data)
    code = f"{suffix.lstrip('.')}_unreadable"
    if container == "unknown":
        raise ExtractionError(
            code, f"{suffix} file is neither an OLE compound file nor RTF / HTML / XML (first bytes {data[:8]!r})"
        )
    if container == "ole" and _utf16(b"WordDocument") not in data:
        # Without that stream LibreOffice falls back to importing the bytes as plain text.
        kind = "a password-protected DOCX" if _utf16(b"EncryptedPackage") in data else "not a Word/WPS document"
        raise ExtractionError(code, f"OLE compound file without a WordDocument stream: {kind}")
    document = extract_docx(convert_to_docx(data, suffix, timeout))
    document.layout = suffix.lstrip(".")
    document.meta["converted_by"] = "libreoffice"
    document.meta["source_container"] = container
    return document


def _run(command: list[str], timeout: float, env: dict[str, str]) -> tuple[int, str]:
    """Run LibreOffice in its own process group; kill the group on timeout; return (exit code, output)."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise ExtractionError("converter_missing", f"cannot start {command[0]}: {exc}; {INSTALL_HINT}") from exc
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        raise ExtractionError("conversion_timeout", f"LibreOffice took longer than {timeout:g} s; killed") from exc
    except BaseException:
        _kill_group(process)
        raise
    return process.returncode, out.decode("utf-8", errors="replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the conversion's process group (soffice starts soffice.bin as a child) and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def _utf16(name: bytes) -> bytes:
    """An OLE directory entry name as stored (UTF-16LE)."""
    return name.decode("ascii").encode("utf-16-le")


def _normalise_suffix(suffix: str) -> str:
    suffix = suffix.strip().lower()
    return suffix if suffix.startswith(".") else "." + suffix


def _sniff(data: bytes) -> str:
    """What the bytes look like: ole (DOC / Kingsoft WPS), rtf, html, mht, xml, or unknown."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(_OLE_MAGIC):
        return "ole"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"<html", b"<!doctype html")) or b"<html" in head:
        return "html"
    if head.startswith(b"<?xml"):
        return "xml"  # Word 2003 XML saved as .doc
    if head.startswith(b"mime-version") or b"multipart/related" in head:
        return "mht"
    return "unknown"
