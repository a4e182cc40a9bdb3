"""veille's storage: SQLAlchemy models, migrations and the queries of each step."""

VEILLE_PACKAGE = "veille.storage"
