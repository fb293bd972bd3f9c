"""What `transformers:<model>[?option=value&...]` asks for: the checkpoint and how to load it."""

from dataclasses import dataclass, fields
from urllib.parse import parse_qsl

from longwriter_v.models.factory import ModelConfigError

ALIASES = {
    "longwriter-v-7b": "THU-KEG/LongWriter-V-7B",
    "longwriter-v-7b-dpo": "THU-KEG/LongWriter-V-7B-DPO",
    "longwriter-v-72b": "THU-KEG/LongWriter-V-72B",
}

DTYPES = ("auto", "bfloat16", "float16", "float32")
ATTENTIONS = ("auto", "flash_attention_2", "sdpa", "eager")


@dataclass(frozen=True)
class LoadOptions:
    """How a checkpoint is loaded; equal options share one loaded model per process."""

    model: str
    dtype: str = "auto"  # auto: bfloat16 on a GPU, float32 on the CPU
    device_map: str = "auto"  # auto: accelerate's placement on GPUs, the CPU otherwise
    attn: str = "auto"  # auto: flash_attention_2 when installed on a GPU, else sdpa
    min_pixels: int = 50176  # the public LongWriter-V inference settings
    max_pixels: int = 1048576
    trust_remote_code: bool = False
    max_batch: int = 8  # concurrent requests generated together

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ModelConfigError(f"dtype={self.dtype!r} is not one of {', '.join(DTYPES)}")
        if self.attn not in ATTENTIONS:
            raise ModelConfigError(f"attn={self.attn!r} is not one of {', '.join(ATTENTIONS)}")
        if not 0 < self.min_pixels <= self.max_pixels:
            raise ModelConfigError(
                f"need 0 < min_pixels <= max_pixels, got {self.min_pixels} and {self.max_pixels}"
            )
        if self.max_batch < 1:
            raise ModelConfigError(f"max_batch must be at least 1, got {self.max_batch}")

    @property
    def source(self) -> str:
        """The hub id or directory the model name stands for."""
        return ALIASES.get(self.model.lower(), self.model)


OPTION_NAMES = tuple(f.name for f in fields(LoadOptions) if f.name != "model")


def parse_local_spec(rest: str) -> LoadOptions:
    """Parse the part after `transformers:`, e.g. `longwriter-v-7b?dtype=bfloat16&max_batch=4`."""
    model, _, query = rest.partition("?")
    if not model:
        raise ModelConfigError(f"model spec transformers:{rest} names no model")
    values: dict[str, object] = {}
    for key, raw in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
        if key not in OPTION_NAMES:
            raise ModelConfigError(
                f"unknown option {key!r} in transformers:{rest}; known: {', '.join(OPTION_NAMES)}"
            )
        values[key] = _convert(key, raw, rest)
    return LoadOptions(model=model, **values)


def _convert(key: str, raw: str, rest: str) -> object:
    kind = {f.name: f.type for f in fields(LoadOptions)}[key]
    if kind is bool:
        if raw.lower() not in ("true", "false", "1", "0"):
            raise ModelConfigError(f"{key} in transformers:{rest} must be true or false")
        return raw.lower() in ("true", "1")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ModelConfigError(f"{key} in transformers:{rest} must be an integer") from None
    return raw
