"""Why a file could not be read: ``ExtractionError`` and its one list of codes (``ingest_errors.error_code``)."""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    "empty_file": "the file is empty or holds only whitespace",
    "binary_garbage": "the bytes are neither a document nor text",
    "unsupported_format": "a format the extractors do not read (a zip that is not a Word file, markup without a page)",
    "unreadable_file": "the file could not be opened or read from disk",
    "not_regular_file": "a FIFO, device or socket named as input: never read",
    "pdf_unreadable": "a damaged or encrypted PDF",
    "no_text_layer": "a PDF without a text layer (scanned pages)",
    "docx_unreadable": "a damaged Word (DOCX) file",
    "docx_zip_bomb": "a DOCX whose parts inflate past the caps (a zip bomb)",
    "doc_unreadable": "a DOC file that is no Word 97-2003 document (or an encrypted one)",
    "wps_unreadable": "a WPS file that is no WPS/Word document (or an encrypted one)",
    "converter_missing": "a DOC/WPS file and no LibreOffice to convert it",
    "conversion_failed": "LibreOffice could not convert a DOC/WPS file",
    "conversion_timeout": "LibreOffice took too long to convert a DOC/WPS file",
    "ocr_unavailable": "a scanned PDF (or pictures of tables) and no OCR engine or language data to read it",
    "extractor_unavailable": "the extractor for this format is not installed",
    "too_large": "over a size cap",
    "too_complex": "over a structure cap (tables, pages, nodes)",
    "timeout": "reading the file took longer than its time budget (stopped inside native code if need be)",
    "worker_crashed": "the file killed its extraction process",
    "internal_error": "a bug: please report it",
}


class ExtractionError(Exception):
    """A file that cannot be read; ``code`` (one of ERROR_CODES) lands in ingest_errors.error_code."""

    def __init__(self, code: str, message: str):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown extraction error code {code!r}: add it to common/errors.py ERROR_CODES")
        super().__init__(message)
        self.code = code
        self.message = message


def too_large(kind: str, size: int, cap: int) -> ExtractionError:
    """The one error every size cap raises: code ``too_large``, a message naming the size and the cap.

    ``kind`` names what the cap is for, in the plural: "HTML pages", "PDF files".
    """
    return ExtractionError("too_large", f"{size / 2**20:.1f} MB ({size} bytes), over the {cap / 2**20:g} MB "
                                        f"cap for {kind}")
