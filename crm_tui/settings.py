"""Where things live (platformdirs, app ``crm-tui``) and the settings in ``config.toml``.

A missing file means defaults; a malformed one is a :class:`SettingsError`
naming the file and the problem.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from crm_tui.store import enums

APP_NAME = "crm-tui"


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

    def stage_name(self, key: str, lang: str) -> str:
        s = self.stages.get(key)
        return s.name(lang) if s else key


def _int(table: dict, key: str, default: int, where: str, low: int = 0, high: int = 10**6) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingsError(f"{where}: `{key}` must be a whole number from {low} to {high}")
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Read ``config.toml`` (defaults when missing)."""
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    where = str(path)
    base = Settings()
    lang = raw.get("language")
    if lang is not None and lang not in ("en", "zh"):
        raise SettingsError(f'{where}: `language` must be "en" or "zh"')
    stages = dict(base.stages)
    stage_table = raw.get("stages", {})
    if not isinstance(stage_table, dict):
        raise SettingsError(f"{where}: [stages] must be a table")
    for key, conf in stage_table.items():
        if key not in stages or not isinstance(conf, dict):
            raise SettingsError(
                f"{where}: unknown stage `{key}` (one of {', '.join(enums.STAGE.keys)})"
            )
        old = stages[key]
        criteria = old.exit_criteria
        if "exit_criteria" in conf:
            items = conf["exit_criteria"]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise SettingsError(f"{where}: stages.{key}.exit_criteria must be a list of text")
            criteria = tuple((i, i) for i in items)
        stages[key] = StageSetting(
            key,
            str(conf.get("name_en", old.name_en)),
            str(conf.get("name_zh", old.name_zh)),
            _int(conf, "probability", old.probability, where, 0, 100),
            _int(conf, "expected_days", old.expected_days or 0, where, 0, 3650)
            or old.expected_days,
            criteria,
        )
    targets: dict[str, int] = {}
    for month, amount in raw.get("targets", {}).items():
        from crm_tui.store.validation import ValidationError, parse_money

        try:
            cents = parse_money("target", str(amount))
        except ValidationError as exc:
            raise SettingsError(f"{where}: targets.{month}: {exc}") from None
        targets[str(month)] = cents or 0
    export_dir = raw.get("export_dir")
    return Settings(
        user_name=str(raw.get("user_name", base.user_name)),
        language=lang,
        currency=str(raw.get("currency", base.currency)),
        stages=stages,
        stalled_days=_int(raw, "stalled_days", base.stalled_days, where, 1, 3650),
        neglected_days=_int(raw, "neglected_days", base.neglected_days, where, 1, 3650),
        backup_keep=_int(raw, "backup_keep", base.backup_keep, where, 1, 1000),
        export_dir=Path(export_dir).expanduser() if export_dir else None,
        targets=targets,
    )
