"""Site profiles: one module per site, each defining ``PROFILE`` (see
:mod:`crawler.parsers.profile`).  Every module here is imported automatically;
:data:`PROFILES` maps profile name -> :class:`~crawler.parsers.profile.Profile`
with its page classes built."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

from crawler.parsers.profile import Profile, build_page_classes

PROFILES: dict[str, Profile] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    _profile = getattr(_module, "PROFILE", None)
    if isinstance(_profile, Profile):
        _profile = replace(_profile, pages=())
        _pages = build_page_classes(_profile)
        object.__setattr__(_profile, "pages", _pages)
        for _cls in _pages:
            _cls.PROFILE = _profile
        PROFILES[_profile.name] = _profile
