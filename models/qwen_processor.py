"""Qwen2.5-VL's processor and qwen-vl-utils on machines without torchvision.

transformers builds a video processor for Qwen2.5-VL that needs torchvision, and qwen-vl-utils
imports torchvision at import time though only its video path uses it. LongWriter-V reads images
only, so both are made to work without it; with torchvision installed nothing changes.
"""

import importlib.util
import sys
import threading
import types
from functools import cache

from transformers import AutoProcessor, Qwen2_5_VLProcessor
from transformers.image_utils import SizeDict


class Qwen2_5_VLImageProcessor(Qwen2_5_VLProcessor):
    """Qwen2.5-VL's processor with images and text only (no video processor, no torchvision)."""

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)


def has_torchvision() -> bool:
    return importlib.util.find_spec("torchvision") is not None


def load_processor(source: str, min_pixels: int, max_pixels: int, **hub):
    """The checkpoint's processor with the pixel limits set on its image processor."""
    loader = AutoProcessor if has_torchvision() else Qwen2_5_VLImageProcessor
    processor = loader.from_pretrained(source, **hub)
    processor.image_processor.size = SizeDict(shortest_edge=min_pixels, longest_edge=max_pixels)
    return processor


_IMPORT_LOCK = threading.Lock()


@cache
def qwen_vl_utils():
    """Import qwen_vl_utils; without torchvision, behind a stand-in removed right after import."""
    with _IMPORT_LOCK:  # a second thread must never see the stand-in
        return _import_qwen_vl_utils()


def _import_qwen_vl_utils():
    if has_torchvision():
        import qwen_vl_utils

        return qwen_vl_utils
    stand_in = types.ModuleType("torchvision")
    stand_in.io = types.ModuleType("torchvision.io")
    stand_in.transforms = types.ModuleType("torchvision.transforms")
    stand_in.transforms.InterpolationMode = types.SimpleNamespace(BICUBIC="bicubic")
    stand_in.__version__ = "0"
    names = ("torchvision", "torchvision.io", "torchvision.transforms")
    modules = (stand_in, stand_in.io, stand_in.transforms)
    sys.modules.update(zip(names, modules, strict=True))
    try:
        import qwen_vl_utils
    finally:
        for name in names:
            sys.modules.pop(name, None)
    return qwen_vl_utils
