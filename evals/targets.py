"""What an evaluation generates with: a model called directly (`vlm`), captions read by a text
model (`caption_llm`), or the writer graph (`writer`)."""

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from langchain_core.messages import HumanMessage
from langgraph.cache.sqlite import SqliteCache
from langgraph.store.base import BaseStore

from longwriter_v.evals.data import Example, image_cache_dir
from longwriter_v.graphs.context import WriterContext
from longwriter_v.graphs.writer import compile_writer
from longwriter_v.models.factory import ModelOptions, create_chat_model
from longwriter_v.nodes import prompts
from longwriter_v.nodes.caption import CAPTION_MAX_TOKENS
from longwriter_v.nodes.images import MAX_IMAGE_PIXELS, ImagePolicy, ImageRef, load_image
from longwriter_v.nodes.llm import language_rule, messages, usage

Method = Literal["vlm", "caption_llm", "writer"]

CAPTIONED_REQUEST = (
    "{question}\n\nThis request refers to {count} images that you cannot see. "
    "Here is what each one shows:\n\n{captions}"
)


@dataclass(frozen=True)
class Target:
    """The thing under test and its generation settings, resolved by `EvalContext.target_for`."""

    spec: str
    method: Method
    caption_model: str
    writer_context: dict
    temperature: float
    top_p: float
    max_tokens: int

    def options(self) -> ModelOptions:
        return ModelOptions(
            temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens
        )


def image_policy() -> ImagePolicy:
    return ImagePolicy(allowed_dirs=(image_cache_dir().resolve(),))


async def image_refs(files: list[str]) -> list[ImageRef]:
    """Load a benchmark example's cached images, downscaled as the models receive them."""
    policy = image_policy()
    return await asyncio.to_thread(
        lambda: [load_image(i + 1, f, policy, MAX_IMAGE_PIXELS) for i, f in enumerate(files)]
    )


async def vlm(example: Example, target: Target) -> tuple[str, list[dict]]:
    """The paper's `vlm` method: the model gets the question and the images, nothing else."""
    model = create_chat_model(target.spec, target.options())
    refs = await image_refs(example["images"])
    reply = await model.ainvoke(messages("", example["question"], refs))
    return reply.text, [usage(reply, "generate", target.spec)]


_CAPTIONING: dict[tuple, asyncio.Task] = {}


async def caption(
    ref: ImageRef, spec: str, language: str, store: BaseStore
) -> tuple[str, list[dict]]:
    """Caption one image, once per image, model and language across all runs; examples that
    share an image while it is being captioned wait for that one call."""
    namespace, key = ("eval", "captions", spec), f"{ref['sha256']}-{language}"
    if stored := await store.aget(namespace, key):
        return stored.value["text"], []
    flight = (id(store), spec, key)
    if flight in _CAPTIONING:
        text, _ = await asyncio.shield(_CAPTIONING[flight])
        return text, []
    _CAPTIONING[flight] = asyncio.ensure_future(_caption_call(ref, spec, language))
    try:
        text, records = await _CAPTIONING[flight]
    finally:
        _CAPTIONING.pop(flight, None)
    await store.aput(namespace, key, {"text": text})
    return text, records


async def _caption_call(ref: ImageRef, spec: str, language: str) -> tuple[str, list[dict]]:
    model = create_chat_model(spec, ModelOptions(max_tokens=CAPTION_MAX_TOKENS))
    prompt = messages(
        prompts.CAPTION_SYSTEM.format(language_rule=language_rule(language)),
        prompts.CAPTION_USER.format(index=ref["index"]),
        [ref],
    )
    reply = await model.ainvoke(prompt)
    return reply.text.strip(), [usage(reply, "caption", spec)]


async def caption_llm(example: Example, target: Target, store: BaseStore) -> tuple[str, list[dict]]:
    """The paper's `caption_llm` method: one model captions, `target` writes from text alone."""
    refs = await image_refs(example["images"])
    captioned = await asyncio.gather(
        *(caption(r, target.caption_model, example["language"], store) for r in refs)
    )
    request = example["question"]
    if refs:
        captions = "\n\n".join(
            f"Image {r['index']}: {text}" for r, (text, _) in zip(refs, captioned, strict=True)
        )
        request = CAPTIONED_REQUEST.format(question=request, count=len(refs), captions=captions)
    model = create_chat_model(target.spec, target.options())
    reply = await model.ainvoke([HumanMessage(request)])  # text only, by construction
    paid = [rec for _, records in captioned for rec in records]
    return reply.text, [usage(reply, "generate", target.spec), *paid]


@lru_cache(maxsize=4)
def benchmark_writer(cache_root: str):
    """The writer graph, allowed to read the benchmark image cache under `cache_root`. It has
    no checkpointer of its own: inside an evaluation it is a subgraph and uses the evaluation's."""
    cache = SqliteCache(path=str(Path(cache_root) / "cache.sqlite"))
    return compile_writer(cache=cache, image_policy=image_policy())


def writer_context(target: Target) -> WriterContext:
    """The writer's settings: the target model and the evaluation's generation settings,
    overridden by anything given in `writer_context`."""
    values = {"model": target.spec, "temperature": target.temperature}
    values |= {"max_tokens": target.max_tokens} | target.writer_context
    if values.get("review_outline"):
        raise ValueError("review_outline cannot be used in an evaluation: nobody answers it")
    return WriterContext.from_dict(values)


async def writer(example: Example, target: Target) -> tuple[str, list[dict]]:
    """Run the writer graph on the example, required length given explicitly."""
    graph = await asyncio.to_thread(benchmark_writer, str(image_cache_dir().parent))
    result = await graph.ainvoke(
        {
            "instruction": example["question"],
            "images": example["images"],
            "target_words": example["required_words"],
        },
        context=writer_context(target),
    )
    return result["document"], result["report"]["usage"]["rows"]


async def generate(example: Example, target: Target, store: BaseStore) -> tuple[str, list[dict]]:
    """Generate the response to one example with the target's method; usage as records."""
    if target.method == "vlm":
        return await vlm(example, target)
    if target.method == "caption_llm":
        return await caption_llm(example, target, store)
    return await writer(example, target)
