"""Edits of config.toml by veille's own commands (`feeds add`, `feeds pause`, `import opml`, …)
that keep the file's comments and layout (tomlkit round-trips what it does not touch).

An edit is validated as a whole new config, by the normal loader, before anything is written;
then it replaces the file atomically (a temporary file beside it, renamed over it), with the
file's mode kept. A config that does not validate leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from monitor.config import Config, load_config
from monitor.errors import ConfigError
from monitor.usage import UsageError


class EditError(UsageError):
    """An edit cannot be made as asked (no such feed, a name taken); exit 2."""


class ConfigEdit:
    """config.toml read for editing; `save()` validates and writes it."""

    def __init__(self, path: Path, environ: Mapping[str, str] | None = None) -> None:
        self.path = path
        self.environ = environ
        try:
            self.original = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from None
        try:
            self.doc: TOMLDocument = tomlkit.parse(self.original)
        except tomlkit.exceptions.ParseError:
            load_config(path, environ)  # the loader words the syntax error
            raise
        self.changed = False

    # -- feeds -------------------------------------------------------------------------
    def feed_tables(self) -> list[Table]:
        """The `[[feed]]` tables in file order."""
        tables = self.doc.get("feed")
        return list(tables) if isinstance(tables, AoT | list) else []

    def feed(self, name: str) -> Table:
        """The `[[feed]]` table named `name`; EditError naming the known ones if none is."""
        for table in self.feed_tables():
            if table.get("name") == name:
                return table
        known = ", ".join(str(t.get("name")) for t in self.feed_tables()) or "none"
        raise EditError(f"no feed named {name!r} in {self.path}; known: {known}")

    def names(self) -> set[str]:
        return {str(t.get("name")) for t in self.feed_tables()}

    def add_feed(self, values: Mapping[str, Any]) -> None:
        """Append a `[[feed]]` table after the last one (or at the end of the file)."""
        table = tomlkit.table()
        for key, value in values.items():
            table.add(key, value)
        table.add(tomlkit.nl())
        tables = self.doc.get("feed")
        if isinstance(tables, AoT):
            tables.append(table)
        else:
            self.doc.append("feed", tomlkit.aot())
            self.doc["feed"].append(table)
        self.changed = True

    def remove_feed(self, name: str) -> None:
        tables = self.doc.get("feed")
        target = self.feed(name)
        assert isinstance(tables, AoT)
        index = next(i for i, t in enumerate(tables) if t is target)
        del tables[index]
        self.changed = True

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Pause or resume a feed; False when it already was so. Resuming drops the key
        (true is the default), so that pause then resume gives back the file as it was."""
        table = self.feed(name)
        if bool(table.get("enabled", True)) == enabled:
            return False
        if enabled:
            del table["enabled"]
        else:
            table["enabled"] = False
        self.changed = True
        return True

    # -- writing -----------------------------------------------------------------------
    def text(self) -> str:
        return tomlkit.dumps(self.doc)

    def check(self) -> Config:
        """The config the edited file would give, validated; nothing is written."""
        with _beside(self.path, self.text()) as temp:
            return self._load(temp)

    def save(self) -> Config:
        """Validate the edited file as a whole config, then write it atomically; returns the
        new config. ConfigError (worded for the real file) when it does not validate."""
        target = self.path.resolve()  # a symlinked config.toml stays a symlink
        with _beside(target, self.text()) as temp:
            config = self._load(temp)
            _keep_mode(target, temp)
            os.replace(temp, target)
        return config

    def _load(self, temp: Path) -> Config:
        try:
            config = load_config(temp, self.environ)
        except ConfigError as exc:
            raise ConfigError([p.replace(str(temp.absolute()), str(self.path))
                               .replace(str(temp), str(self.path))
                               for p in exc.problems]) from None
        return replace(config, path=self.path.absolute())


@contextlib.contextmanager
def _beside(path: Path, text: str) -> Iterator[Path]:
    """A temporary file holding `text` in `path`'s folder (relative paths in it mean the
    same), removed unless it was renamed into place."""
    folder = path.absolute().parent
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def _keep_mode(original: Path, temp: Path) -> None:
    with contextlib.suppress(OSError):
        os.chmod(temp, stat.S_IMODE(original.stat().st_mode))
