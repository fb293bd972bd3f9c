"""Finished writer runs, read back from a checkpointer or a JSONL of final states."""

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from longwriter_v.graphs.writer import compile_writer


@dataclass
class Trace:
    """What dataset export needs from one finished run."""

    id: str
    instruction: str
    images: list[dict]  # the run's ImageRefs, in order (1-based `index`)
    outline: list[dict]
    sections: list[dict]
    revisions: list[dict]
    document: str
    report: dict
    models: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, trace_id: str, state: dict) -> "Trace | None":
        """The trace of a final state; None while the run has not finished."""
        if not state.get("document") or not state.get("report"):
            return None
        return cls(
            id=trace_id,
            instruction=state["instruction"],
            images=list(state.get("image_refs") or []),
            outline=list(state.get("outline") or []),
            sections=list(state.get("sections") or []),
            revisions=list(state.get("revisions") or []),
            document=state["document"],
            report=state["report"],
            models=sorted({row["model"] for row in state["report"]["usage"]["rows"]}),
        )


def from_jsonl(path: Path) -> Iterator[tuple[str, dict]]:
    """(id, state) per line of a JSONL of final writer states; the id is `thread_id` or the line."""
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                state = json.loads(line)
                yield str(state.get("thread_id", f"{path.name}:{number}")), state


def from_checkpointer(db: str) -> Iterator[tuple[str, dict]]:
    """(thread id, latest state) for every writer thread in a SQLite file or Postgres database."""
    postgres = db.startswith(("postgres://", "postgresql://"))
    if not postgres and not Path(db).is_file():
        raise FileNotFoundError(f"no checkpoint database at {db}; give the --db a run wrote")
    return _postgres_states(db) if postgres else _sqlite_states(db)


def _postgres_states(db: str) -> Iterator[tuple[str, dict]]:
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(db) as saver:
        with saver.conn.cursor() as cursor:
            cursor.execute(THREADS)
            threads = [row["thread_id"] for row in cursor.fetchall()]
        yield from _states(saver, threads)


def _sqlite_states(db: str) -> Iterator[tuple[str, dict]]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(db, check_same_thread=False)
    try:
        threads = [row[0] for row in conn.execute(THREADS)]
        yield from _states(SqliteSaver(conn), threads)
    finally:
        conn.close()


# Thread ids are read from LangGraph's own checkpoint table; states through the graph itself.
THREADS = "SELECT DISTINCT thread_id FROM checkpoints WHERE checkpoint_ns = '' ORDER BY thread_id"


def _states(saver, threads: list[str]) -> Iterator[tuple[str, dict]]:
    graph = compile_writer(checkpointer=saver)
    for thread in threads:
        yield thread, graph.get_state({"configurable": {"thread_id": thread}}).values


def read_states(db: str | None = None, states: Path | None = None) -> Iterator[tuple[str, dict]]:
    """(id, state) of every run in a checkpoint database or a JSONL of final states."""
    if db:
        return from_checkpointer(db)
    if not Path(states).is_file():
        raise FileNotFoundError(f"no states file at {states}; give a JSONL of final states")
    return from_jsonl(Path(states))
