"""LangChain's own standard suites for chat models, run on the in-process backend with the tiny
Qwen2.5-VL. Only what the backend truly lacks is switched off, each with its reason."""

import io

import httpx
import pytest

pytest.importorskip("torch")

from langchain_tests.integration_tests import ChatModelIntegrationTests  # noqa: E402
from langchain_tests.unit_tests import ChatModelUnitTests  # noqa: E402

from longwriter_v.models.local import LocalChatModel  # noqa: E402
from tests.conftest import draw_slide  # noqa: E402
from tests.tiny_qwen import tiny_qwen_dir  # noqa: E402


@pytest.fixture(autouse=True)
def offline_picture(monkeypatch):
    """test_image_inputs downloads a picture with httpx.get; hand it one drawn here instead."""
    image = io.BytesIO()
    draw_slide(image, 1, fmt="PNG")
    monkeypatch.setattr(
        httpx, "get", lambda url, **kw: httpx.Response(200, content=image.getvalue())
    )


class LocalSettings:
    @property
    def chat_model_class(self) -> type[LocalChatModel]:
        return LocalChatModel

    @property
    def chat_model_params(self) -> dict:
        # A seed keeps the junk the random weights write reproducible.
        return {"model": str(tiny_qwen_dir()), "seed": 0}

    @property
    def has_tool_calling(self) -> bool:
        return False  # Qwen2.5-VL has no tool-call format wired into this backend

    @property
    def has_structured_output(self) -> bool:
        return False  # structured output is built on tool calling; the graph parses text instead

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return False  # the suite names a web image; our own tests fetch one from 127.0.0.1

    @property
    def returns_usage_metadata(self) -> bool:
        return True


class TestLocalChatModelUnit(LocalSettings, ChatModelUnitTests):
    pass


class TestLocalChatModelIntegration(LocalSettings, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict:
        return super().chat_model_params | {"max_tokens": 16}
