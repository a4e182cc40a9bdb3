"""Secrets never reach a log line, tracebacks and stacks included."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from feedgen import INDO_PACIFIC, rss
from harness import Env

from monitor import logsetup
from monitor.config import load_config
from notifiers.webhook import WebhookNotifier

SECRET = "s3cr3t-token-9f8e7d"


@pytest.fixture
def redacting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VEILLE_TOKEN", SECRET)
    path = tmp_path / "config.toml"
    path.write_text(f"""[veille]
database = "sqlite:///{tmp_path / 'veille.db'}"

[[feed]]
name = "nato"
url = "https://www.nato.int/rss.xml"
headers = {{ X-Auth-Token = "${{VEILLE_TOKEN}}" }}

[[watch]]
name = "korea"
keywords = ["Corée"]
notify = ["screen"]

[notifier.screen]
type = "console"
""")
    logsetup.setup(False)
    logsetup.redact_with(load_config(path))
    yield logging.getLogger("monitor.test_security_logs")
    logsetup._redact.config = None


class TestTracebacks:
    """The whole formatted record is redacted: message, arguments, traceback, stack."""

    def test_exception_message_in_a_traceback(self, redacting: logging.Logger,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        try:
            raise RuntimeError(f"the receiver refused token {SECRET}")
        except RuntimeError:
            redacting.exception("notifier %s crashed", "chat")
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert "RuntimeError: the receiver refused token ***" in err
        assert SECRET not in err

    def test_chained_cause_arguments_and_stack(self, redacting: logging.Logger,
                                               capsys: pytest.CaptureFixture[str]) -> None:
        try:
            try:
                raise KeyError(SECRET)
            except KeyError as inner:
                raise ValueError("wrapped") from inner
        except ValueError as exc:
            redacting.error("sending with %s failed", SECRET, exc_info=exc, stack_info=True)
        err = capsys.readouterr().err
        assert "KeyError: '***'" in err and "Stack (most recent call last)" in err
        assert SECRET not in err

    def test_other_handlers_see_the_record_redacted(self, redacting: logging.Logger,
                                                    caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.INFO):
            try:
                raise RuntimeError(SECRET)
            except RuntimeError:
                redacting.exception("failed")
        assert SECRET not in caplog.text


def test_a_crashing_notifier_logs_no_secret(sqlite_env: Env,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end: a notifier bug quoting the chat webhook URL (its token) in its message."""
    env = sqlite_env

    def crash(self: WebhookNotifier, alert: object) -> None:
        raise RuntimeError(f"cannot post to {env.hook.url('/hook')}?token={SECRET}")

    monkeypatch.setattr(WebhookNotifier, "send", crash)
    monkeypatch.setenv("VEILLE_TOKEN", SECRET)
    env.feeds.set("/fr.xml", rss([INDO_PACIFIC]))
    env.write(feeds={"nato-fr": "/fr.xml"}, veille='first_run = "notify"',
              feed_extra='headers = { X-Auth-Token = "${VEILLE_TOKEN}" }')
    try:
        code, out, err = env.veille("check")
    finally:
        logsetup._redact.config = None
    assert code == 1
    assert "notifier chat crashed" in err and "Traceback" in err
    assert SECRET not in out + err
    assert env.hook.url("/hook") not in out + err


class TestOldPython:
    """A Python release older than the CVE-2024-6923 / CVE-2024-4032 fixes gets one warning
    line at start; a supported one none."""

    @pytest.mark.parametrize("release", [(3, 11, 7), (3, 11, 9), (3, 12, 0), (3, 12, 4)])
    def test_older_releases_warn_once(self, release: tuple[int, int, int],
                                      capsys: pytest.CaptureFixture[str]) -> None:
        logsetup.setup(False)
        logsetup.warn_old_python(release)
        lines = [line for line in capsys.readouterr().err.splitlines() if "CVE-2024-6923" in line]
        shown = ".".join(map(str, release))
        assert len(lines) == 1 and f"WARNING monitor.logsetup: Python {shown} is older " in lines[0]
        assert "supports only 3.11.10+, 3.12.5+ and 3.13+" in lines[0]

    @pytest.mark.parametrize("release", [(3, 11, 10), (3, 11, 14), (3, 12, 5), (3, 13, 0),
                                         (3, 14, 2)])
    def test_supported_releases_are_quiet(self, release: tuple[int, int, int],
                                          capsys: pytest.CaptureFixture[str]) -> None:
        logsetup.setup(False)
        logsetup.warn_old_python(release)
        assert "CVE-2024" not in capsys.readouterr().err

    def test_run_and_check_warn_on_this_machine_when_it_is_old(
            self, sqlite_env: Env) -> None:
        import sys

        env = sqlite_env
        env.feeds.set("/fr.xml", rss([INDO_PACIFIC]))
        env.write(feeds={"nato-fr": "/fr.xml"})
        old = logsetup.python_warning(sys.version_info[:3]) is not None
        _, _, err = env.veille("check")
        assert err.count("CVE-2024-6923") == (1 if old else 0)
        _, _, err = env.veille("validate")  # a listing or a validation: no noise
        assert "CVE-2024-6923" not in err
