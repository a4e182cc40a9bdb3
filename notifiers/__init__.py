"""veille's notifiers: the contract every notifier honours, the registry, the built-ins."""

VEILLE_PACKAGE = "veille.notifiers"
