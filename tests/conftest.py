"""Shared fixtures: scripted models behind the factory, images on disk, compiled graphs."""

import itertools
import os
import uuid
from pathlib import Path

import pytest
from langgraph.cache.memory import InMemoryCache
from langgraph.checkpoint.memory import InMemorySaver
from PIL import Image, ImageDraw

from longwriter_v.graphs.writer import compile_writer
from longwriter_v.models.factory import register_backend
from longwriter_v.models.retry import model_retry_policy
from longwriter_v.nodes.images import ImagePolicy
from tests.fakes import ScriptedChatModel, Writer

os.environ.setdefault("LANGGRAPH_CLI_NO_ANALYTICS", "1")
os.environ.setdefault("LANGGRAPH_NO_VERSION_CHECK", "1")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
_names = itertools.count()


@pytest.fixture
def scripted():
    """Return a function that registers a scripted model and gives back (spec, model)."""
    models: dict[str, ScriptedChatModel] = {}
    register_backend("scripted", lambda rest, options: models[rest])

    def make(respond=None, tool_calling: bool = True) -> tuple[str, ScriptedChatModel]:
        name = f"m{next(_names)}"
        models[name] = ScriptedChatModel(respond=respond or Writer(), tool_calling=tool_calling)
        return f"scripted:{name}", models[name]

    return make


def draw_slide(path: Path, n: int, size=(320, 240), fmt: str | None = None) -> Path:
    """Draw a small slide image with a title bar and a few bars of a chart."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, size[0], 40], fill=(30, 60, 120))
    draw.text((10, 12), f"Slide {n}", fill="white")
    for k in range(4):
        draw.rectangle([30 + k * 60, 200 - 30 * (k + n % 3), 70 + k * 60, 200], fill=(200, 80, 40))
    image.save(path, fmt)
    return path


@pytest.fixture
def slides(tmp_path) -> list[str]:
    """Four slide images on disk."""
    return [str(draw_slide(tmp_path / f"slide{i}.png", i)) for i in range(1, 5)]


@pytest.fixture
def policy(tmp_path) -> ImagePolicy:
    """An image policy allowing the test's temporary folder, caching inside it."""
    return ImagePolicy(allowed_dirs=(tmp_path.resolve(),), cache_dir=tmp_path / "cache")


@pytest.fixture
def writer_graph(policy):
    """A writer compiled with an in-memory checkpointer and cache, fast retries."""
    return compile_writer(
        checkpointer=InMemorySaver(),
        cache=InMemoryCache(),
        image_policy=policy,
        retry=model_retry_policy(max_attempts=3, initial_interval=0.01),
    )


@pytest.fixture(scope="session")
def tiny_qwen() -> Path:
    """A tiny random Qwen2.5-VL checkpoint directory, built once per session."""
    pytest.importorskip("torch")
    from tests.tiny_qwen import tiny_qwen_dir

    return tiny_qwen_dir()


@pytest.fixture(scope="session")
def tiny_text_lm() -> Path:
    """A tiny random text-only causal LM checkpoint directory, built once per session."""
    pytest.importorskip("torch")
    from tests.tiny_qwen import tiny_text_lm_dir

    return tiny_text_lm_dir()


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    """Skip GPU-marked tests where no CUDA device exists."""
    if any("gpu" in item.keywords for item in items) and not _cuda():
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))


def short_on(*sections):
    """Sections that come out at half their budget on the first write, so they get revised."""
    return lambda stage, section, attempt: 0.5 if stage == "write" and section in sections else 1.0


async def write_runs(db, policy, runs: list[tuple[str, dict, dict]]) -> list[str]:
    """Run the writer for each (model spec, input, extra context) into a SQLite checkpointer."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    threads = []
    async with AsyncSqliteSaver.from_conn_string(str(db)) as saver:
        graph = compile_writer(checkpointer=saver, image_policy=policy)
        for spec, payload, context in runs:
            thread = uuid.uuid4().hex
            config = {"configurable": {"thread_id": thread}}
            await graph.ainvoke(payload, config, context={"model": spec, **context})
            threads.append(thread)
    return threads


@pytest.fixture
async def runs_db(tmp_path, scripted, slides, policy):
    """Two finished runs (4 slides, sections 2 and 4 revised; and a text-only one) and one
    stopped at the outline review, checkpointed in SQLite."""
    four, _ = scripted(Writer(n_sections=4, factor=short_on(2, 4)))
    three, _ = scripted(Writer(n_sections=3))
    db = tmp_path / "runs.sqlite"
    ask = {"instruction": "Write a 400-word talk on these slides", "images": slides}
    await write_runs(
        db,
        policy,
        [
            (four, ask, {}),
            (three, {"instruction": "Write 300 words about harbours"}, {}),
            (three, {"instruction": "Write 300 words"}, {"review_outline": True}),
        ],
    )
    return db
