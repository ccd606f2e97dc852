"""The README links every docs page and only to files that ship; pyproject has no placeholder
URLs (issue 14 item 7)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _local_links(page: Path) -> list[str]:
    links = [m.group(1).split("#", 1)[0] for m in _LINK.finditer(page.read_text())]
    return [link for link in links if link and not re.match(r"^[a-z]+:", link)]


def test_every_local_link_of_the_readme_and_docs_resolves() -> None:
    broken = [
        f"{page.relative_to(ROOT)} -> {link}"
        for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
        for link in _local_links(page)
        if not (page.parent / link).exists()
    ]
    assert broken == []


def test_the_readme_links_every_docs_page() -> None:
    linked = {Path(link).name for link in _local_links(ROOT / "README.md")}
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set()


def test_pyproject_has_no_placeholder_urls() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    urls = re.findall(r"https?://[^\s\"']+", text)
    placeholder = re.compile(r"example\.(com|org)|your[-_]?(org|name|user)|TODO|XXX|<[^>]*>")
    assert [u for u in urls if placeholder.search(u)] == []
    assert placeholder.search("https://github.com/your-org/pytest-prodreal")  # the test can fail
