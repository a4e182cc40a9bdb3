"""A custom email `template` loads itself and veille's own templates, never the files beside
it (an `env` file of secrets)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from monitor.cli import main
from notifiers.base import Alert, FeedInfo, ItemInfo
from notifiers.email_message import EmailTemplates

SECRET = "VEILLE_SMTP_PASSWORD=hunter2-not-for-templates"


def alert() -> Alert:
    now = datetime(2024, 5, 23, 6, 3, tzinfo=UTC)
    feed = FeedInfo("nato-fr", "https://www.nato.int/rss.xml", "OTAN")
    item = ItemInfo("k", "L’OTAN et la République de Corée", "https://www.nato.int/a.htm",
                    now, None, "La République de Corée à Bruxelles.", 1)
    return Alert("a1", "item.new", now, feed, item, ("korea",), ("République de Corée",),
                 "new")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "env").write_text(SECRET + "\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "part.j2").write_text(SECRET)
    return tmp_path


def render(folder: Path, body: str) -> str:
    path = folder / "alert.html.j2"
    path.write_text(body, encoding="utf-8")
    return EmailTemplates(str(path)).render(alert())[2]


class TestCustomTemplateLoader:
    """Only the named template and veille's own can be loaded."""

    @pytest.mark.parametrize("statement", [
        '{% include "env" %}', "{% include 'sub/part.j2' %}", '{% include "../env" %}',
        '{% import "env" as env %}', '{% from "env" import x %}', '{% extends "env" %}',
        '{% include "/etc/passwd" %}'])
    def test_files_beside_it_are_refused(self, folder: Path, statement: str) -> None:
        with pytest.raises(TemplateNotFound) as caught:
            render(folder, f"<p>{{{{ headline }}}}</p>{statement}")
        assert "a custom template may load only itself (alert.html.j2)" in str(caught.value)
        assert SECRET not in str(caught.value)

    def test_itself_and_veilles_own_templates_load(self, folder: Path) -> None:
        html = render(folder, '<p>{{ headline }}</p><pre>{% include "email.txt.j2" %}</pre>')
        assert "<p>New: L’OTAN et la République de Corée</p>" in html
        assert "République de Corée" in html.split("<pre>", 1)[1]  # the built-in text body

    def test_extending_a_builtin_template(self, folder: Path) -> None:
        html = render(folder, '{% extends "email.html.j2" %}')
        assert "L’OTAN et la République de Corée" in html


def test_validate_names_the_refused_file(folder: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The mistake surfaces when the config is read, not at the first alert."""
    (folder / "alert.html.j2").write_text('<p>{{ headline }}</p>{% include "env" %}')
    (folder / "config.toml").write_text(f"""[veille]
database = "sqlite:///{folder / 'veille.db'}"

[[feed]]
name = "nato-fr"
url = "https://www.nato.int/rss.xml"

[[watch]]
name = "korea"
keywords = ["Corée"]
notify = ["analysts"]

[notifier.analysts]
type = "email"
host = "127.0.0.1"
security = "none"
from = "veille <veille@example.org>"
to = ["analysts@example.org"]
template = "{folder / 'alert.html.j2'}"
""")
    assert main(["-c", str(folder / "config.toml"), "validate"]) == 2
    err = capsys.readouterr().err
    assert "notifier.analysts.template" in err and "'env' cannot be loaded" in err
    assert SECRET not in err
