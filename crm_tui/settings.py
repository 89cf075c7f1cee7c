"""Where things live (platformdirs, app ``crm-tui``) and the settings in ``config.toml``.

A missing file means defaults; a malformed one is a :class:`SettingsError`
naming the file and the problem.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from crm_tui.store import enums

APP_NAME = "crm-tui"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class SettingsError(Exception):
    """config.toml could not be read; the message says where and why."""


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    return Path(os.environ.get("CRM_CONFIG") or config_dir() / "config.toml")


def default_db_path() -> Path:
    return data_dir() / "crm.db"


def resolve_db_path(cli_value: str | None) -> Path:
    """``--db``, else ``CRM_DB``, else ``crm.db`` in the user data directory."""
    chosen = cli_value or os.environ.get("CRM_DB")
    return Path(chosen).expanduser() if chosen else default_db_path()


def default_export_dir() -> Path:
    from platformdirs import user_documents_path

    docs = user_documents_path()
    return docs if docs.is_dir() else Path.home()


@dataclass(frozen=True)
class StageSetting:
    key: str
    name_en: str
    name_zh: str
    probability: int
    expected_days: int | None
    exit_criteria: tuple[tuple[str, str], ...] = ()

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def criteria(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for en, zh in self.exit_criteria]


def _default_stages() -> dict[str, StageSetting]:
    return {
        key: StageSetting(
            key,
            en,
            zh,
            enums.DEFAULT_PROBABILITY[key],
            enums.DEFAULT_EXPECTED_DAYS.get(key),
            enums.DEFAULT_EXIT_CRITERIA.get(key, ()),
        )
        for key, en, zh in enums.STAGE.items
    }


@dataclass(frozen=True)
class Settings:
    user_name: str = field(default_factory=lambda: os.environ.get("USER", "") or "me")
    language: str | None = None
    currency: str = "CNY"
    stages: dict[str, StageSetting] = field(default_factory=_default_stages)
    stalled_days: int = 30
    neglected_days: int = 30
    backup_keep: int = 7
    export_dir: Path | None = None
    #: Monthly targets from config ("YYYY-MM" → cents); the database's targets take precedence.
    targets: dict[str, int] = field(default_factory=dict)

    def stage(self, key: str) -> StageSetting:
        return self.stages[key]

    def probabilities(self) -> dict[str, int]:
        """Each stage's default probability (what a deal at that stage has unless set by hand)."""
        return {key: stage.probability for key, stage in self.stages.items()}

    def stage_name(self, key: str, lang: str) -> str:
        s = self.stages.get(key)
        return s.name(lang) if s else key

    def apply_labels(self) -> None:
        """Make the stage names of config.toml the labels everything shows (the board,
        the reports, the CLI's tables), in place of the built-in ones."""
        enums.RENAMED.clear()
        defaults = {key: (en, zh) for key, en, zh in enums.STAGE.items}
        for key, stage in self.stages.items():
            if (stage.name_en, stage.name_zh) != defaults.get(key):
                enums.RENAMED[(enums.STAGE.name, key)] = (stage.name_en, stage.name_zh)


