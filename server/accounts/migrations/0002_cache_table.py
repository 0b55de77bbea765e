"""The database cache table of the embedded default (CACHES falls back to dbcache://skinscreen_cache):
throttle counters and login lockouts are shared by every process without a cache service."""

from typing import Any

from django.db import migrations

TABLE = "skinscreen_cache"


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)  # no-op when it exists


def drop_cache_table(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, drop_cache_table, elidable=False)]
