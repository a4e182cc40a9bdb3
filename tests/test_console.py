"""The console notifier: one readable block per alert, on the stream asked for."""

from __future__ import annotations

import io
import re
import sys
from dataclasses import replace
from typing import cast

import pytest
from sample_alerts import ITEM, TITLE, changed_alert, feed_alert, new_alert, probe_alert

from notifiers import registry
from notifiers.base import Alert, NotifierConfigError, TransientError
from notifiers.console import ConsoleNotifier


def printed(capsys: pytest.CaptureFixture[str], *alerts: Alert, stream: str = "stdout") -> str:
    console = ConsoleNotifier.from_options("screen", {"stream": stream})
    for alert in alerts:
        console.send(alert)
    out, err = capsys.readouterr()
    return err if stream == "stderr" else out


class TestBlock:
    """What one alert looks like on the console."""

    def test_new_item(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = printed(capsys, new_alert())
        lines = out.splitlines()
        assert lines[1] == f"New: {TITLE}"
        for expected in (
            "Feed:      OTAN – Actualités (nato-fr)",
            "Watches:   korea",
            "Keywords:  République de Corée, Indo-Pacifique",
            f"Link:      {ITEM.link}",
            "Published: 23 May 2024 08:58 CEST",
            "Updated:   24 May 2024 10:02 CEST",
        ):
            assert f"  {expected}" in lines

    def test_change_shows_before_and_after(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = printed(capsys, changed_alert())
        assert f"Updated: {TITLE}" in out
        assert f"    Title: Séoul invité au sommet de Washington → {TITLE}" in out
        assert "    Updated: 23 May 2024 08:58 CEST → 24 May 2024 10:02 CEST" in out
        assert "Mis à jour le [-23-]{+24+} mai 2024." in out
        assert "  Watched terms: still present" in out

    def test_feed_failing_and_test_alert(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = printed(capsys, feed_alert(), feed_alert("feed.recovered"), probe_alert())
        assert "Feed failing: nato-fr" in out and "Error:    HTTP 503 Service Unavailable" in out
        assert "Feed recovered: nato-fr" in out
        assert "Test alert from veille" in out

    def test_french(self, capsys: pytest.CaptureFixture[str]) -> None:
        out = printed(capsys, changed_alert(language="fr"))
        assert f"Mis à jour : {TITLE}" in out
        assert re.search(r"\n  Publié le : +23 mai 2024 08:58 CEST\n", out)

    def test_feed_text_cannot_break_lines_or_drive_the_terminal(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        item = replace(ITEM, title="Alerte\r\nFAKE: line\x1b[2J\u2028end", link="javascript:x()")
        out = printed(capsys, new_alert(item=item))
        assert "\x1b" not in out and "\u2028" not in out and "\r" not in out
        assert "New: Alerte FAKE: line[2J end" in out.splitlines()
        assert "javascript:x() (not a web link, not opened)" in out

    def test_closed_stream_is_a_transient_failure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        closed = io.StringIO()
        closed.close()
        monkeypatch.setattr(sys, "stdout", closed)
        with pytest.raises(TransientError, match="stdout"):
            ConsoleNotifier.from_options("screen", {}).send(new_alert())

    def test_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert f"New: {TITLE}" in printed(capsys, new_alert(), stream="stderr")
        assert capsys.readouterr().out == ""


class TestOptions:
    """Only `stream` is accepted, and only "stdout" or "stderr"."""

    def test_default_is_stdout(self) -> None:
        assert ConsoleNotifier.from_options("screen", {}).stream == "stdout"

    def test_unknown_option_and_bad_stream_are_both_listed(self) -> None:
        with pytest.raises(NotifierConfigError) as err:
            ConsoleNotifier.from_options("screen", {"stream": "tty", "colour": True})
        assert sorted(key for key, _ in err.value.problems) == ["colour", "stream"]

    def test_registered_as_console(self) -> None:
        assert cast(object, registry.get("console")) is ConsoleNotifier
