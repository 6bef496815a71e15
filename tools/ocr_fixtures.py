"""Build the OCR fixtures: ``python -m tools.ocr_fixtures`` (deterministic; writes tests/fixtures/ocr/).

The seeds (their HTML renderings, which keep the merged cells) and the real reports are read with
the project's extractors into the degradation harness's model (tools/degrade.build_model), the
narrative shortened to the title, the headings and each paragraph's first line (the OCR budget
is spent on the tables), and drawn as page images (tools/ocr_render.py); the real PDF's own pages
are rendered by pypdfium2. Each source gets three of these renderings:

- ``fax150``: 150 dpi, black and white (CCITT G4 in the PDF, like a fax or a bilevel scanner);
- ``scan200``: 200 dpi gray, turned 0.6–1.5°, light Gaussian noise (σ 2), JPEG quality 35 (its artefacts are the noise);
- ``stamp150``: 150 dpi colour, a red seal stamped over a number of the applications table, JPEG 50;
- ``low100``: 100 dpi gray, noise (σ 2), JPEG quality 40 (characters 12–14 pixels high);
- ``html``: the narrative as text, each table an ``<img>`` (PNG data URI, 150 dpi, black and white);
- ``html_files``: the same with the pictures as files beside the page (``NAME_files/t1.png``);
- ``docx``: a Word file, the narrative as paragraphs, each table an inline picture.

``manifest.yaml`` lists each fixture with its source and its expected file (tests/fixtures/expected).
Needs a CJK font (``apt-get install fonts-wqy-zenhei``).
"""

from __future__ import annotations

import base64
import io
import random
import zipfile
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFilter

from tools.accuracy import ROOT
from tools.degrade import build_model
from tools.ocr_render import Pages, font, render_pages

OUT = ROOT / "tests" / "fixtures" / "ocr"
SEED = 16
SOURCES = {  # source -> (expected file, renderings)
    "tests/fixtures/html/seed_000.html": ("seed_000.yaml", ("fax150", "scan200", "html")),
    "tests/fixtures/html/seed_001.html": ("seed_001.yaml", ("stamp150", "low100", "docx")),
    "tests/fixtures/html/seed_002.html": ("seed_002.yaml", ("fax150", "stamp150", "html_files")),
    "tests/fixtures/html/seed_003.html": ("seed_003.yaml", ("scan200", "low100", "html")),
    "tests/fixtures/html/seed_004.html": ("seed_004.yaml", ("fax150", "scan200", "stamp150")),
    "tests/fixtures/real/pingtan_2019.html": ("pingtan_2019.yaml", ("scan200", "html", "low100")),
    "tests/fixtures/real/pingtan_2021.html": ("pingtan_2021.yaml", ("fax150", "stamp150", "docx")),
    "tests/fixtures/real/pingtan_2024.html": ("pingtan_2024.yaml", ("scan200", "html", "fax150")),
    "tests/fixtures/real/huaian_2024.pdf": ("huaian_2024.yaml", ("fax150", "scan200", "stamp150")),
}
DPI = {"fax150": 150, "scan200": 200, "stamp150": 150, "low100": 100}
PARAGRAPH_CHARS = 60


def short_blocks(blocks):
    """The model's blocks with each paragraph cut to its first line (titles, headings and tables kept)."""
    out = []
    for kind, value in blocks:
        if kind == "p" and len(str(value)) > PARAGRAPH_CHARS:
            value = str(value)[:PARAGRAPH_CHARS] + "……"
        out.append((kind, value))
    return out


