"""An analyst's setup for end-to-end tests: feeds on loopback, aiosmtpd, a webhook receiver,
a config.toml on disk, and the `veille` command run in-process."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from httpserver import FeedServer
from smtpserver import Received, SMTPServer
from webhookserver import Recorded, WebhookServer

from monitor.cli import main

WATCH = '''
[[watch]]
name = "korea"
keywords = ["République de Corée", "Republic of Korea", "Indo-Pacifique", "Indo-Pacific"]
notify = {notify}
'''


@dataclass
class Env:
    tmp: Path
    feeds: FeedServer
    smtp: SMTPServer
    hook: WebhookServer
    capsys: pytest.CaptureFixture[str]
    database: str
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.config = self.tmp / "config.toml"

    def write(self, *, feeds: dict[str, str], watches: str | None = None,
              veille: str = "", notifiers: str | None = None, feed_extra: str = "") -> None:
        """Write config.toml: `feeds` maps a feed name to a path on the feed server."""
        text = f'''[veille]
database = "{self.database}"
interval = "1m"
jitter = 0
timeout = "2s"
timezone = "Europe/Brussels"
{veille}
'''
        for name, path in feeds.items():
            text += f'\n[[feed]]\nname = "{name}"\nurl = "{self.feeds.url(path)}"\n{feed_extra}\n'
        text += watches if watches is not None else WATCH.format(
            notify='["analysts", "chat"]')
        text += notifiers if notifiers is not None else f'''
[notifier.analysts]
type = "email"
host = "127.0.0.1"
port = {self.smtp.port}
security = "none"
from = "veille <veille@example.org>"
to = ["analysts@example.org"]

[notifier.chat]
type = "webhook"
url = "{self.hook.url('/hook')}"
'''
        self.config.write_text(text)

    def veille(self, *args: str) -> tuple[int, str, str]:
        """Run `veille -c config.toml ARGS`; exit code, stdout, stderr."""
        self.capsys.readouterr()
        code = main(["-c", str(self.config), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    @property
    def emails(self) -> list[Received]:
        return self.smtp.messages

    @property
    def hooks(self) -> list[Recorded]:
        return [r for r in self.hook.requests if r.path == "/hook"]

    def hook_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.hooks]
