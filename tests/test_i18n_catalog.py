"""Every user-visible string passed to _() (and every binding description) has a Chinese text."""

from __future__ import annotations

import ast
import pathlib
import string

from crm_tui.i18n import _load_catalog

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "crm_tui"


def translatable_strings() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None)
            arg = None
            if name == "_" and node.args:
                arg = node.args[0]
            elif name == "Binding" and len(node.args) >= 3:
                arg = node.args[2]
            elif getattr(node.func, "attr", None) == "Group" and node.args:  # Binding.Group
                arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                found.setdefault(arg.value, str(path.relative_to(PACKAGE)))
    return found


def test_every_string_has_a_chinese_translation():
    catalog = _load_catalog("zh")
    missing = {s: where for s, where in translatable_strings().items() if s not in catalog}
    assert not missing, "missing zh translations:\n" + "\n".join(
        f"{where}: {s!r}" for s, where in sorted(missing.items(), key=lambda x: x[1])
    )


def test_translations_keep_their_placeholders():
    fields = string.Formatter()
    for english, chinese in _load_catalog("zh").items():
        want = {f for _t, f, _s, _c in fields.parse(english) if f}
        got = {f for _t, f, _s, _c in fields.parse(chinese) if f}
        assert want == got, f"{english!r} -> {chinese!r}"