def pdf_pages(path: Path, dpi: int) -> list[Image.Image]:
    """A real PDF's pages as gray images (pypdfium2)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [pdf[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()


def noisy(img: Image.Image, rng: random.Random, quality: int) -> Image.Image:
    """Gaussian noise and a JPEG round trip."""
    gen = np.random.default_rng(rng.randrange(2**32))
    pixels = np.asarray(img, dtype=np.float32)
    pixels = np.clip(pixels + gen.normal(0, 2, pixels.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert(img.mode)


def seal(size: int) -> Image.Image:
    """A round red seal (ring, star, two lines of text) as an RGBA image."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    red = (220, 30, 40, 200)
    width = max(3, size // 30)
    draw.ellipse((width, width, size - width, size - width), outline=red, width=width)
    c, r = size / 2, size * 0.12
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        angle = -np.pi / 2 + k * np.pi / 5
        points.append((c + radius * np.cos(angle), c * 0.85 + radius * np.sin(angle)))
    draw.polygon(points, fill=red)
    fnt = font(max(8, size // 9))
    for text, y in (("政务公开", size * 0.52), ("专用章", size * 0.68)):
        w = fnt.getlength(text)
        draw.text(((size - w) / 2, y), text, fill=red, font=fnt)
    return img.filter(ImageFilter.GaussianBlur(0.6))


def stamp_over_number(page: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    """The page in colour with a seal centred on a number cell of its largest table (if it has one)."""
    import cv2

    from extractors.ocr_grid import analyse

    read = analyse(cv2.cvtColor(np.asarray(page.convert("RGB")), cv2.COLOR_RGB2BGR))
    rgb = page.convert("RGB")
    if not read.tables:
        return rgb
    table = max(read.tables, key=lambda t: len(t.cells))
    numbers = [c for c in table.cells if c.col >= table.n_cols - 7 and c.row >= 3 and c.col_span == 1]
    cell = rng.choice(numbers or table.cells)
    x0, y0, x1, y1 = cell.box
    size = round(1.3 * dpi)
    mark = seal(size).rotate(rng.uniform(-30, 30), resample=Image.BICUBIC)
    rgb.paste(mark, (round((x0 + x1) / 2 - size / 2), round((y0 + y1) / 2 - size / 2)), mark)
    return rgb


def degrade_pages(pages: list[Image.Image], kind: str, rng: random.Random) -> tuple[list[Image.Image], dict]:
    """The pages of one PDF rendering and the save options."""
    dpi = DPI[kind]
    if kind == "fax150":
        return [p.point(lambda v: 255 if v > 160 else 0).convert("1") for p in pages], {}
    if kind == "scan200":
        out = []
        for p in pages:
            angle = rng.choice((-1, 1)) * rng.uniform(0.6, 1.5)
            out.append(noisy(p.rotate(angle, resample=Image.BICUBIC, fillcolor=255), rng, 35))
        return out, {"quality": 35}
    if kind == "stamp150":
        stamped = [stamp_over_number(p, rng, dpi) if i == _table3_page(pages) else p.convert("L")
                   for i, p in enumerate(pages)]
        return stamped, {"quality": 50}
    return [noisy(p, rng, 40) for p in pages], {"quality": 40}


def _table3_page(pages: list[Image.Image]) -> int:
    """The page with the most ruling ink in its lower half (where table 3 starts on every source)."""
    scores = []
    for p in pages:
        pixels = np.asarray(p.convert("L")) < 128
        scores.append(int(pixels.sum()))
    return int(np.argmax(scores)) if scores else 0


def save_pdf(pages: list[Image.Image], dpi: int, options: dict) -> bytes:
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=pages[1:], **options)
    return buf.getvalue()


def table_images(blocks, dpi: int = 150) -> list[Image.Image]:
    """Each table of the model drawn alone (bilevel), cropped to its ink."""
    images = []
    for kind, value in blocks:
        if kind != "table":
            continue
        pages = Pages(dpi)
        pages.size = (pages.size[0], pages.size[1] * 3)  # one tall page: a table is never cut
        pages.new_page()
        pages.pages = pages.pages[-1:]
        pages.table(value.rows)
        page = pages.pages[0]
        box = Image.eval(page, lambda v: 255 - v).getbbox()
        if box:
            pad = dpi // 10
            page = page.crop((max(0, box[0] - pad), max(0, box[1] - pad), box[2] + pad, box[3] + pad))
        images.append(page.point(lambda v: 255 if v > 160 else 0).convert("1"))
    return images


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def html_page(blocks, srcs: list[str]) -> str:
    """The report as a page: narrative as text, the k-th table as ``<img src=srcs[k]>``."""
    out = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>', "", "</title></head><body>",
           '<div class="article">']
    k = 0
    for kind, value in blocks:
        if kind == "table":
            out.append(f'<p><img src="{srcs[k]}" alt="表{k + 1}"></p>')
            k += 1
        elif kind == "title":
            out[1] = str(value)
            out.append(f"<h1>{value}</h1>")
        elif kind == "h":
            out.append(f"<p><strong>{value}</strong></p>")
        else:
            out.append(f"<p>{value}</p>")
    out.append("</div></body></html>")
    return "\n".join(out)


_DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>'
               '<Override PartName="/word/document.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_PKG_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="word/document.xml"/></Relationships>')
_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
       'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"')


