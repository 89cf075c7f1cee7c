"""One translation function for every user-visible string, with English and Chinese catalogs.

English strings are the message ids. The Chinese catalog is a set of TOML files
in ``crm_tui/locales/zh/`` (one per area of the app, merged at first use), which
keeps the catalogs easy to edit and free of a compile step. Strings with
placeholders use ``str.format`` fields: ``_("{n} customers").format(n=3)``.
"""

from __future__ import annotations

import locale
import os
import tomllib
from collections.abc import Iterable
from importlib import resources

LANGUAGES = ("en", "zh")
_state: dict[str, object] = {"lang": "en", "catalog": None}


def _load_catalog(lang: str) -> dict[str, str]:
    catalog: dict[str, str] = {}
    folder = resources.files("crm_tui") / "locales" / lang
    if not folder.is_dir():
        return catalog
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            catalog.update(tomllib.loads(entry.read_text(encoding="utf-8")))
    return catalog


def set_language(lang: str) -> None:
    """Switch the whole program's language ("en" or "zh")."""
    lang = lang if lang in LANGUAGES else "en"
    _state["lang"] = lang
    _state["catalog"] = _load_catalog(lang) if lang != "en" else {}


def language() -> str:
    return str(_state["lang"])


def _(message: str) -> str:
    """Translate ``message`` into the current language (English passes through)."""
    catalog = _state["catalog"]
    if not catalog:
        return message
    return catalog.get(message, message)  # type: ignore[union-attr]


def os_problem(exc: OSError) -> str:
    """What the system said went wrong with a file (``exc.strerror``: C's English text),
    in the current language when the catalog knows it ("没有那个文件或目录")."""
    return _(exc.strerror) if exc.strerror else str(exc)


def labelled(name: str, value: object) -> str:
    """ "Name: value" with the language's colon ("完成：2" in Chinese, not "完成: 2")."""
    return f"{name}{'：' if language() == 'zh' else ': '}{value}"


def clauses(parts: Iterable[str]) -> str:
    """Clauses of one sentence ("imported 5, rejected 1"): joined by a comma, "，" in
    Chinese (``_(", ")`` is the list separator 、, for the items of a list)."""
    return ("，" if language() == "zh" else ", ").join(parts)


def label(vocabulary, key: str | None) -> str:
    """The current language's label of an enumerated key (see store.enums)."""
    return vocabulary.label(key, language())


def detect_language(cli: str | None, configured: str | None) -> str:
    """``--lang``, else ``CRM_LANG``, else the configured language, else the locale."""
    for candidate in (cli, os.environ.get("CRM_LANG"), configured):
        if candidate:
            return "zh" if candidate.lower().startswith("zh") else "en"
    loc = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    if not loc:
        try:
            loc = locale.getlocale()[0] or ""
        except ValueError:
            loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"
