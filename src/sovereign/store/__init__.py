"""PostgreSQL: the embedded server, the connection pool, migrations. The only module that knows the URL."""

from sovereign.store.database import Database, DatabaseUnavailable, create_pool, open_database, resolve_url

__all__ = ["Database", "DatabaseUnavailable", "create_pool", "open_database", "resolve_url"]
