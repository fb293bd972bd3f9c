"""What OpenAI bills GPT-4o for a request: text tokens by tiktoken (o200k_base), image tokens
by the published tile formula, plus the chat format's per-message tokens."""

import base64
import importlib.util
import io
import math
import os
from functools import lru_cache
from pathlib import Path

from langchain_core.messages import BaseMessage
from PIL import Image

PER_MESSAGE = 3  # role and separators of each message
REPLY_PRIMING = 3  # every reply is primed with <|start|>assistant<|message|>
IMAGE_BASE, IMAGE_TILE, TILE = 85, 170, 512


@lru_cache(maxsize=1)
def encoding():
    """GPT-4o's tokenizer. tiktoken downloads o200k_base on first use; offline, the copy that
    llama-index-core bundles is used (`pip install --no-deps llama-index-core`)."""
    import tiktoken

    spec = importlib.util.find_spec("llama_index.core")
    if spec and "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = Path(spec.submodule_search_locations[0]) / "_static" / "tiktoken_cache"
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return tiktoken.get_encoding("o200k_base")


def text_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def image_tokens(width: int, height: int, detail: str = "high") -> int:
    """GPT-4o's image price: 85 at low detail; at high, fit in 2048x2048, bring the short side
    down to 768, then 85 + 170 per 512-pixel tile."""
    if detail == "low":
        return IMAGE_BASE
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return IMAGE_BASE + IMAGE_TILE * math.ceil(width / TILE) * math.ceil(height / TILE)


@lru_cache(maxsize=256)
def _image_size(data: str) -> tuple[int, int]:
    with Image.open(io.BytesIO(base64.b64decode(data))) as image:
        return image.size


def _block_image(block: dict) -> str | None:
    if block.get("type") == "image":
        return block.get("base64") or block.get("data")
    if block.get("type") == "image_url":
        url = (
            block["image_url"]["url"]
            if isinstance(block["image_url"], dict)
            else block["image_url"]
        )
        return url.split(",", 1)[1] if url.startswith("data:") else None
    return None


def billed_input(messages: list[BaseMessage], detail: str = "high") -> tuple[int, int]:
    """Return (text tokens, image tokens) that a chat request with these messages is billed."""
    text, images = REPLY_PRIMING, 0
    for message in messages:
        text += PER_MESSAGE
        content = message.content
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks:
            if isinstance(block, str):
                text += text_tokens(block)
            elif data := _block_image(block):
                images += image_tokens(*_image_size(data), detail)
            else:
                text += text_tokens(block.get("text", ""))
    return text, images