class _Bad(Exception):
    """A bad setting: its dotted key (to find its line) and what is wrong with it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _int(
    table: dict, key: str, default: int, path: str = "", low: int = 0, high: int = 10**6
) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _Bad(path + key, f"`{path}{key}` must be a whole number from {low} to {high}")
    return value


def _text(table: dict, key: str, default: str | None, path: str = "") -> str | None:
    value = table.get(key, default)
    if value is not None and not isinstance(value, str):
        raise _Bad(path + key, f'`{path}{key}` must be text in quotes, e.g. {key} = "…"')
    return value


def _known_keys(table: dict, known: tuple[str, ...], path: str = "") -> None:
    """A misspelt setting is an error, not a default quietly kept."""
    for key in table:
        if key not in known:
            raise _Bad(path + key, f"unknown setting `{path}{key}` (known: {', '.join(known)})")


_KEY_LINE = re.compile(r"""\s*(\[?)\s*([^=\]]+?)\s*(\]|=)""")


def _line_of(text: str, key: str) -> int | None:
    """The line of config.toml that sets ``key`` (dotted), or opens its table."""
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _KEY_LINE.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        parts = [p.strip().strip("\"'") for p in m.group(2).split(".")]
        if m.group(1):  # [a.b]
            table = parts
            here = table
        else:
            here = table + parts
        if ".".join(here) == key:
            return number
    return None


_SETTINGS = (
    "user_name", "language", "currency", "stages", "stalled_days", "neglected_days",
    "backup_keep", "export_dir", "targets",
)  # fmt: skip
_STAGE_SETTINGS = ("name_en", "name_zh", "probability", "expected_days", "exit_criteria")
#: Outcome stages: their probability is what they are (DOMAIN.md), not a setting.
_FIXED_PROBABILITY = {"won": 100, "after_sales": 100, "lost": 0}


def load_settings(path: Path | None = None) -> Settings:
    """Read ``config.toml`` (defaults when missing); a bad value is a SettingsError that
    names the file, the line and the setting."""
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:  # a folder, no permission …
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return _settings(raw)
    except _Bad as exc:
        line = _line_of(text, exc.key)
        raise SettingsError(f"{path}{'' if line is None else f':{line}'}: {exc}") from None


def _settings(raw: dict) -> Settings:
    base = Settings()
    _known_keys(raw, _SETTINGS)
    lang = raw.get("language")
    if lang is not None and lang not in ("en", "zh"):
        raise _Bad("language", '`language` must be "en" or "zh"')
    stages = dict(base.stages)
    stage_table = raw.get("stages", {})
    if not isinstance(stage_table, dict):
        raise _Bad("stages", "[stages] must be a table")
    for key, conf in stage_table.items():
        if key not in stages or not isinstance(conf, dict):
            raise _Bad(
                f"stages.{key}", f"unknown stage `{key}` (one of {', '.join(enums.STAGE.keys)})"
            )
        at = f"stages.{key}."
        _known_keys(conf, _STAGE_SETTINGS, at)
        old = stages[key]
        fixed = _FIXED_PROBABILITY.get(key)
        if fixed is not None and conf.get("probability", fixed) != fixed:
            raise _Bad(
                at + "probability", f"`{at}probability` is always {fixed} (a closed deal's outcome)"
            )
        criteria = old.exit_criteria
        if "exit_criteria" in conf:
            items = conf["exit_criteria"]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise _Bad(at + "exit_criteria", f"`{at}exit_criteria` must be a list of text")
            criteria = tuple((i, i) for i in items)
        expected_days = old.expected_days
        if "expected_days" in conf:
            expected_days = _int(conf, "expected_days", 0, at, 1, 3650)
        stages[key] = StageSetting(
            key,
            _text(conf, "name_en", old.name_en, at) or old.name_en,
            _text(conf, "name_zh", old.name_zh, at) or old.name_zh,
            _int(conf, "probability", old.probability, at, 0, 100),
            expected_days,
            criteria,
        )
    targets: dict[str, int] = {}
    target_table = raw.get("targets", {})
    if not isinstance(target_table, dict):
        raise _Bad("targets", '[targets] must be a table of months, e.g. "2026-11" = 500000')
    for month, amount in target_table.items():
        from crm_tui.store.validation import ValidationError, parse_money

        if not _MONTH.fullmatch(month):
            raise _Bad(f"targets.{month}", f"targets: “{month}” is not a month (YYYY-MM)")
        try:
            cents = parse_money("target", str(amount))
        except ValidationError as exc:
            raise _Bad(f"targets.{month}", f"targets.{month}: {exc}") from None
        targets[month] = cents or 0
    export_dir = _text(raw, "export_dir", None)
    return Settings(
        user_name=_text(raw, "user_name", base.user_name) or base.user_name,
        language=lang,
        currency=_text(raw, "currency", base.currency) or base.currency,
        stages=stages,
        stalled_days=_int(raw, "stalled_days", base.stalled_days, "", 1, 3650),
        neglected_days=_int(raw, "neglected_days", base.neglected_days, "", 1, 3650),
        backup_keep=_int(raw, "backup_keep", base.backup_keep, "", 1, 1000),
        export_dir=Path(export_dir).expanduser() if export_dir else None,
        targets=targets,
    )
