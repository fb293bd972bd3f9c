"""LangChain messages to the conversation and image list a Qwen2.5-VL processor takes."""

from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage
from PIL import Image

from longwriter_v.models.qwen_processor import qwen_vl_utils

ROLES = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


class LocalInputError(ValueError):
    """A request a local model cannot take; the message names the input and the fix."""


@dataclass
class Prompt:
    """A conversation in the chat template's form, with the images its placeholders stand for."""

    conversation: list[dict]
    images: list[Image.Image] = field(default_factory=list)


def to_prompt(
    messages: list[BaseMessage], *, vision: bool, min_pixels: int, max_pixels: int, model: str
) -> Prompt:
    """Convert messages; images are read, checked and fitted to the pixel limits here."""
    prompt = Prompt(conversation=[])
    for message in messages:
        blocks = _blocks(message.content)
        sources = [b for b in blocks if b["type"] == "image"]
        if sources and not vision:
            raise LocalInputError(
                f"{model} is a text-only model and cannot read the {len(sources)} image(s) in "
                "this request; use a Qwen2.5-VL checkpoint (e.g. transformers:longwriter-v-7b) "
                "or send text only"
            )
        for block in sources:
            prompt.images.append(
                _read_image(block.pop("source"), len(prompt.images) + 1, min_pixels, max_pixels)
            )
        content = blocks if vision else "".join(b["text"] for b in blocks)
        prompt.conversation.append({"role": _role(message), "content": content})
    return prompt


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        return message.role
    for kind, role in ROLES.items():
        if isinstance(message, kind):
            return role
    raise LocalInputError(
        f"local models take system, human and AI messages, not {type(message).__name__}; "
        "tool calling is not supported by the transformers backend"
    )


def _blocks(content: str | list) -> list[dict]:
    """Text blocks and image blocks (with their source kept under "source")."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for item in content:
        if isinstance(item, str):
            blocks.append({"type": "text", "text": item})
        elif item.get("type") == "text":
            blocks.append({"type": "text", "text": item["text"]})
        elif item.get("type") in ("image", "image_url"):
            blocks.append({"type": "image", "source": _image_source(item)})
        else:
            raise LocalInputError(
                f"content block of type {item.get('type')!r} is not supported by local models; "
                "send text and image blocks"
            )
    return blocks


def _image_source(block: dict) -> str:
    """A path, URL or data URL from an OpenAI `image_url` block or a LangChain image block."""
    if block["type"] == "image_url":
        url = block["image_url"]
        return url["url"] if isinstance(url, dict) else url
    data = block.get("base64") or (
        block.get("data") if block.get("source_type") == "base64" else None
    )
    if data:
        return f"data:{block.get('mime_type') or 'image/png'};base64,{data}"
    source = block.get("url") or block.get("path") or block.get("image")
    if not source:
        raise LocalInputError(f"image block has no base64 data, url or path: {sorted(block)}")
    return source


def _describe(source: str) -> str:
    if source.startswith("data:"):
        return f"a data URL of {len(source)} characters"
    return source if len(source) <= 160 else source[:157] + "..."


def _read_image(source: str, number: int, min_pixels: int, max_pixels: int) -> Image.Image:
    local = source.removeprefix("file://")
    if "://" not in local and not local.startswith("data:") and not Path(local).is_file():
        raise LocalInputError(
            f"image {number} of the request ({_describe(source)}) does not exist; "
            "give an existing image file, an http(s) URL or a data URL"
        )
    element = {"image": source, "min_pixels": min_pixels, "max_pixels": max_pixels}
    try:
        return qwen_vl_utils().fetch_image(element)
    except Exception as e:
        raise LocalInputError(
            f"image {number} of the request ({_describe(source)}) cannot be read as an image "
            f"({type(e).__name__}: {e}); give a valid PNG, JPEG or WebP"
        ) from e
