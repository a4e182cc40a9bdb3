"""Third-party notifiers: a real plugin package, built as a wheel and installed with pip, is found
through the `veille.notifiers` entry points by `veille validate` and `veille check`.

The plugin lives in tests/data/plugin (`veille-pigeon`: appends each alert to a file as JSON). Its
wheel is written here by hand (PEP 427), because setuptools would need the `wheel` package to build
it, and installed with `pip install --no-deps --target`, exactly as pip installs any wheel.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import FeedServer

import monitor
from monitor.cli import main
from monitor.config import load_config
from notifiers import registry
from notifiers.base import COMMON_KEYS, DigestNotifier, Notifier, NotifierFactory
from notifiers.console import ConsoleNotifier

PLUGIN_SOURCE = Path(__file__).parent / "data" / "plugin"
FEED = Path(__file__).parent / "data" / "feeds" / "nato-fr-rss.xml"
REPO = Path(monitor.__file__).resolve().parents[1]
RING = "pigeon-ring-0123456789abcdef"


def build_wheel(source: Path, out: Path) -> Path:
    """A py3-none-any wheel of the project at `source`, from its pyproject.toml."""
    project = tomllib.loads((source / "pyproject.toml").read_text("utf-8"))
    meta, packages = project["project"], project["tool"]["setuptools"]["packages"]
    dist = re.sub(r"[-_.]+", "_", meta["name"])
    info = f"{dist}-{meta['version']}.dist-info"
    files = {path.relative_to(source).as_posix(): path.read_bytes()
             for package in packages for path in sorted((source / package).rglob("*.py"))}
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {meta['name']}\n"
                                 f"Version: {meta['version']}\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: veille-tests\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    groups = meta["entry-points"]
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in groups.items()).encode()
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = out / f"{dist}-{meta['version']}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where pip installed the veille-pigeon wheel (and nothing else)."""
    root = tmp_path_factory.mktemp("plugin")
    wheel = build_wheel(PLUGIN_SOURCE, root)
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--isolated", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--no-compile", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=120)
    return site