def _drawing(k: int, size: tuple[int, int], dpi: int) -> str:
    cx, cy = (round(v / dpi * 914400) for v in size)
    return (f'<w:p><w:r><w:drawing><wp:inline><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{k}" name="表{k}"/>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
            f'<pic:nvPicPr><pic:cNvPr id="{k}" name="t{k}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip r:embed="rIdImg{k}"/></pic:blipFill>'
            f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
            '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>'
            '</w:r></w:p>')


def docx_file(blocks, images: list[Image.Image], dpi: int = 150) -> bytes:
    """A Word file: paragraphs, and each table as an inline PNG picture."""
    from xml.sax.saxutils import escape

    body, rels, k = [], [], 0
    for kind, value in blocks:
        if kind == "table":
            k += 1
            body.append(_drawing(k, images[k - 1].size, dpi))
            rels.append(f'<Relationship Id="rIdImg{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        f'relationships/image" Target="media/t{k}.png"/>')
        else:
            body.append(f'<w:p><w:r><w:t xml:space="preserve">{escape(str(value))}</w:t></w:r></w:p>')
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>'
                + "".join(body) + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(rels) + "</Relationships>")
    parts = [("[Content_Types].xml", _DOCX_TYPES.encode()), ("_rels/.rels", _PKG_RELS.encode()),
             ("word/_rels/document.xml.rels", doc_rels.encode()), ("word/document.xml", document.encode())]
    parts += [(f"word/media/t{i}.png", _png(img)) for i, img in enumerate(images, start=1)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def build(out: Path = OUT) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for source, (expected, kinds) in SOURCES.items():
        path = ROOT / source
        stem = path.stem
        model = build_model(path)
        blocks = short_blocks(model.blocks)
        for kind in kinds:
            rng = random.Random(f"{SEED}:{source}:{kind}")
            name = f"{stem}.{kind}"
            if kind in DPI:
                dpi = DPI[kind]
                pages = pdf_pages(path, dpi) if path.suffix == ".pdf" else render_pages(blocks, dpi)
                pages, options = degrade_pages(pages, kind, rng)
                (out / f"{name}.pdf").write_bytes(save_pdf(pages, dpi, options))
                name += ".pdf"
            elif kind in ("html", "html_files"):
                images = table_images(blocks)
                if kind == "html":
                    srcs = ["data:image/png;base64," + base64.b64encode(_png(img)).decode() for img in images]
                else:
                    folder = out / f"{name}_files"
                    folder.mkdir(exist_ok=True)
                    srcs = []
                    for k, img in enumerate(images, start=1):
                        (folder / f"t{k}.png").write_bytes(_png(img))
                        srcs.append(f"{name}_files/t{k}.png")
                (out / f"{name}.html").write_text(html_page(blocks, srcs), encoding="utf-8")
                name += ".html"
            else:
                (out / f"{name}.docx").write_bytes(docx_file(blocks, table_images(blocks)))
                name += ".docx"
            manifest.append({"fixture": name, "source": source, "expected": expected, "rendering": kind})
    (out / "manifest.yaml").write_text(
        "# Written by python -m tools.ocr_fixtures: each OCR fixture, its source and its expected values.\n"
        + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for entry in build():
        size = (OUT / entry["fixture"]).stat().st_size
        print(f"{entry['fixture']:40s} {size / 1024:8.1f} KB")
