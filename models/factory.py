"""Turn a model spec string into a LangChain chat model; the one place backends are chosen."""

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import httpx
from langchain_core.language_models import BaseChatModel

SPEC_FORMS = (
    "openai:<model> (OpenAI, needs OPENAI_API_KEY), "
    "openai:<model>@<base_url> (any OpenAI-compatible server, e.g. vLLM at http://host:8000/v1), "
    "transformers:<hub id or local path> (in-process model, needs longwriter-v[local])"
)


class ModelConfigError(ValueError):
    """A model spec is malformed, unknown or cannot be reached; the message says how to fix it."""


@dataclass(frozen=True)
class ModelOptions:
    """Generation and transport settings shared by every backend."""

    temperature: float = 0.6
    max_tokens: int = 8192
    timeout_s: float = 600.0
    max_retries: int = 2
    top_p: float | None = None  # None: the backend's default


Backend = Callable[[str, ModelOptions], BaseChatModel]
_BACKENDS: dict[str, Backend] = {}


def register_backend(prefix: str, backend: Backend) -> None:
    """Make `prefix:<rest>` specs build models with `backend(rest, options)`."""
    _BACKENDS[prefix] = backend
    create_chat_model.cache_clear()


def parse_spec(spec: str) -> tuple[str, str]:
    """Split a spec into (backend prefix, rest), raising ModelConfigError on unknown forms."""
    prefix, sep, rest = (spec or "").partition(":")
    if not sep or not rest or prefix not in _BACKENDS:
        raise ModelConfigError(f"unknown model spec {spec!r}; valid forms: {SPEC_FORMS}")
    return prefix, rest


@lru_cache(maxsize=64)
def create_chat_model(spec: str, options: ModelOptions = ModelOptions()) -> BaseChatModel:
    """Build (once per spec and options) the chat model a spec names."""
    prefix, rest = parse_spec(spec)
    return _BACKENDS[prefix](rest, options)


def _split_openai(rest: str) -> tuple[str, str | None]:
    name, _, base_url = rest.partition("@")
    if not name:
        raise ModelConfigError(
            f"model spec openai:{rest} names no model; valid forms: {SPEC_FORMS}"
        )
    return name, base_url or None


def _openai(rest: str, options: ModelOptions) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    name, base_url = _split_openai(rest)
    key = os.environ.get("OPENAI_API_KEY")
    if not key and not base_url:
        raise ModelConfigError(
            f"openai:{name} needs OPENAI_API_KEY; set it, or serve a model with an "
            "OpenAI-compatible server and use openai:<model>@<base_url>"
        )
    return ChatOpenAI(
        model=name,
        base_url=base_url,
        api_key=key or "EMPTY",
        temperature=options.temperature,
        top_p=options.top_p,
        max_tokens=options.max_tokens,
        timeout=options.timeout_s,
        max_retries=options.max_retries,
        stream_usage=True,
    )


def _transformers(rest: str, options: ModelOptions) -> BaseChatModel:
    try:
        local = importlib.import_module("longwriter_v.models.local")
    except ImportError as e:
        raise ModelConfigError(
            f"transformers:{rest} needs the in-process backend: pip install 'longwriter-v[local]' "
            f"({e})"
        ) from e
    return local.create(rest, options)


register_backend("openai", _openai)
register_backend("transformers", _transformers)


def preflight(spec: str, timeout_s: float = 5.0) -> None:
    """Fail at once, with the fix, when the model a spec names cannot be used from here."""
    prefix, rest = parse_spec(spec)
    if prefix != "openai":
        model = create_chat_model(spec)
        if hasattr(model, "warm_up"):  # in-process backends load their weights now
            model.warm_up()
        return
    name, base_url = _split_openai(rest)
    if not base_url:
        _openai(rest, ModelOptions())
        return
    try:
        reply = httpx.get(base_url.rstrip("/") + "/models", timeout=timeout_s)
        reply.raise_for_status()
    except httpx.HTTPError as e:
        raise ModelConfigError(
            f"no OpenAI-compatible server answers at {base_url} ({e}); start one (for example "
            f"`vllm serve {name}`) or fix the URL in openai:{name}@<base_url>"
        ) from e
    served = [m.get("id") for m in reply.json().get("data", [])]
    if served and name not in served:
        raise ModelConfigError(
            f"the server at {base_url} serves {', '.join(map(str, served))}, not {name}; "
            f"use one of those names (vLLM: --served-model-name) in openai:<name>@{base_url}"
        )
