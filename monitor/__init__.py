"""veille's daemon: config, scheduling, fetch, parse, diff, match, dispatch, CLI."""

__version__ = "0.1.0"
