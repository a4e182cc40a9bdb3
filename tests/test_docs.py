"""The README documents every config key, notifier option and command that veille has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor import config
from monitor.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

SCHEMAS = {"[veille]": config._VeilleSchema, "[[feed]]": config._FeedSchema,
           "[[watch]]": config._WatchSchema, "[notifier.NAME]": config._NotifierSchema}


def _section(title: str) -> str:
    start = README.index(f"### `{title}`")
    end = README.find("\n### ", start + 1)
    return README[start:end if end > 0 else None]


class TestConfigKeysDocumented:
    """Each key the config accepts has a line in its README section."""

    @pytest.mark.parametrize("title", list(SCHEMAS))
    def test_every_key(self, title: str) -> None:
        section = _section(title)
        missing = [key for key in SCHEMAS[title].model_fields if f"`{key}`" not in section]
        assert missing == [], f"README section {title} does not document {missing}"

    @pytest.mark.parametrize("module,attr", [("notifiers.email_options", "EmailSettings"),
                                             ("notifiers.webhook_options", "WebhookOptions")])
    def test_notifier_options(self, module: str, attr: str) -> None:
        import dataclasses
        import importlib

        cls = getattr(importlib.import_module(module), attr)
        names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) \
            else list(getattr(cls, "model_fields", {}))
        aliases = {"sender": "from", "recipients": "to", "fmt": "format"}
        section = _section("[notifier.NAME]")
        missing = [n for n in names if f"`{aliases.get(n, n)}`" not in section]
        assert missing == [], f"README does not document {attr} options {missing}"


class TestCommandsDocumented:
    """Each subcommand of `veille` appears in the README's command list."""

    def test_every_command(self) -> None:
        parser = _parser()
        sub = next(a for a in parser._actions if a.dest == "command")
        commands = list(getattr(sub, "choices", {}) or {})
        assert len(commands) >= 9
        block = README[README.index("## Commands"):]
        missing = [c for c in commands if not re.search(rf"veille {re.escape(c)}\b", block)]
        assert missing == []
