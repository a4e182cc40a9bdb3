"""monitor.config against DESIGN's config.toml section: typed objects, every problem at once."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

import monitor.config as config_module
from monitor import __version__
from monitor.config import (
    NOT_SUPPORTED_YET,
    Config,
    FeedConfig,
    WatchConfig,
    load_config,
)
from monitor.durations import (
    format_duration,
    parse_duration,
    parse_size,
    system_timezone,
)
from monitor.errors import ConfigError
from notifiers import registry
from notifiers.base import Alert, NotifierConfigError
from notifiers.registry import UnknownNotifierType

SAMPLE = Path(__file__).resolve().parent.parent / "config.toml"
REAL_GET = registry.get

FEEDS = """\
[[feed]]
name = "nato-fr"
url = "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml"
tags = ["nato"]

[[feed]]
name = "nato-ru"
url = "https://www.nato.int/cps/rss/ru/natohq/rssFeed.xsl/rssFeed.xml"
tags = ["nato"]

[[feed]]
name = "nato-en"
url = "https://www.nato.int/cps/rss/en/natohq/rssFeed.xsl/rssFeed.xml"
tags = ["nato", "english"]
"""
WATCH = """\
[[watch]]
name = "korea"
keywords = ["République de Corée", "Republic of Korea"]
notify = ["screen"]
"""
SCREEN = """\
[notifier.screen]
type = "console"
"""
BASE = FEEDS + "\n" + WATCH + "\n" + SCREEN


class FakeNotifier:
    """A notifier type for these tests: takes `target`, `url`, secrets, and `echo`."""

    type_name: ClassVar[str] = "fake"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"api_key"})
    known = ("target", "url", "password", "api_key", "echo", "stream")

    def __init__(self, name: str) -> None:
        self.name = name

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> FakeNotifier:
        problems = [(k, f"unknown option; the fake notifier takes {', '.join(cls.known)}")
                    for k in options if k not in cls.known]
        if "echo" in options:  # a plugin that quotes the value it refuses
            problems.append(("echo", f"cannot use {options['echo']}"))
        if problems:
            raise NotifierConfigError(problems)
        return cls(name)

    def send(self, alert: Alert) -> None:
        """Never called here."""

    def close(self) -> None:
        """Nothing to release."""


class BrokenNotifier(FakeNotifier):
    """A plugin whose validation itself crashes."""

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> FakeNotifier:
        raise RuntimeError("plugin bug")


class LenientNotifier(FakeNotifier):
    """Takes any option: stands in for notifier types whose own tests check their options."""

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> FakeNotifier:
        return cls(name)


FAKE_TYPES: dict[str, type[FakeNotifier]] = {
    "console": FakeNotifier, "email": FakeNotifier, "webhook": FakeNotifier,
    "fake": FakeNotifier, "broken": BrokenNotifier,
}


def fake_get(type_name: str) -> Any:
    if type_name in FAKE_TYPES:
        return FAKE_TYPES[type_name]
    raise UnknownNotifierType([("type", f"unknown notifier type {type_name!r}")])


@pytest.fixture(autouse=True)
def notifier_types(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Notifier types that do not depend on the real notifier modules; run in tmp_path."""
    monkeypatch.setattr(registry, "get", fake_get)
    monkeypatch.chdir(tmp_path)


