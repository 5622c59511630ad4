"""Loads the mirror's HTML templates (``templates/*.html``) as :class:`string.Template`.

Page templates (``layout.html``, ``article.html``, ``listing.html``, ``error404.html``)
are whole files.  ``fragments.html`` holds the small repeated pieces (author block,
photo, "Baca Juga" box, listing item...), each introduced by a line
``<!--# name -->``.  All markup is copied from the reference page
``fixtures/monitor/2023-12-05_updated_ri-china-baterai.html``; slots are
``${name}`` placeholders, filled with already-escaped HTML.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
_FRAGMENT_RE = re.compile(r"^<!--# (\w+) -->\n", re.MULTILINE)


@lru_cache(maxsize=None)
def page(name: str) -> Template:
    """Return the page template ``templates/<name>.html``."""
    return Template((TEMPLATE_DIR / f"{name}.html").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def fragments() -> dict[str, Template]:
    """Return every fragment of ``templates/fragments.html`` by name."""
    text = (TEMPLATE_DIR / "fragments.html").read_text(encoding="utf-8")
    parts = _FRAGMENT_RE.split(text)
    # parts = [before-first-marker, name1, body1, name2, body2, ...]
    out: dict[str, Template] = {}
    for name, body in zip(parts[1::2], parts[2::2]):
        out[name] = Template(body)
    return out


def frag(name: str, /, **slots: object) -> str:
    """Fill fragment ``name`` (every slot must be given)."""
    return fragments()[name].substitute(slots)
