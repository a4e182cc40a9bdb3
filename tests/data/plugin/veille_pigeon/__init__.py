"""veille-pigeon: a third-party veille notifier that appends each alert to a file as one line of
JSON (the webhook `json` body), optionally signed, for a log shipper or a test to read.

    [notifier.loft]
    type = "pigeon"
    path = "/var/lib/veille/alerts.jsonl"
    ring = "${PIGEON_RING}"      # optional: HMAC-SHA256 key; each line gets a "signature"
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from notifiers.base import Alert, NotifierConfigError, PermanentError, TransientError

OPTIONS = ("path", "ring")


class PigeonNotifier:
    """Appends each alert to `path` as one JSON line: {"notifier", "alert"[, "signature"]}."""

    type_name: ClassVar[str] = "pigeon"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"ring"})  # never shown by veille

    def __init__(self, name: str, path: Path, ring: str | None = None) -> None:
        self.name = name
        self.path = path
        self.ring = ring

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> PigeonNotifier:
        """Check every option and build; NotifierConfigError lists each problem with its key."""
        problems: list[tuple[str, str]] = []
        for key in options:
            if key not in OPTIONS:
                problems.append((key, f"unknown option; known: {', '.join(OPTIONS)}"))
        path = options.get("path")
        if path is None:
            problems.append(("path", "is required: the file that receives the alerts"))
        elif not isinstance(path, str) or not path.strip():
            problems.append(("path", f"must be a file path, not {path!r}"))
        elif not Path(path).parent.is_dir():
            problems.append(("path", f"the directory {Path(path).parent} does not exist"))
        ring = options.get("ring")
        if ring is not None and (not isinstance(ring, str) or len(ring) < 16):
            problems.append(("ring", "must be a key of at least 16 characters"))
        if problems:
            raise NotifierConfigError(problems)
        return cls(name, Path(str(path)), ring)

    def send(self, alert: Alert) -> None:
        """Append `alert`; a full disk or a permission error is worth retrying later."""
        body = alert.to_json()
        record: dict[str, Any] = {"notifier": self.name, "alert": body}
        if self.ring is not None:
            signed = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
            record["signature"] = hmac.new(self.ring.encode(), signed, hashlib.sha256).hexdigest()
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
        except IsADirectoryError as exc:  # retrying will not turn it into a file
            raise PermanentError(f"{self.path} is a directory, not a file") from exc
        except OSError as exc:
            raise TransientError(f"cannot append to {self.path}: {exc.strerror}") from exc

    def close(self) -> None:
        """Nothing to release: the file is opened for each alert."""