@pytest.fixture
def plugin_on_path(plugin_site: Path, monkeypatch: pytest.MonkeyPatch,
                   tmp_path: Path) -> Iterator[Path]:
    """This process sees the installed plugin, as PYTHONPATH would show it; runs in tmp_path."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.chdir(tmp_path)
    yield plugin_site
    for module in [m for m in sys.modules if m.split(".")[0] == "veille_pigeon"]:
        del sys.modules[module]


def write_config(directory: Path, feed_url: str, notifiers: str) -> Path:
    """A config with one feed, one watch ("korea") routed to `loft` and `screen`, and
    `notifiers` (TOML tables)."""
    path = directory / "config.toml"
    path.write_text(textwrap.dedent(f"""\
        [veille]
        database = "sqlite:///veille.db"
        first_run = "notify"
        timezone = "Europe/Brussels"

        [[feed]]
        name = "nato-fr"
        url = "{feed_url}"

        [[watch]]
        name = "korea"
        keywords = ["République de Corée"]
        notify = ["loft", "screen"]
        """) + textwrap.dedent(notifiers), encoding="utf-8")
    return path


def pigeon_tables(directory: Path) -> str:
    return f"""
        [notifier.loft]
        type = "pigeon"
        path = "{directory / 'alerts.jsonl'}"
        ring = "${{PIGEON_RING}}"

        [notifier.screen]
        type = "console"
        """


class TestInstalledPluginDelivers:
    """`veille check` in a fresh process loads an installed plugin and delivers alerts to it."""

    def test_check_sends_the_alert_through_the_plugin(
        self, plugin_site: Path, tmp_path: Path, feed_server: FeedServer
    ) -> None:
        feed_server.set("/nato-fr.xml", FEED.read_bytes(),
                        headers={"Content-Type": "application/rss+xml; charset=utf-8"})
        config = write_config(tmp_path, feed_server.url("/nato-fr.xml"), pigeon_tables(tmp_path))
        env = os.environ | {"PIGEON_RING": RING, "VEILLE_CONFIG": "",
                            "PYTHONPATH": os.pathsep.join([str(plugin_site), str(REPO)])}
        done = subprocess.run([sys.executable, "-m", "monitor", "-c", str(config), "check"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

        lines = (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        assert records, "the plugin received no alert"
        for record in records:
            alert = record["alert"]
            assert record["notifier"] == "loft"
            assert alert["type"] == "item.new"
            assert alert["feed"]["name"] == "nato-fr"
            assert alert["watches"] == ["korea"]
            assert alert["matched"] == ["République de Corée"]
            signed = json.dumps(alert, ensure_ascii=False, sort_keys=True).encode()
            expected = hmac.new(RING.encode(), signed, hashlib.sha256).hexdigest()
            assert record["signature"] == expected
        titles = [r["alert"]["item"]["title"] for r in records]
        assert titles[0].startswith("Entretiens de travail entre les États-majors")
        assert len(set(titles)) == len(titles)
        assert done.stdout.count("→ loft: sent") == len(records)
        # The built-in console notifier printed the same alerts: the impostor was not used.
        assert done.stdout.count("→ screen: sent") == len(records)
        assert f"New: {titles[0]}" in done.stdout
        assert RING not in done.stdout + done.stderr


class TestRegistry:
    """The registry finds installed plugins by entry point and keeps built-ins first."""

    def test_plugin_type_resolves_to_its_class(self, plugin_on_path: Path) -> None:
        factory = registry.get("pigeon")
        assert factory.__module__ == "veille_pigeon"
        assert factory.__name__ == "PigeonNotifier"  # type: ignore[attr-defined]
        assert registry.available_types() == [
            "console", "email", "webhook", "apprise", "pigeon", "broken"]

    def test_builtin_wins_over_a_plugin_of_the_same_name(self, plugin_on_path: Path) -> None:
        assert registry.get("console") is ConsoleNotifier  # type: ignore[comparison-overlap]
        assert "veille_pigeon.impostor" not in sys.modules

    def test_plugin_secret_keys_are_never_shown(self, plugin_on_path: Path,
                                                tmp_path: Path) -> None:
        path = write_config(tmp_path, "https://www.nato.int/rss.xml", pigeon_tables(tmp_path))
        config = load_config(path, {"PIGEON_RING": RING})
        assert config.notifiers["loft"].type == "pigeon"
        assert config.notifiers["loft"].redacted["ring"] == "***"
        assert RING not in config.redact(f"signing with {RING}")


class TestValidate:
    """`veille validate` checks a plugin's options like a built-in's, naming each key path."""

    def run(self, capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, str, str]:
        code = main(["-c", config.name, "validate"])  # run in its directory
        out, err = capsys.readouterr()
        return code, out, err

    def test_valid_plugin_config(self, plugin_on_path: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PIGEON_RING", RING)
        config = write_config(tmp_path, "https://www.nato.int/rss.xml", pigeon_tables(tmp_path))
        code, out, err = self.run(capsys, config)
        assert (code, err) == (0, "")
        assert "  loft: pigeon" in out.splitlines()
        assert RING not in out

    def test_every_option_problem_with_its_key_path(
        self, plugin_on_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        config = write_config(tmp_path, "https://www.nato.int/rss.xml", """
            [notifier.loft]
            type = "pigeon"
            ring = "short"
            colour = "grey"

            [notifier.screen]
            type = "console"
            """)
        code, out, err = self.run(capsys, config)
        assert code == 2
        assert err.splitlines() == [
            "config.toml: notifier.loft.colour: unknown option; known: path, ring",
            "config.toml: notifier.loft.path: is required: the file that receives the alerts",
            "config.toml: notifier.loft.ring: must be a key of at least 16 characters",
        ]

    def test_unknown_type_names_the_known_types(
        self, plugin_on_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        config = write_config(tmp_path, "https://www.nato.int/rss.xml", """
            [notifier.loft]
            type = "carrier-pigeon"

            [notifier.screen]
            type = "console"
            """)
        code, out, err = self.run(capsys, config)
        assert code == 2
        assert err.splitlines() == [
            "config.toml: notifier.loft.type: unknown notifier type 'carrier-pigeon'; known: "
            "console, email, webhook, apprise, pigeon, broken"]

    def test_a_plugin_that_cannot_load_is_a_config_problem(
        self, plugin_on_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        config = write_config(tmp_path, "https://www.nato.int/rss.xml", """
            [notifier.loft]
            type = "broken"

            [notifier.screen]
            type = "console"
            """)
        code, out, err = self.run(capsys, config)
        assert code == 2
        assert err.splitlines() == [
            "config.toml: notifier.loft.type: the 'broken' notifier plugin "
            "(veille_pigeon:NoSuchNotifier, from veille-pigeon 0.1.0) cannot be loaded: "
            "AttributeError: module 'veille_pigeon' has no attribute 'NoSuchNotifier'"]


class TestPluginDocs:
    """docs/plugins.md documents every member of the contract a plugin implements."""

    def test_every_member_and_common_key_is_documented(self) -> None:
        text = (REPO / "docs" / "plugins.md").read_text("utf-8")
        contract = {name for protocol in (Notifier, DigestNotifier, NotifierFactory)
                    for name in [*vars(protocol), *protocol.__annotations__]
                    if not name.startswith("_")}
        assert contract >= {"type_name", "secret_keys", "from_options", "name", "send", "close",
                            "send_digest"}
        members = contract | set(COMMON_KEYS) | {
            "NotifierConfigError", "TransientError", "PermanentError", "retry_after",
            registry.ENTRY_POINT_GROUP}
        assert {m for m in members if f"`{m}" not in text} == set()
