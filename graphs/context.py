"""Run settings of the writer graph, read by every node through `Runtime[WriterContext]`."""

import os
from dataclasses import dataclass, field, fields
from typing import Literal

from langgraph.runtime import Runtime

from longwriter_v.nodes.images import MAX_IMAGE_PIXELS

DEFAULT_MODEL = "openai:gpt-4o"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(kw_only=True)
class WriterContext:
    """Per-run settings. Environment variables only fill defaults; a value given for a run wins."""

    model: str = field(
        default_factory=lambda: _env("LONGWRITER_V_MODEL", DEFAULT_MODEL),
        metadata={
            "description": "Model spec for every stage without its own: openai:gpt-4o, "
            "openai:<name>@<base_url> (vLLM or any OpenAI-compatible server), "
            "transformers:<hub id or path>."
        },
    )
    caption_model: str | None = field(
        default=None, metadata={"description": "Model spec for image captions (default: model)."}
    )
    outline_model: str | None = field(
        default=None, metadata={"description": "Model spec for the outline (default: model)."}
    )
    writer_model: str | None = field(
        default=None, metadata={"description": "Model spec for writing sections (default: model)."}
    )
    reviser_model: str | None = field(
        default=None,
        metadata={"description": "Model spec for revisions and stitching (default: writer_model)."},
    )
    temperature: float = field(
        default=0.6, metadata={"description": "Sampling temperature for writing and revising."}
    )
    max_tokens: int = field(
        default=8192, metadata={"description": "Most new tokens one model call may generate."}
    )
    mode: Literal["sequential", "parallel"] = field(
        default="sequential",
        metadata={
            "description": "sequential: each section sees all text so far (as in the "
            "paper); parallel: sections are written at once, then stitched."
        },
    )
    concurrency: int = field(
        default=4, metadata={"description": "Most sections written or revised at once."}
    )
    tolerance: float = field(
        default=0.2,
        metadata={
            "description": "A section is revised when its word count misses "
            "its budget by more than this fraction."
        },
    )
    max_revise_rounds: int = field(
        default=2, metadata={"description": "Most rounds of revision (0 turns revision off)."}
    )
    default_words: int = field(
        default=2000,
        metadata={
            "description": "Required length when neither target_words nor "
            "the instruction gives one."
        },
    )
    language: Literal["auto", "en", "zh"] = field(
        default="auto",
        metadata={"description": "Language of the document; auto follows the instruction."},
    )
    prompt_style: Literal["default", "longwriter_v"] = field(
        default="default",
        metadata={
            "description": "default: structured outline and our prompts; "
            "longwriter_v: the paper's plan-then-write text contract."
        },
    )
    skip_captions: bool = field(
        default=False, metadata={"description": "Skip captioning; writers see the images only."}
    )
    review_outline: bool = field(
        default=False,
        metadata={
            "description": "Pause after the outline for a human to approve, edit or comment on it."
        },
    )
    max_image_pixels: int = field(
        default=MAX_IMAGE_PIXELS,
        metadata={
            "description": "Images are downscaled to at most this many "
            "pixels (the public LongWriter-V inference used 1048576)."
        },
    )
    request_timeout_s: float = field(
        default=600.0, metadata={"description": "Timeout of one model request, in seconds."}
    )
    max_retries: int = field(
        default=2,
        metadata={
            "description": "Client-level retries of one request (honouring "
            "Retry-After); the node's RetryPolicy retries after that."
        },
    )

    def model_for(self, stage: Literal["caption", "outline", "writer", "reviser"]) -> str:
        """Return the model spec a stage uses."""
        chosen = {
            "caption": self.caption_model,
            "outline": self.outline_model,
            "writer": self.writer_model,
            "reviser": self.reviser_model or self.writer_model,
        }[stage]
        return chosen or self.model

    @classmethod
    def from_dict(cls, values: dict) -> "WriterContext":
        """Build a context from a dict, rejecting unknown keys by name."""
        known = {f.name for f in fields(cls)}
        if unknown := set(values) - known:
            raise ValueError(f"unknown context keys {sorted(unknown)}; valid: {sorted(known)}")
        return cls(**values)


def settings(runtime: Runtime[WriterContext]) -> WriterContext:
    """Return the run's context, or the defaults when the caller passed none."""
    ctx = runtime.context
    if ctx is None:
        return WriterContext()
    return WriterContext.from_dict(ctx) if isinstance(ctx, dict) else ctx
