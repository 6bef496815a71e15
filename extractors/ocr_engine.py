"""The OCR engine: Tesseract 5 in-process (the ``tesserocr`` wheel bundles libtesseract) with the
Simplified Chinese and English models from Debian (``tesseract-ocr-chi-sim``, ``tesseract-ocr-eng``,
installed by ``make system-deps``). Nothing is fetched at run time.

Why Tesseract (measured on the rendered fixtures, one core): a page's value cells read as
row lines take 0.3–0.6 s and its narrative 2–3.5 s; RapidOCR (ONNX, models in the wheel) took
20 s a page and missed lone ``0`` cells. Tesseract misreads lone digits in a crop of their own
(``1`` as ``工``), so short cells are read together as one line per table row, three character
heights apart: the LSTM then reads them in context, and the words map back to cells by where they stand.

``unavailable_reason()`` says why OCR cannot run (no engine, no language data); the readers turn
that into the ingest error ``ocr_unavailable``. ``XXGK_TESSDATA`` names the language-data folder
(set it to a missing folder to hide the engine).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one core per worker: the process pool is the parallelism
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
LANGS = ("chi_sim", "eng")
PSM_PAGE, PSM_BLOCK, PSM_LINE = 3, 6, 7
_BRACKETS = str.maketrans({"〈": "（", "《": "（", "〉": "）", "》": "）"})  # OCR's usual misreadings of （）
_SPACE_IN_CJK = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image read


def tessdata_dir() -> str | None:
    """The folder holding chi_sim and eng traineddata (``XXGK_TESSDATA``, ``TESSDATA_PREFIX``, Debian's)."""
    forced = os.environ.get("XXGK_TESSDATA")
    candidates = [forced] if forced else [os.environ.get("TESSDATA_PREFIX"), *TESSDATA_DIRS]
    for folder in candidates:
        if folder and all((Path(folder) / f"{lang}.traineddata").is_file() for lang in LANGS):
            return str(folder)
    return None


def unavailable_reason() -> str | None:
    """None when OCR can run; else why not (in words for ingest_errors.message)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError as exc:
        return f"the OCR engine is not installed (tesserocr: {exc}); run make install"
    if tessdata_dir() is None:
        return ("no Tesseract language data for chi_sim and eng (apt-get install tesseract-ocr-chi-sim "
                "tesseract-ocr-eng, or make system-deps)")
    return None


@lru_cache(maxsize=8)
def _api(lang: str, psm: int):
    from tesserocr import PyTessBaseAPI

    return PyTessBaseAPI(path=tessdata_dir() + "/", lang=lang, psm=psm)


def _image(gray: np.ndarray):
    from PIL import Image

    return Image.fromarray(gray)


def clean_text(text: str) -> str:
    """Tesseract's text without the spaces it puts between Chinese characters, ``〈》`` read for ``（）``."""
    lines = []
    for line in text.splitlines():
        line = _SPACE_IN_CJK.sub("", line.strip()).translate(_BRACKETS)
        lines.append(" ".join(line.split()))
    return "\n".join(lines)


def read_words(gray: np.ndarray, psm: int = PSM_LINE, lang: str = "chi_sim+eng") -> list[Word]:
    """The words of an image (a line or a block), each with its confidence and box."""
    from tesserocr import RIL, iterate_level

    api = _api(lang, psm)
    api.SetImage(_image(gray))
    api.Recognize()
    words = []
    iterator = api.GetIterator()
    if iterator is None:
        return words
    for word in iterate_level(iterator, RIL.WORD):
        try:
            text = word.GetUTF8Text(RIL.WORD)
        except RuntimeError:  # an empty word
            continue
        if not text or not text.strip():
            continue
        box = word.BoundingBox(RIL.WORD) or (0, 0, 0, 0)
        words.append(Word(text.strip().translate(_BRACKETS), max(0.0, min(1.0, word.Confidence(RIL.WORD) / 100)), tuple(box)))
    return words


def read_text(gray: np.ndarray, psm: int = PSM_PAGE, lang: str = "chi_sim") -> tuple[str, float]:
    """(text, mean confidence) of a block or page."""
    api = _api(lang, psm)
    api.SetImage(_image(gray))
    text = api.GetUTF8Text() or ""
    return clean_text(text), max(0.0, api.MeanTextConf() / 100)
