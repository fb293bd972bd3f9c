"""LongWriter-Agent-V as a graph: ingest, caption, outline, write, check, revise, assemble.

`graph` at the bottom is what `langgraph.json` serves and what other agents embed as a
subgraph: it has no checkpointer of its own, so the parent's (or the server's) applies.
"""

from typing import Literal

from langgraph.cache.base import BaseCache
from langgraph.cache.memory import InMemoryCache
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, Send, TimeoutPolicy

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import WriterInput, WriterOutput, WriterState
from longwriter_v.models.retry import model_retry_policy
from longwriter_v.nodes.assemble import assemble
from longwriter_v.nodes.caption import CAPTION_CACHE, caption, route_captions
from longwriter_v.nodes.images import ImagePolicy
from longwriter_v.nodes.ingest import make_ingest
from longwriter_v.nodes.length import length_check
from longwriter_v.nodes.outline import outline
from longwriter_v.nodes.review import review_outline
from longwriter_v.nodes.revise import revise, route_revisions
from longwriter_v.nodes.stitch import stitch
from longwriter_v.nodes.write import after_write_section, route_writers, write_part, write_section

MODEL_NODE_TIMEOUT_S = 1800.0


def route_after_outline(
    state: WriterState, runtime: Runtime[WriterContext]
) -> list[Send] | Literal["review_outline", "write_section"]:
    """Pause for a human when asked to, else start writing."""
    return "review_outline" if settings(runtime).review_outline else route_writers(state)


def build_writer(
    image_policy: ImagePolicy | None = None,
    retry: RetryPolicy | None = None,
    timeout_s: float = MODEL_NODE_TIMEOUT_S,
) -> StateGraph:
    """Wire the writer graph (uncompiled), binding the image policy and the model-node policies."""
    retry = retry or model_retry_policy()
    timeout = TimeoutPolicy(run_timeout=timeout_s)
    model_node = {"retry_policy": retry, "timeout": timeout}
    g = StateGraph(
        WriterState,
        context_schema=WriterContext,
        input_schema=WriterInput,
        output_schema=WriterOutput,
    )
    g.add_node("ingest", make_ingest(image_policy or ImagePolicy.from_env()))
    g.add_node("caption", caption, cache_policy=CAPTION_CACHE, **model_node)
    g.add_node("outline", outline, **model_node)
    g.add_node("review_outline", review_outline)
    g.add_node("write_section", write_section, **model_node)
    g.add_node("write_part", write_part, **model_node)
    g.add_node("stitch", stitch, **model_node)
    g.add_node("length_check", length_check)
    g.add_node("revise", revise, **model_node)
    g.add_node("assemble", assemble)

    g.add_edge(START, "ingest")
    g.add_conditional_edges("ingest", route_captions, ["caption", "outline"])
    g.add_edge("caption", "outline")
    g.add_conditional_edges(
        "outline", route_after_outline, ["review_outline", "write_section", "write_part"]
    )
    g.add_conditional_edges("write_section", after_write_section, ["write_section", "length_check"])
    g.add_edge("write_part", "stitch")
    g.add_edge("stitch", "length_check")
    g.add_conditional_edges("length_check", route_revisions, ["revise", "assemble"])
    g.add_edge("revise", "length_check")
    g.add_edge("assemble", END)
    return g


def compile_writer(
    checkpointer: BaseCheckpointSaver | None = None,
    cache: BaseCache | None = None,
    image_policy: ImagePolicy | None = None,
    retry: RetryPolicy | None = None,
):
    """Compile the writer with a checkpointer (for resumable runs) and a caption cache."""
    builder = build_writer(image_policy=image_policy, retry=retry)
    return builder.compile(checkpointer=checkpointer, cache=cache, name="longwriter-v")


graph = compile_writer(cache=InMemoryCache())
