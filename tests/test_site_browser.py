"""The built book in headless Chromium (Debian's, via selenium; nothing downloaded): the survey tables'
row counts, a table row followed to its work page, a reproduced number there against its record, and the
dashboard's filter and sort."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_site import FIXTURES, built_site

from advrec.catalog import catalog

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
                       reason="the browser test needs Debian's /usr/bin/chromium and /usr/bin/chromedriver "
                              "(apt install chromium chromium-driver)"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built site served from a local http.server on 127.0.0.1 in a thread."""
    html = built_site(tmp_path_factory).html_dir
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (test extra)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="advrec-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _visible_rows(driver: Any, table_id: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr.advrec-work-row")
    return [row for row in rows if row.is_displayed()]


def test_survey_tables_have_a_row_per_entry(browser: Any, base_url: str) -> None:
    for table, expected in (("table2", 23), ("table3", 23), ("table5", 53)):
        browser.get(f"{base_url}/{table}.html")
        assert len(_visible_rows(browser, table)) == expected, table


def test_row_leads_to_work_page_with_the_records_number(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base_url}/table2.html")
    browser.find_element(By.CSS_SELECTOR, '#table2 tr[data-work="apr"] a.advrec-work-link').click()
    assert browser.current_url.endswith("/works/apr.html")
    record = json.loads((FIXTURES / "apr" / "record.json").read_text())
    mean = record["metrics"]["aggregate"]["AMF (APR)/HR@100"]["mean"]
    shown = browser.find_element(By.CSS_SELECTOR, '[data-metric="AMF (APR)/HR@100"]').text
    assert shown.split(" ± ")[0] == f"{mean:.4g}"
    assert browser.find_element(By.CSS_SELECTOR, ".advrec-summary [data-status]").text == "claims-hold"


def test_dashboard_filters_and_sorts(browser: Any, base_url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{base_url}/dashboard.html")
    assert len(_visible_rows(browser, "dashboard")) == 76
    box = browser.find_element(By.ID, "dashboard-filter")
    box.send_keys("cfgan")
    names = [row.get_attribute("data-work") for row in _visible_rows(browser, "dashboard")]
    assert names == ["cfgan"]
    assert browser.find_element(By.ID, "dashboard-count").text == "1 of 76 works"
    box.clear()
    box.send_keys(" ")  # clear() fires no input event; a space then a backspace does
    box.send_keys("\b")
    Select(browser.find_element(By.ID, "dashboard-status")).select_by_value("claims-hold")
    # Fixture records: APR claims-hold, CFGAN run-failed; every other work shows its catalog status.
    expected = {w.id for w in catalog() if w.status == "claims-hold" and w.id != "cfgan"} | {"apr"}
    assert {row.get_attribute("data-work") for row in _visible_rows(browser, "dashboard")} == expected
    Select(browser.find_element(By.ID, "dashboard-status")).select_by_value("")
    Select(browser.find_element(By.ID, "dashboard-table")).select_by_value("5")
    assert len(_visible_rows(browser, "dashboard")) == 53
    header = browser.find_element(By.CSS_SELECTOR, "#dashboard thead th:first-child")
    header.click()
    first = _visible_rows(browser, "dashboard")[0].get_attribute("data-work")
    assert first == "aae"  # "AAE" sorts first among the Table 5 names, case-insensitively
    header.click()
    assert _visible_rows(browser, "dashboard")[0].get_attribute("data-work") == "yang-et-al-165"
