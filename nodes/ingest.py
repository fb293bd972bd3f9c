"""Stage 1, ingest: check the request, load and store the images, settle the required length."""

import uuid

from langgraph.runtime import Runtime

from longwriter_v.graphs.context import WriterContext, settings
from longwriter_v.graphs.state import WriterState
from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.images import ImagePolicy, load_image
from longwriter_v.nodes.llm import document_language
from longwriter_v.nodes.required_length import parse_required_length


def required_length(target_words, instruction: str, default: int) -> tuple[int, str]:
    """Pick the required length: explicit target, else the instruction's, else the default."""
    if target_words is not None:
        if isinstance(target_words, bool) or not isinstance(target_words, int) or target_words < 1:
            raise InputError(
                f"target_words={target_words!r}: give a positive whole number of words"
            )
        return target_words, "explicit"
    if parsed := parse_required_length(instruction):
        return parsed, "instruction"
    return default, "default"


def make_ingest(policy: ImagePolicy):
    """Build the ingest node bound to the image policy of the graph being built."""

    def ingest(state: WriterState, runtime: Runtime[WriterContext]) -> dict:
        ctx = settings(runtime)
        instruction = (state.get("instruction") or "").strip()
        if not instruction:
            raise InputError(
                "instruction is empty: give the writing request as text, e.g. "
                "'Write a 3000-word lecture script for these slides'"
            )
        images = state.get("images") or []
        if isinstance(images, str) or not all(isinstance(s, str) for s in images):
            raise InputError("images must be a list of file paths, http(s) URLs or data URLs")
        refs = [
            load_image(i + 1, src, policy, ctx.max_image_pixels) for i, src in enumerate(images)
        ]
        required, source = required_length(
            state.get("target_words"), instruction, ctx.default_words
        )
        return {
            "instruction": instruction,
            "image_refs": refs,
            "required_words": required,
            "length_source": source,
            "mode": ctx.mode,
            "revise_round": 0,
            "language": document_language(instruction, ctx.language),
            "run_token": uuid.uuid4().hex,
        }

    return ingest