def load(text: str, environ: Mapping[str, str] | None = None) -> Config:
    Path("config.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(Path("config.toml"), {} if environ is None else environ)


def problems(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text, environ)
    return info.value.problems


class TestSample:
    """The repository's config.toml is a working sample, as it is and once uncommented."""

    def test_loads_without_environment(self) -> None:
        config = load_config(SAMPLE, {})
        assert [f.name for f in config.feeds] == ["nato-fr", "nato-en"]
        assert config.feeds[0].url == (
            "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml")
        assert config.feeds[1].url == (
            "https://www.nato.int/cps/rss/en/natohq/rssFeed.xsl/rssFeed.xml")
        (watch,) = config.watches
        assert {"République de Corée", "Republic of Korea", "Indo-Pacifique", "Indo-Pacific",
                "Nouvelle-Zélande", "New Zealand"} <= set(watch.keywords)
        assert len(watch.keywords) == 12
        assert watch.exact == ("ROK",)
        assert config.watches_for(config.feed("nato-fr")) == (watch,)
        assert config.watches_for(config.feed("nato-en")) == (watch,)
        assert {n: c.type for n, c in config.notifiers.items()} == {"screen": "console"}
        assert config.veille.database == f"sqlite:///{SAMPLE.parent / 'veille.db'}"

    def test_commented_keys_and_notifiers_are_valid_too(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(FAKE_TYPES, "email", LenientNotifier)
        monkeypatch.setitem(FAKE_TYPES, "webhook", LenientNotifier)
        text = SAMPLE.read_text(encoding="utf-8")
        uncommented = re.sub(r"(?m)^# (?=\[notifier\.|[a-z_]+ = )", "", text)
        assert "[notifier.analysts]" in uncommented.splitlines()
        environ = {"VEILLE_SMTP_PASSWORD": "smtp-pass-1234",
                   "VEILLE_CHAT_URL": "https://hooks.example.org/services/T0/B0/tok3n",
                   "VEILLE_WEBHOOK_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="}
        config = load(uncommented, environ)
        assert set(config.notifiers) == {"screen", "analysts", "chat"}
        assert set(environ.values()) <= config.secrets
        summary = config.describe()
        assert not any(secret in summary for secret in environ.values())
        assert "https://hooks.example.org/***" in summary


class TestMessages:
    """Each kind of mistake gives one line naming the file, the key path and the fix."""

    @pytest.mark.parametrize(("old", "new", "expected"), [
        ('tags = ["nato", "english"]', 'tags = ["nato"]\ninterval = "10 minutes"',
         'config.toml: feed[2] (nato-en).interval: "10 minutes" is not a duration; '
         "use 90s, 10m, 1h"),
        ('name = "nato-fr"', 'name = "nato-fr"\nintervall = "10m"',
         'config.toml: feed[0] (nato-fr).intervall: unknown key; did you mean "interval"?'),
        ('name = "korea"', 'name = "korea"\ncolour = "red"',
         "config.toml: watch[0] (korea).colour: unknown key"),
        ('name = "nato-fr"\nurl = "https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed.xml"',
         'name = "nato-fr"',
         "config.toml: feed[0] (nato-fr).url: missing; this key is required"),
        ('name = "nato-ru"', 'name = "nato ru"',
         'config.toml: feed[1] (nato ru).name: "nato ru" is not a valid name; use letters, '
         'digits, "-", "_", "."'),
        ("url = \"https://www.nato.int/cps/rss/ru", "url = \"ftp://www.nato.int/cps/rss/ru",
         'config.toml: feed[1] (nato-ru).url: "ftp://www.nato.int/cps/rss/ru/natohq/rssFeed.'
         'xsl/rssFeed.xml" is not an http:// or https:// URL'),
        ('tags = ["nato", "english"]', 'tags = "nato"',
         'config.toml: feed[2] (nato-en).tags: expected a list, got "nato"'),
        ('tags = ["nato", "english"]', 'tags = ["nato", 3]',
         "config.toml: feed[2] (nato-en).tags[1]: expected a string, got 3"),
        ('name = "nato-fr"', 'name = "nato-fr"\nignore_text = ["Vu \\\\d+ fois", "Vu (\\\\d+"]',
         'config.toml: feed[0] (nato-fr).ignore_text[1]: "Vu (\\\\d+" is not a valid regular '
         "expression: missing ), unterminated subpattern at position 3"),
        ('name = "nato-fr"', 'name = "nato-fr"\nheaders = { "Accept Language" = "fr" }',
         'config.toml: feed[0] (nato-fr).headers."Accept Language": "Accept Language" is not '
         "a valid HTTP header name"),
        ('name = "nato-fr"', 'name = "nato-fr"\nfirst_run = "silent"',
         'config.toml: feed[0] (nato-fr).first_run: "silent" is not one of "baseline", '
         '"notify"'),
        ('name = "nato-fr"', 'name = "nato-fr"\ntimezone = "Europe/Bruxelles"',
         'config.toml: feed[0] (nato-fr).timezone: "Europe/Bruxelles" is not an IANA time '
         'zone; did you mean "Europe/Brussels"?'),
        ('name = "nato-ru"', 'name = "nato-fr"',
         'config.toml: feed[1] (nato-fr).name: "nato-fr" is already the name of '
         "feed[0] (nato-fr)"),
        ("cps/rss/ru/", "cps/rss/fr/",
         "config.toml: feed[1] (nato-ru).url: same URL and headers as feed[0] (nato-fr); keep "
         "one feed (it can carry several tags)"),
        ('keywords = ["République de Corée", "Republic of Korea"]', 'keywords = ["Korea", " "]',
         'config.toml: watch[0] (korea).keywords[1]: " " has no letter or digit to match; '
         "remove it"),
        ('notify = ["screen"]', 'notify = ["screen"]\nregex = ["coree", "Corée du Sud"]',
         'config.toml: watch[0] (korea).regex[1]: "Corée du Sud" can never match: regexes run '
         "on folded text; write them lower-case and unaccented"),
        ('notify = ["screen"]', 'notify = ["screen"]\nregex = ["(coree"]',
         'config.toml: watch[0] (korea).regex[0]: "(coree" is not a valid regular expression: '
         "missing ), unterminated subpattern at position 0"),
        ('notify = ["screen"]', 'notify = ["screen"]\non = ["new", "edited"]',
         'config.toml: watch[0] (korea).on[1]: "edited" is not one of "new", "changed"'),
        ('notify = ["screen"]', 'notify = ["screen"]\non = []',
         "config.toml: watch[0] (korea).on: is empty; list at least one"),
        ('notify = ["screen"]', "notify = []",
         "config.toml: watch[0] (korea).notify: is empty; list at least one"),
        ('notify = ["screen"]', 'notify = ["screen"]\nfeeds = ["nato", "nato-fra"]',
         'config.toml: watch[0] (korea).feeds[1]: "nato-fra" matches no feed name or tag; '
         'did you mean "nato-fr"?'),
        ('notify = ["screen"]', 'notify = ["screen"]\nfeeds = ["otan-*"]',
         'config.toml: watch[0] (korea).feeds[0]: "otan-*" matches no feed name or tag'),
        ('notify = ["screen"]', 'notify = ["screen", "scren"]',
         'config.toml: watch[0] (korea).notify[1]: "scren" is not a notifier; did you mean '
         '"screen"?'),
        ('notify = ["screen"]', 'notify = ["screen", "analysts"]',
         'config.toml: watch[0] (korea).notify[1]: "analysts" is not a notifier; notifiers: '
         "screen"),
        ('type = "console"', 'type = "console"\ngive_up_after = "0s"',
         'config.toml: notifier.screen.give_up_after: "0s" is not more than 0; use e.g. 30s, '
         "10m, 1h"),
        ('type = "console"', 'type = "console"\ncolour = true',
         "config.toml: notifier.screen.colour: unknown option; the fake notifier takes target, "
         "url, password, api_key, echo, stream"),
        ('type = "console"', 'type = "pager"',
         "config.toml: notifier.screen.type: unknown notifier type 'pager'"),
        ('type = "console"', "", "config.toml: notifier.screen.type: missing; this key is "
                                 "required"),
        ('type = "console"', 'type = ""', "config.toml: notifier.screen.type: unknown notifier "
                                          "type ''"),
        ('type = "console"', 'type = "broken"',
         'config.toml: notifier.screen: the "broken" notifier failed to check its options: '
         "RuntimeError: plugin bug"),
        ("[[feed]]\nname = \"nato-fr\"", "[feeds]\n[[feed]]\nname = \"nato-fr\"",
         'config.toml: feeds: unknown key; did you mean "feed"?'),
    ])
    def test_one_mistake(self, old: str, new: str, expected: str) -> None:
        text = BASE.replace(old, new, 1)
        assert text != BASE
        assert problems(text) == [expected]

    @pytest.mark.parametrize(("veille", "expected"), [
        ('interval = "0.5s"', 'veille.interval: "0.5s" is shorter than 1s; use 1s or more'),
        ("jitter = -1", "veille.jitter: -1 is negative; a duration is 0 or more"),
        ('timeout = "soon"', 'veille.timeout: "soon" is not a duration; use 90s, 10m, 1h'),
        ('max_size = "5 megs"', 'veille.max_size: "5 megs" is not a size; use 5MB, 500KB, '
                                "1MiB or a number of bytes"),
        ("concurrency = 0", "veille.concurrency: expected a whole number of at least 1, got 0"),
        ("per_host = true", "veille.per_host: expected a whole number of at least 1, got true"),
        ('user_agent = "veille\\r\\nX-Evil: 1"', 'veille.user_agent: "veille\\r\\nX-Evil: 1" '
                                                 "contains a line break; write it on one line"),
        ('database = "veille.db"', 'veille.database: "veille.db" is not a SQLAlchemy URL; use '
         "e.g. sqlite:///veille.db or postgresql+psycopg://veille@localhost/veille"),
        ('database = "oracle9://x/y"', 'veille.database: "oracle9://x/y": SQLAlchemy knows no '
         'database "oracle9"; use e.g. sqlite:///veille.db or '
         "postgresql+psycopg://veille@localhost/veille"),
        ('timezone = "Mars/Olympus"', 'veille.timezone: "Mars/Olympus" is not an IANA time '
                                      'zone; use e.g. "Europe/Brussels" or "UTC"'),
    ])
    def test_veille_table(self, veille: str, expected: str) -> None:
        assert problems(f"[veille]\n{veille}\n\n{BASE}") == [f"config.toml: {expected}"]

    @pytest.mark.parametrize(("key", "expected"), [
        ('language = "de"', 'veille.language: "de" is not one of "en", "fr"'),
        ("failing_after = 0", "veille.failing_after: expected a whole number of at least 1, "
                              "got 0"),
        ('health_notify = ["screen", "pager"]',
         'veille.health_notify[1]: "pager" is not a notifier; notifiers: screen'),
        ("allow_private = 1", "veille.allow_private: expected true or false, got 1"),
    ])
    def test_keys_of_later_features(self, monkeypatch: pytest.MonkeyPatch, key: str,
                                    expected: str) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET", frozenset())
        assert problems(f"[veille]\n{key}\n\n{BASE}") == [f"config.toml: {expected}"]

    @pytest.mark.parametrize(("key", "expected"), [
        ('digest = "weekly"', 'notifier.screen.digest: "weekly" is neither a duration (1h, 1d) '
                              'nor a 5-field cron expression ("0 8 * * 1-5")'),
        ('digest = "61 8 * * *"', 'notifier.screen.digest: "61 8 * * *" is not a valid cron '
                                  "expression: Error validating expression '61': the last value "
                                  "(61) is higher than the maximum value (59)"),
        ("max_per_minute = 0", "notifier.screen.max_per_minute: expected a whole number of at "
                               "least 1, got 0"),
    ])
    def test_notifier_common_keys(self, monkeypatch: pytest.MonkeyPatch, key: str,
                                  expected: str) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET", frozenset())
        text = BASE.replace('type = "console"', f'type = "console"\n{key}')
        assert problems(text) == [f"config.toml: {expected}"]

    def test_duplicate_watch_name(self) -> None:
        assert problems(BASE + "\n" + WATCH) == [
            'config.toml: watch[1] (korea).name: "korea" is already the name of watch[0] (korea)']

    def test_notifier_name(self) -> None:
        assert problems(BASE.replace("[notifier.screen]", '[notifier."my screen"]')) == [
            'config.toml: watch[0] (korea).notify[0]: "screen" is not a notifier; did you mean '
            '"my screen"?',
            'config.toml: notifier."my screen": "my screen" is not a valid name; use letters, '
            'digits, "-", "_", "."']

    def test_notify_without_any_notifier(self) -> None:
        assert problems(FEEDS + "\n" + WATCH) == [
            'config.toml: watch[0] (korea).notify[0]: "screen" is not a notifier; define it in '
            "a [notifier.screen] table"]

    def test_feed_written_as_a_single_table(self) -> None:
        text = '[feed]\nname = "x"\nurl = "https://example.org/"\n\n' + SCREEN
        assert problems(text) == ["config.toml: feed: write [[feed]] (one table per feed), "
                                  "not [feed]"]

    def test_toml_syntax_error_has_line_and_column(self) -> None:
        [problem] = problems('[veille]\ninterval = \n')
        assert problem.startswith("config.toml: invalid TOML at line 2, column 12: this value "
                                  "is not valid TOML")
        assert problem.endswith("    2 | interval = \n      |            ^")

    def test_missing_file(self) -> None:
        with pytest.raises(ConfigError) as info:
            load_config(Path("absent.toml"), {})
        assert info.value.problems == [
            "absent.toml: cannot read the file: No such file or directory"]

    def test_missing_builtin_module(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(registry, "get", REAL_GET)
        monkeypatch.setitem(registry.BUILTINS, "ghost", "notifiers.ghost_not_written:Ghost")
        text = BASE.replace('type = "console"', 'type = "ghost"')
        assert problems(text) == [
            'config.toml: notifier.screen.type: the "ghost" notifier cannot be loaded (No '
            "module named 'notifiers.ghost_not_written'); is veille fully installed?"]

    def test_same_url_with_other_headers_is_two_feeds(self) -> None:
        text = BASE.replace("cps/rss/ru/", "cps/rss/fr/").replace(
            'name = "nato-ru"', 'name = "nato-ru"\nheaders = { Accept-Language = "ru" }')
        assert [f.name for f in load(text).feeds] == ["nato-fr", "nato-ru", "nato-en"]


class TestEveryProblemAtOnce:
    """All problems come in one ConfigError, in file order, each table's together."""

    def test_listed_together(self) -> None:
        text = BASE.replace('name = "nato-ru"', 'name = "nato-ru"\ninterval = "soon"').replace(
            'notify = ["screen"]', 'notify = ["screan"]\nkeyword = ["Japon"]').replace(
            'type = "console"', 'type = "console"\ngive_up_after = "never"')
        text = "[veille]\njiter = \"5s\"\n\n" + text
        assert problems(text) == [
            'config.toml: veille.jiter: unknown key; did you mean "jitter"?',
            'config.toml: feed[1] (nato-ru).interval: "soon" is not a duration; use 90s, 10m, 1h',
            'config.toml: watch[0] (korea).keyword: unknown key; did you mean "keywords"?',
            'config.toml: watch[0] (korea).notify[0]: "screan" is not a notifier; did you mean '
            '"screen"?',
            'config.toml: notifier.screen.give_up_after: "never" is not a duration; use 90s, '
            "10m, 1h",
        ]


class TestEnvironment:
    """`${NAME}` is read from the environment; an unset one is named, never guessed at."""

    def test_resolved_in_any_string(self) -> None:
        text = BASE.replace('name = "nato-fr"', 'name = "nato-fr"\n'
                            'headers = { Authorization = "Bearer ${FEED_TOKEN}" }')
        config = load(text, {"FEED_TOKEN": "abc123xyz"})
        assert config.feed("nato-fr").headers == {"Authorization": "Bearer abc123xyz"}
        assert {"abc123xyz", "Bearer abc123xyz"} <= config.secrets

    def test_defaults_to_the_process_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("VEILLE_TEST_TARGET", "ops-room")
        Path("config.toml").write_text(BASE + 'target = "${VEILLE_TEST_TARGET}"\n')
        config = load_config(Path("config.toml"))
        assert config.notifiers["screen"].options == {"target": "ops-room"}

    def test_unset_variable_is_named_once(self) -> None:
        text = BASE + '\n[notifier.chat]\ntype = "webhook"\nurl = "${VEILLE_CHAT_URL}"\n'
        assert problems(text, {"OTHER": "x"}) == [
            "config.toml: notifier.chat.url: environment variable VEILLE_CHAT_URL is not set"]

    def test_several_variables_in_one_string(self) -> None:
        text = BASE + 'target = "${USER_PART}@${HOST_PART}"\n'
        config = load(text, {"USER_PART": "ops", "HOST_PART": "example.org"})
        assert config.notifiers["screen"].options["target"] == "ops@example.org"
        assert problems(text, {"USER_PART": "ops"}) == [
            "config.toml: notifier.screen.target: environment variable HOST_PART is not set"]


class TestSecrets:
    """No secret reaches an error message, `redacted` or `describe()`."""

    def test_env_value_absent_from_errors(self) -> None:
        text = BASE.replace('url = "https://www.nato.int/cps/rss/ru/natohq/rssFeed.xsl/rss'
                            'Feed.xml"', 'url = "${PRIVATE_FEED}"')
        text += 'echo = "${TOKEN}"\n'
        errors = problems(text, {"PRIVATE_FEED": "ftp://user:s3cr3t-pw@files.example.org/x",
                                 "TOKEN": "tok-98765"})
        assert errors == [
            'config.toml: feed[1] (nato-ru).url: "***" is not an http:// or https:// URL',
            "config.toml: notifier.screen.echo: cannot use ***"]

    def test_secret_keys_and_webhook_url(self) -> None:
        text = BASE + textwrap.dedent("""
            [notifier.chat]
            type = "webhook"
            url = "https://hooks.example.org/services/T0/B0/XyZ"
            password = "literal-password"
            api_key = "key-from-plugin"
            target = "#analysts"
            """)
        text = text.replace('notify = ["screen"]', 'notify = ["screen", "chat"]')
        config = load(text, {})
        chat = config.notifiers["chat"]
        assert chat.redacted == {"url": "https://hooks.example.org/***", "password": "***",
                                 "api_key": "***", "target": "#analysts"}
        assert chat.options["password"] == "literal-password"
        assert {"https://hooks.example.org/services/T0/B0/XyZ", "literal-password",
                "key-from-plugin"} <= config.secrets
        summary = config.describe()
        assert "chat: webhook → url=https://hooks.example.org/***" in summary
        for secret in config.secrets:
            assert secret not in summary

    def test_database_password(self) -> None:
        config = load('[veille]\ndatabase = "postgresql+psycopg://veille:db-p%40ss@db/veille"\n'
                      + BASE)
        assert config.veille.database == "postgresql+psycopg://veille:db-p%40ss@db/veille"
        assert "db-p@ss" in config.secrets
        assert "  database: postgresql+psycopg://veille:***@db/veille" in config.describe()

    def test_redact_hides_the_longest_secret_whole(self) -> None:
        config = load(BASE + 'target = "${A}-${B}"\n', {"A": "alpha", "B": "beta"})
        assert config.redact("sent to alpha-beta, then alpha") == "sent to ***, then ***"


class TestDatabase:
    """A relative SQLite path is relative to the config file; systemd's state dir is honoured."""

    def test_relative_sqlite_path(self, tmp_path: Path) -> None:
        config = load('[veille]\ndatabase = "sqlite:///data/veille.db"\n' + BASE)
        assert config.veille.database == f"sqlite:///{tmp_path / 'data' / 'veille.db'}"

    def test_relative_to_the_file_not_the_working_directory(self, tmp_path: Path) -> None:
        (tmp_path / "etc").mkdir()
        path = tmp_path / "etc" / "veille.toml"
        path.write_text('[veille]\ndatabase = "sqlite:///veille.db"\n' + BASE)
        config = load_config(path, {})
        assert config.veille.database == f"sqlite:///{tmp_path / 'etc' / 'veille.db'}"
        assert config.path == path

    @pytest.mark.parametrize("url", ["sqlite:////var/lib/veille/veille.db", "sqlite://",
                                     "sqlite:///:memory:", "postgresql+psycopg://db/veille"])
    def test_left_alone(self, url: str) -> None:
        assert load(f'[veille]\ndatabase = "{url}"\n' + BASE).veille.database == url

    def test_default_next_to_the_file(self, tmp_path: Path) -> None:
        assert load(BASE).veille.database == f"sqlite:///{tmp_path / 'veille.db'}"

    def test_default_in_state_directory(self) -> None:
        config = load(BASE, {"STATE_DIRECTORY": "/var/lib/veille:/var/lib/other"})
        assert config.veille.database == "sqlite:////var/lib/veille/veille.db"

    def test_explicit_relative_path_ignores_state_directory(self, tmp_path: Path) -> None:
        config = load('[veille]\ndatabase = "sqlite:///v.db"\n' + BASE,
                      {"STATE_DIRECTORY": "/var/lib/veille"})
        assert config.veille.database == f"sqlite:///{tmp_path / 'v.db'}"


class TestDurationsAndSizes:
    """Durations and sizes are read the way config.toml's comments say."""

    @pytest.mark.parametrize(("value", "seconds"), [
        ("90s", 90), ("10m", 600), ("1h", 3600), ("2d", 172800), ("1h30m", 5400),
        ("1.5h", 5400), (" 15M ", 900), ("45", 45), (90, 90), (1.5, 1.5), (0, 0), ("0s", 0),
    ])
    def test_durations(self, value: object, seconds: float) -> None:
        assert parse_duration(value) == seconds

    @pytest.mark.parametrize(("value", "message"), [
        ("10 minutes", '"10 minutes" is not a duration; use 90s, 10m, 1h'),
        ("", '"" is not a duration; use 90s, 10m, 1h'),
        ("-5s", '"-5s" is not a duration; use 90s, 10m, 1h'),
        ("1w", '"1w" is not a duration; use 90s, 10m, 1h'),
        (True, "true is not a duration; use 90s, 10m, 1h"),
        (float("inf"), "Infinity is not a duration; use 90s, 10m, 1h"),
        (-1, "-1 is negative; a duration is 0 or more"),
    ])
    def test_not_durations(self, value: object, message: str) -> None:
        with pytest.raises(ValueError) as info:
            parse_duration(value)
        assert str(info.value) == message

    @pytest.mark.parametrize(("value", "size"), [
        ("5MB", 5_000_000), ("500KB", 500_000), ("1MiB", 1_048_576), ("2GiB", 2 * 2**30),
        ("1.5MB", 1_500_000), ("300B", 300), ("300", 300), ("5mb", 5_000_000), (1234, 1234),
    ])
    def test_sizes(self, value: object, size: int) -> None:
        assert parse_size(value) == size

    @pytest.mark.parametrize("value", ["5 megs", "5TB", 0, -1, True, 1.5, "0MB"])
    def test_not_sizes(self, value: object) -> None:
        with pytest.raises(ValueError, match="use 5MB, 500KB, 1MiB or a number of bytes"):
            parse_size(value)

    @pytest.mark.parametrize(("seconds", "text"), [
        (900, "15m"), (5400, "1h30m"), (86400, "1d"), (0, "0s"), (1.5, "1.5s"), (90061, "1d1h1m1s"),
    ])
    def test_format_duration(self, seconds: float, text: str) -> None:
        assert format_duration(seconds) == text
        assert parse_duration(text) == seconds

    def test_in_the_typed_objects(self) -> None:
        config = load('[veille]\ninterval = "1h"\njitter = 0\ntimeout = 20\nmax_size = "1MiB"\n'
                      + BASE.replace('name = "nato-en"', 'name = "nato-en"\ninterval = "90s"'))
        assert (config.veille.interval, config.veille.jitter, config.veille.timeout,
                config.veille.max_size) == (3600.0, 0.0, 20.0, 1_048_576)
        assert config.feed("nato-fr").interval == 3600.0
        assert config.feed("nato-fr").timeout == 20.0
        assert config.feed("nato-en").interval == 90.0


class TestDefaults:
    """Feeds inherit [veille]; the documented defaults hold; the objects are frozen."""

    def test_settings_defaults(self) -> None:
        s = load(BASE, {"TZ": "Asia/Seoul"}).veille
        assert (s.interval, s.jitter, s.timeout, s.max_size, s.first_run) == (
            900.0, 30.0, 30.0, 5_000_000, "baseline")
        assert (s.language, s.failing_after, s.health_notify, s.allow_private) == (
            "en", 3, None, False)
        assert (s.concurrency, s.per_host, s.max_age) == (20, 2, None)
        assert s.timezone == "Asia/Seoul"
        assert s.user_agent == f"veille/{__version__} (+https://github.com/veille)"

    def test_feed_inherits_and_overrides(self) -> None:
        text = ('[veille]\nfirst_run = "notify"\nmax_age = "30d"\ntimezone = "Europe/Brussels"'
                "\n\n" + BASE.replace('name = "nato-en"', 'name = "nato-en"\nfirst_run = '
                                      '"baseline"\ntimezone = "UTC"\nmax_age = "2d"'))
        config = load(text)
        fr, en = config.feed("nato-fr"), config.feed("nato-en")
        assert (fr.first_run, fr.max_age, fr.timezone) == ("notify", 30 * 86400.0,
                                                           "Europe/Brussels")
        assert (en.first_run, en.max_age, en.timezone) == ("baseline", 2 * 86400.0, "UTC")
        assert (fr.follow, fr.follow_interval, fr.follow_for, fr.match_page) == (
            False, 3600.0, 14 * 86400.0, False)

    def test_watch_defaults(self) -> None:
        watch = load(BASE).watches[0]
        assert watch.feeds == ("*",)
        assert watch.on == frozenset({"new", "changed"})
        assert (watch.all, watch.exclude, watch.regex, watch.exact) == ((), (), (), ())
        assert (watch.follow, watch.follow_interval, watch.follow_for, watch.match_page) == (
            None, None, None, None)

    def test_ignore_text_is_compiled_case_insensitive(self) -> None:
        config = load(BASE.replace('name = "nato-fr"', 'name = "nato-fr"\n'
                                   'ignore_text = ["Vu \\\\d+ fois"]'))
        (pattern,) = config.feed("nato-fr").ignore_text
        assert pattern.search("article VU 12 FOIS")

    def test_frozen(self) -> None:
        config = load(BASE.replace('name = "nato-fr"', 'name = "nato-fr"\n'
                                   'headers = { Accept-Language = "fr" }'))
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.veille.interval = 1  # type: ignore[misc]
        with pytest.raises(TypeError):
            config.feed("nato-fr").headers["X"] = "y"  # type: ignore[index]
        with pytest.raises(TypeError):
            config.notifiers["x"] = config.notifiers["screen"]  # type: ignore[index]

    def test_notifier_common_keys_are_not_options(self) -> None:
        config = load(BASE.replace('type = "console"', 'type = "console"\n'
                                   'give_up_after = "2h"\nstream = "stderr"'))
        screen = config.notifiers["screen"]
        assert (screen.type, screen.give_up_after, screen.options) == (
            "console", 7200.0, {"stream": "stderr"})

    def test_digest_kept_as_written(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET", frozenset())
        config = load(BASE.replace('type = "console"', 'type = "console"\n'
                                   'digest = "0 8 * * 1-5"\nmax_per_minute = 10'))
        assert config.notifiers["screen"].digest == "0 8 * * 1-5"
        assert config.notifiers["screen"].max_per_minute == 10

    def test_system_timezone(self, tmp_path: Path) -> None:
        link = tmp_path / "localtime"
        link.symlink_to("/usr/share/zoneinfo/Europe/Brussels")
        assert system_timezone({}, link) == "Europe/Brussels"
        assert system_timezone({"TZ": ":Asia/Seoul"}, link) == "Asia/Seoul"
        assert system_timezone({"TZ": "nowhere"}, tmp_path / "absent") == "UTC"


class TestNotSupportedYet:
    """A key DESIGN fixes but this version lacks is refused, until it leaves the set."""

    def test_present_key_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET",
                            frozenset({"feed.follow", "notifier.digest"}))
        text = BASE.replace('name = "nato-en"', 'name = "nato-en"\nfollow = true').replace(
            'type = "console"', 'type = "console"\ndigest = "1h"')
        assert problems(text) == [
            f"config.toml: feed[2] (nato-en).follow: this key is not supported yet by veille "
            f"{__version__}; remove it",
            f"config.toml: notifier.screen.digest: this key is not supported yet by veille "
            f"{__version__}; remove it"]

    def test_absent_key_is_fine(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET", frozenset({"feed.follow"}))
        assert load(BASE).feed("nato-en").follow is False

    def test_accepted_once_removed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(config_module, "NOT_SUPPORTED_YET", frozenset())
        text = BASE.replace('name = "nato-en"', 'name = "nato-en"\nfollow = "all"\n'
                            'follow_for = "7d"').replace(
            'notify = ["screen"]', 'notify = ["screen"]\nfollow = true\nmatch_page = true')
        config = load(text)
        assert (config.feed("nato-en").follow, config.feed("nato-en").follow_for) == (
            "all", 7 * 86400.0)
        assert (config.watches[0].follow, config.watches[0].match_page) == (True, True)

    def test_every_listed_path_is_a_real_key(self) -> None:
        tables: dict[str, type[BaseModel]] = {
            "veille": config_module._VeilleSchema, "feed": config_module._FeedSchema,
            "watch": config_module._WatchSchema, "notifier": config_module._NotifierSchema}
        for path in NOT_SUPPORTED_YET:
            kind, _, key = path.partition(".")
            assert key in tables[kind].model_fields, path


class TestAppliesTo:
    """A watch applies to a feed by name, by a glob on the name, or by a tag."""

    FEED = FeedConfig(name="nato-fr", url="https://example.org/", tags=("nato", "fr"))

    @pytest.mark.parametrize(("patterns", "applies"), [
        (("nato-fr",), True), (("nato-*",), True), (("*-fr",), True), (("fr",), True),
        (("*",), True), (("nato-en",), False), (("NATO-FR",), False), (("nat",), False),
        (("nato-en", "fr"), True), (("otan-*",), False),
    ])
    def test_patterns(self, patterns: tuple[str, ...], applies: bool) -> None:
        assert WatchConfig(name="w", feeds=patterns).applies_to(self.FEED) is applies

    def test_watches_for(self) -> None:
        text = BASE + '\n[[watch]]\nname = "english"\nfeeds = ["english"]\nnotify = ["screen"]\n'
        config = load(text)
        assert [w.name for w in config.watches_for(config.feed("nato-en"))] == ["korea",
                                                                               "english"]
        assert [w.name for w in config.watches_for(config.feed("nato-fr"))] == ["korea"]
        with pytest.raises(KeyError):
            config.feed("nato-de")


class TestDescribe:
    """`describe()` is a short summary of what was loaded."""

    def test_summary(self, tmp_path: Path) -> None:
        config = load('[veille]\ntimezone = "Europe/Brussels"\n' + BASE)
        assert config.describe().splitlines() == [
            f"{tmp_path / 'config.toml'}: 3 feeds, 1 watch, 1 notifier",
            f"  database: sqlite:///{tmp_path / 'veille.db'}",
            "  polling: every 15m ± 30s, timeout 30s, first run: baseline, "
            "time zone: Europe/Brussels",
            "feeds:",
            "  nato-fr  every 15m  https://www.nato.int/cps/rss/fr/natohq/rssFeed.xsl/rssFeed."
            "xml  tags: nato",
            "  nato-ru  every 15m  https://www.nato.int/cps/rss/ru/natohq/rssFeed.xsl/rssFeed."
            "xml  tags: nato",
            "  nato-en  every 15m  https://www.nato.int/cps/rss/en/natohq/rssFeed.xsl/rssFeed."
            "xml  tags: nato, english",
            "watches:",
            "  korea: 2 keywords; feeds: *; on: new, changed → screen",
            "notifiers:",
            "  screen: console",
        ]
