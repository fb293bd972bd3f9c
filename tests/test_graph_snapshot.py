"""The writer's structure as mermaid: an edge change shows as a diff of the snapshot file."""

import os
from pathlib import Path

from longwriter_v.graphs.writer import graph

SNAPSHOT = Path(__file__).parent / "snapshots" / "writer.mmd"


def test_writer_structure_matches_snapshot():
    drawn = graph.get_graph().draw_mermaid()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(drawn)
    assert drawn == SNAPSHOT.read_text(), (
        "graph changed: rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    )
