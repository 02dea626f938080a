"""Read every page of the built book in a real (headless) browser, with no network.

Per page: the math is typeset (no raw TeX left in the text), every image has loaded and has
alt text, and every internal link (and #fragment) resolves. Then: the search page finds
"likelihood", and an exercise's solution is hidden until its toggle is clicked. A screenshot of
each page is saved under _build/screenshots/ for review. Failures name the page and the problem.
"""

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import cache

import pytest
from _site import SHOTS, SITE

PAGES = sorted(
    str(p.relative_to(SITE))
    for p in SITE.rglob("*.html")
    if not {"_static", "_sources", "_images"} & set(p.relative_to(SITE).parts)
) or ["index.html"]

RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\(frac|hat|beta|sigma|sum|prod|log|mathrm|ell|varepsilon|theta)\b")

WAIT_FOR_MATH = """
const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(() => done(true)).catch(() => done(false));
} else { done(document.querySelectorAll('.math').length === 0); }
"""

PAGE_FACTS = """
const clone = document.querySelector('main, article, body').cloneNode(true);
clone.querySelectorAll('pre, code, .highlight, mjx-container, script, style, .MathJax, #search-results')
     .forEach(e => e.remove());
const images = [...document.images].map(img => ({
  src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0, alt: img.getAttribute('alt') || '',
  output: !!img.closest('.cell_output, figure')}));
const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
return {text: clone.textContent, images: images, links: links,
        math: document.querySelectorAll('.math').length,
        typeset: document.querySelectorAll('mjx-container').length,
        mathjax_error: document.querySelectorAll('mjx-merror, .mjx-error').length};
"""


@cache
def fetch(url):
    """Status and HTML of a URL on the local server (cached)."""
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def internal_link_problems(base_url, page_url, hrefs):
    problems = []
    for href in sorted(set(hrefs)):
        if href.startswith(("mailto:", "javascript:")) or re.match(r"^[a-z]+://", href):
            continue  # external links are not followed: no network
        target = urllib.parse.urljoin(page_url, href)
        url, _, fragment = target.partition("#")
        if not url.startswith(base_url):
            continue
        status, html = fetch(url)
        if status != 200:
            problems.append(f"link {href!r} -> HTTP {status}")
        elif fragment and not re.search(rf'id="{re.escape(urllib.parse.unquote(fragment))}"', html):
            problems.append(f"link {href!r}: no element with id {fragment!r} on the target page")
    return problems


@pytest.mark.parametrize("page", PAGES)
def test_page(driver, base_url, page):
    url = f"{base_url}/{page}"
    driver.get(url)
    typeset = driver.execute_async_script(WAIT_FOR_MATH)
    facts = driver.execute_script(PAGE_FACTS)
    problems = []
    if not typeset:
        problems.append("MathJax did not finish typesetting")
    if facts["math"] and not facts["typeset"]:
        problems.append(f"{facts['math']} math element(s) but nothing typeset (MathJax not loaded?)")
    if facts["mathjax_error"]:
        problems.append(f"{facts['mathjax_error']} MathJax error(s) in the math")
    raw = sorted(set(m.group(0) for m in RAW_TEX.finditer(facts["text"])))
    if raw:
        problems.append(f"raw TeX visible in the text: {raw[:5]}")
    for image in facts["images"]:
        if not image["ok"]:
            problems.append(f"image did not load: {image['src']}")
        if image["output"] and not image["alt"].strip():
            problems.append(f"image without alt text: {image['src']}")
    # resolve links against where the browser landed (index.html redirects to the first chapter)
    problems += internal_link_problems(base_url, driver.current_url, facts["links"])
    name = page.replace("/", "__").removesuffix(".html")
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    assert not problems, f"{page}:\n  " + "\n  ".join(problems)


def test_search_finds_likelihood(driver, base_url):
    driver.get(f"{base_url}/search.html?q=likelihood")
    deadline = time.time() + 30
    count = 0
    while time.time() < deadline:
        count = driver.execute_script("return document.querySelectorAll('#search-results li').length")
        if count:
            break
        time.sleep(0.25)
    driver.save_screenshot(str(SHOTS / "search-likelihood.png"))
    assert count > 0, "search.html?q=likelihood: no results"


def test_exercise_solutions_toggle(driver, base_url):
    driver.get(f"{base_url}/book/01_likelihood.html")
    solution = driver.execute_script("return document.querySelector('.solution.dropdown') !== null")
    assert solution, "book/01_likelihood.html: no exercise solution (sphinx-exercise dropdown) found"
    state = (
        "const s = document.querySelector('.solution.dropdown');"
        "const body = s.querySelector('section, .admonition-title ~ *');"
        "return [s.classList.contains('toggle-hidden'), getComputedStyle(body).visibility];"
    )
    hidden_before = driver.execute_script(state) == [True, "hidden"]
    driver.execute_script(
        "const s = document.querySelector('.solution.dropdown');"
        "(s.querySelector('button.toggle-button') || s.querySelector('.admonition-title')).click();"
    )
    time.sleep(0.5)
    shown_after = driver.execute_script(state) == [False, "visible"]
    driver.execute_script("document.querySelector('.solution.dropdown').scrollIntoView({block: 'start'});")
    time.sleep(0.3)
    driver.save_screenshot(str(SHOTS / "solution-toggled.png"))
    assert hidden_before is True, "book/01_likelihood.html: the solution shows before its toggle is clicked"
    assert shown_after is True, "book/01_likelihood.html: clicking the toggle did not show the solution"
