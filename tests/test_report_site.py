"""``xxgk report``: a static site that works offline, opened in a real browser (headless Chromium, installed by
``make system-deps``): every page loads with no console error or failed load, and its charts render."""

from __future__ import annotations

import re

import pytest

from tests.browser import Browser, png_stats
from tests.cli import query, xxgk
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow

SEED_003 = SAMPLES / "003_f9c2f6eb9b2da975.txt"


@pytest.fixture(scope="module")
def site(sample_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "report"
    done = xxgk("report", "--db", sample_warehouse, "--out", out, prefect=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote 6 pages to {out}")
    return out


def test_the_site_has_every_section_and_a_page_per_report(site, sample_warehouse):
    index = (site / "index.html").read_text(encoding="utf-8")
    for anchor in ("coverage", "rates", "refusals", "checks", "reports"):
        assert f'id="{anchor}"' in index
    assert index.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    assert "属于行政查询事项" in index and "Coverage by province and year" in index
    assert "carried_forward is inferred" in index  # why checks are not assessable
    # offline: every stylesheet, script and image is a local file that exists
    for page in [site / "index.html", *sorted((site / "reports").glob("*.html"))]:
        html = page.read_text(encoding="utf-8")
        for ref in re.findall(r'<(?:script|img)[^>]* src="([^"]+)"|<link[^>]* href="([^"]+)"', html):
            ref = ref[0] or ref[1]
            assert not re.match(r"\w+://", ref), (page, ref)
            assert ref.startswith("data:") or (page.parent / ref).resolve().exists(), (page, ref)
    ids = [r[0] for r in query(sample_warehouse, "select report_id from dim_reports")]
    assert sorted(p.stem for p in (site / "reports").glob("*.html")) == sorted(ids)
    rid = query(sample_warehouse, "select report_id from dim_reports where source_uri = ?",
                [SEED_003.resolve().as_uri()])[0][0]
    page = (site / "reports" / f"{rid}.html").read_text(encoding="utf-8")
    assert f'href="{SEED_003.resolve().as_uri()}"' in page  # the source link
    assert page.count('data-status="inferred"') == 7 and '<span class="mark mark-inferred">推</span>' in page
    assert "<small>line 113</small>" in page  # each cell's locator
    assert "carried_forward is inferred" in page and "not_assessable" in page  # the checks on it


def test_the_pages_open_in_a_real_browser_and_the_charts_render(site, sample_warehouse):
    rid = query(sample_warehouse, "select report_id from dim_reports where source_uri = ?",
                [SEED_003.resolve().as_uri()])[0][0]
    probe = ("[document.documentElement.getAttribute('data-ready'), document.querySelectorAll('svg.chart').length,"
             " Array.from(document.querySelectorAll('svg.chart rect.bar')).filter(r => r.getBBox().height > 0"
             " && r.getBBox().width > 0).length, document.querySelectorAll('td[data-status=inferred]').length]")
    with Browser() as browser:
        index = browser.open_page((site / "index.html").as_uri(), probe)
        assert index.errors == []
        ready, charts, bars, _ = index.value
        assert ready == "1" and charts == 6 and bars >= 10  # the script ran; bars were laid out with a size
        width, height, inked = png_stats(index.png)
        assert (width, height) >= (1000, 800) and inked > 0.05  # not a blank page
        page = browser.open_page((site / "reports" / f"{rid}.html").as_uri(), probe)
        assert page.errors == [] and page.value[0] == "1" and page.value[3] == 7
        assert png_stats(page.png)[2] > 0.05
        for other in sorted((site / "reports").glob("*.html")):
            assert browser.open_page(other.as_uri(), "1").errors == [], other
        broken = browser.open_page("data:text/html,<script>console.error('x'); undefinedCall();</script>", "1")
        assert len(broken.errors) == 2  # the probe does see errors
