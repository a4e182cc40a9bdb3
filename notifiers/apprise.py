"""The apprise notifier: each alert to every URL of `urls`, through the `apprise` package.

apprise (the `veille[apprise]` extra) reaches about a hundred services from URLs such as
`tgram://…`, `mailtos://…` or `json://host/path`. Every URL is a secret — services keep their
tokens anywhere in it, even where a host would be — so messages name a URL by its position
and scheme only: `urls[1] (tgram://…)`. apprise only says "sent" or "not sent", so a failure
is a TransientError; URLs that already took an alert are skipped when this process retries it.
"""

from __future__ import annotations

import logging
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any, ClassVar

from notifiers.base import COMMON_KEYS, Alert, NotifierConfigError, TransientError
from notifiers.chatformats import neutralise_markup, neutralise_mentions, plain_text
from notifiers.render import cap, one_line
from notifiers.view import build_view

INSTALL_HINT = "the apprise package is not installed: pip install 'veille[apprise]'"
NOTIFY_TYPES = {"feed.failing": "failure", "feed.recovered": "success",  # others: "info"
                "notifier.failing": "failure", "notifier.recovered": "success"}
REMEMBERED_ALERTS = 1000


def _import_apprise() -> ModuleType:
    # apprise's plugins import modules deprecated in Python 3.11 (imghdr): that is apprise's
    # business, and must not turn into an error where warnings are errors (the tests).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise
    return apprise


@contextmanager
def _silenced(logger_name: str) -> Iterator[None]:
    """No log from `logger_name` meanwhile: apprise logs a URL it rejects, token and all."""
    logger = logging.getLogger(logger_name)
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def describe(index: int, url: str) -> str:
    """How a URL may be named: `urls[1] (tgram://…)` — its position and scheme, no more."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"urls[{index}] ({cap(one_line(scheme), 20)}://…)"


def message(alert: Alert) -> tuple[str, str]:
    """The title and plain-text body apprise sends for `alert`, mentions neutralised: apprise
    hands them to services that each read their own syntax (`@here`, `<!channel>`, `<at>`)."""
    v = build_view(alert)
    return (neutralise_markup(neutralise_mentions(v.headline)),
            neutralise_markup(neutralise_mentions(plain_text(v))))


class AppriseNotifier:
    """Sends each alert, as a title and plain text, to every apprise URL configured."""

    type_name: ClassVar[str] = "apprise"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"urls"})

    def __init__(self, name: str, targets: list[tuple[str, Any]]) -> None:
        self.name = name
        self._targets = targets  # (description, apprise.Apprise holding one URL)
        self._delivered: OrderedDict[str, set[int]] = OrderedDict()

    def __repr__(self) -> str:
        return f"AppriseNotifier(name={self.name!r}, urls={[d for d, _ in self._targets]!r})"

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> AppriseNotifier:
        """Validate `urls` (a non-empty list of apprise URLs) and load each in apprise."""
        problems: list[tuple[str, str]] = []
        for key in options:
            if key in ("template", "subject"):
                problems.append((key, "not supported for apprise yet"))
            elif key != "urls" and key not in COMMON_KEYS:
                problems.append((key, "unknown option for apprise; known: urls"))
        urls = options.get("urls")
        if not isinstance(urls, list) or not urls:
            problems.append(("urls", "required: a non-empty list of apprise URLs"))
            urls = []
        for i, url in enumerate(urls):
            if not isinstance(url, str) or not url.strip():
                problems.append((f"urls[{i}]", "must be a non-empty string"))
        if problems:
            raise NotifierConfigError(problems)
        try:
            apprise = _import_apprise()
        except ImportError:
            raise NotifierConfigError([("type", INSTALL_HINT)]) from None
        for logger_name in ("apprise", "urllib3"):  # at DEBUG both print request URLs
            logger = logging.getLogger(logger_name)
            if logger.level < logging.WARNING:
                logger.setLevel(logging.WARNING)
        targets: list[tuple[str, Any]] = []
        for i, url in enumerate(urls):
            asset = apprise.AppriseAsset(storage_mode="memory")  # nothing written to disk
            target = apprise.Apprise(asset=asset)
            with warnings.catch_warnings(), _silenced("apprise"):
                warnings.simplefilter("ignore", DeprecationWarning)
                accepted = target.add(url.strip())
            if not accepted:
                problems.append((f"urls[{i}]", "apprise does not accept this URL: check its"
                                 f" scheme and parts ({describe(i, url)})"))
            targets.append((describe(i, url), target))
        if problems:
            raise NotifierConfigError(problems)
        return cls(name, targets)

    def send(self, alert: Alert) -> None:
        """Notify every URL that has not taken `alert` yet; TransientError if any refused."""
        title, body = message(alert)
        done = self._delivered.setdefault(alert.id, set())
        self._delivered.move_to_end(alert.id)
        while len(self._delivered) > REMEMBERED_ALERTS:
            self._delivered.popitem(last=False)
        failed = []
        for i, (description, target) in enumerate(self._targets):
            if i in done:
                continue
            try:
                sent = bool(target.notify(body=body, title=title, body_format="text",
                                          notify_type=NOTIFY_TYPES.get(alert.type, "info")))
            except Exception as exc:  # a plugin's bug is one more way of "not sent"
                failed.append(f"{description}: {type(exc).__name__}")
                continue
            if sent:
                done.add(i)
            else:
                failed.append(description)
        if failed:
            raise TransientError(f"apprise could not deliver to {', '.join(failed)}"
                                 f" ({len(failed)} of {len(self._targets)} URLs)")
        self._delivered.pop(alert.id, None)

    def close(self) -> None:
        """Nothing to release: apprise opens a connection per notification."""
        self._delivered.clear()
