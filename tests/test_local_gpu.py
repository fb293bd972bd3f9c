"""The in-process backend on a CUDA GPU: bf16 by default, batched generation, the benchmark."""

import asyncio

import pytest

pytestmark = pytest.mark.gpu


async def test_defaults_to_bf16_on_the_gpu_and_batches(tiny_qwen, slides):
    import torch
    from langchain_core.messages import HumanMessage

    from longwriter_v.models.local import LocalChatModel

    model = LocalChatModel(model=str(tiny_qwen), max_tokens=32, max_batch=4)
    engine = model.engine
    assert engine.model.dtype == torch.bfloat16 and engine.model.device.type == "cuda"
    message = HumanMessage([{"type": "image_url", "image_url": {"url": slides[0]}}, "Describe."])
    replies = await asyncio.gather(*(model.ainvoke([message]) for _ in range(4)))
    assert all(r.usage_metadata["output_tokens"] > 0 for r in replies)
    assert max(engine.batch_sizes) > 1


def test_throughput_benchmark_runs_at_full_7b_shapes(tmp_path):
    from benchmarks.local_throughput import main

    result = main(["--size", "7b", "--tokens", "64", "--concurrency", "4"])
    wrapper = result["wrapper"]
    assert result["dtype"] == "torch.bfloat16"
    assert wrapper["output_tokens"] == 64 and wrapper["decode_tokens_per_s"] > 0
