"""Open the checkpointer a `--db` value names: a SQLite file, or Postgres by connection string."""

from contextlib import asynccontextmanager
from pathlib import Path


def is_postgres(db: str) -> bool:
    return db.startswith(("postgres://", "postgresql://"))


@asynccontextmanager
async def open_checkpointer(db: str):
    """Yield an async checkpointer for `db`, creating its tables on first use."""
    if is_postgres(db):
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError as e:
            raise SystemExit(
                "Postgres checkpoints need: pip install 'longwriter-v[postgres]'"
            ) from e
        async with AsyncPostgresSaver.from_conn_string(db) as saver:
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(str(Path(db).expanduser())) as saver:
        yield saver
