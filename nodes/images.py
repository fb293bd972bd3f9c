"""Load, check, downscale and store input images; state keeps only references and hashes."""

import base64
import binascii
import hashlib
import io
import os
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

import httpx
from PIL import Image, UnidentifiedImageError

from longwriter_v.nodes.errors import InputError

SUPPORTED_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
}
MAX_IMAGE_PIXELS = 1_048_576  # images are downscaled to this area (public LongWriter-V inference)
ALLOWED_DIRS_ENV = "LONGWRITER_V_IMAGE_DIRS"
CACHE_DIR_ENV = "LONGWRITER_V_CACHE_DIR"


class ImageRef(TypedDict):
    """An image as the graph's state keeps it: where it came from and where its checked copy is."""

    index: int
    source: str
    sha256: str
    file: str
    mime: str
    width: int
    height: int


def default_cache_dir() -> Path:
    """Return the image cache folder: $LONGWRITER_V_CACHE_DIR or ~/.cache/longwriter-v."""
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "longwriter-v") / "images"


@dataclass(frozen=True)
class ImagePolicy:
    """What image sources a graph may read. Bound when the graph is built, never per run.

    A served graph reads local files only under `allowed_dirs` (none unless the
    operator sets $LONGWRITER_V_IMAGE_DIRS), so a client cannot make it read
    arbitrary files. The CLI allows exactly the files named on its command line.
    """

    allowed_dirs: tuple[Path, ...] = ()
    allowed_files: tuple[Path, ...] = ()
    allow_urls: bool = True
    url_timeout_s: float = 15.0
    max_download_bytes: int = 20 * 2**20
    max_data_url_bytes: int = 20 * 2**20
    cache_dir: Path = field(default_factory=default_cache_dir)

    @classmethod
    def from_env(cls) -> "ImagePolicy":
        """Build the server policy: folders from $LONGWRITER_V_IMAGE_DIRS (os.pathsep list)."""
        raw = os.environ.get(ALLOWED_DIRS_ENV, "")
        dirs = tuple(Path(p).resolve() for p in raw.split(os.pathsep) if p.strip())
        return cls(allowed_dirs=dirs)

    @classmethod
    def for_files(cls, paths: list[str]) -> "ImagePolicy":
        """Allow exactly these local files (what a CLI user named)."""
        return cls(allowed_files=tuple(Path(p).resolve() for p in paths))

    def permits(self, path: Path) -> bool:
        """Tell whether a resolved local path may be read."""
        return path in self.allowed_files or any(path.is_relative_to(d) for d in self.allowed_dirs)


def _read_data_url(source: str, policy: ImagePolicy) -> bytes:
    header, sep, payload = source.partition(",")
    if not sep or ";base64" not in header:
        raise InputError(
            f"image {source[:40]}...: a data URL must look like data:image/png;base64,<data>"
        )
    if len(payload) * 3 // 4 > policy.max_data_url_bytes:
        raise InputError(
            f"image {header}: data URL larger than {policy.max_data_url_bytes} bytes; "
            "downscale it or pass a file path"
        )
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error as e:
        raise InputError(f"image {header}: the data URL's base64 payload is invalid ({e})") from e


def _read_url(source: str, policy: ImagePolicy) -> bytes:
    if not policy.allow_urls:
        raise InputError(f"image {source}: this graph does not fetch URLs; pass a file instead")
    try:
        with httpx.stream("GET", source, timeout=policy.url_timeout_s, follow_redirects=True) as r:
            r.raise_for_status()
            chunks, size = [], 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > policy.max_download_bytes:
                    raise InputError(
                        f"image {source}: larger than {policy.max_download_bytes} bytes"
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as e:
        raise InputError(f"image {source}: could not be downloaded ({e}); check the URL") from e


def _read_file(source: str, policy: ImagePolicy) -> bytes:
    path = Path(source).expanduser().resolve()
    if not policy.permits(path):
        raise InputError(
            f"image {source}: reading this path is not allowed here; on a server, "
            f"put it under a folder listed in ${ALLOWED_DIRS_ENV}"
        )
    if not path.is_file():
        raise InputError(f"image {source}: no such file; check the path")
    return path.read_bytes()


def read_source(source: str, policy: ImagePolicy) -> bytes:
    """Return the raw bytes of an image given as a file path, http(s) URL or data URL."""
    if not source or not source.strip():
        raise InputError("an image reference is empty; give a file path, http(s) URL or data URL")
    if source.startswith("data:"):
        return _read_data_url(source, policy)
    if source.startswith(("http://", "https://")):
        return _read_url(source, policy)
    return _read_file(source, policy)


def _undecodable(label: str, e: Exception) -> InputError:
    return InputError(
        f"image {label}: cannot be decoded ({e}); the file is corrupt or not an "
        "image, re-export it as PNG or JPEG"
    )


_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError)


def _open(data: bytes, label: str) -> Image.Image:
    """Verify the image and open it lazily: size and format only, pixels not yet decoded."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        image = Image.open(io.BytesIO(data))
    except _DECODE_ERRORS as e:
        raise _undecodable(label, e) from e
    if fmt not in SUPPORTED_FORMATS:
        raise InputError(
            f"image {label}: format {fmt} is not supported; use one of "
            f"{', '.join(sorted(SUPPORTED_FORMATS))}"
        )
    return image


def _store(image: Image.Image, target: Path, size: tuple[int, int], label: str) -> None:
    """Decode, downscale and write the copy (atomically: concurrent runs may store it too)."""
    fmt = target.suffix[1:].upper()
    try:
        image.load()
    except _DECODE_ERRORS as e:
        raise _undecodable(label, e) from e
    small = image.resize(size, Image.Resampling.LANCZOS) if size != image.size else image
    small = small.convert("RGB" if fmt == "JPEG" else "RGBA")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = unique_tmp(target)
    small.save(tmp, fmt, quality=92) if fmt == "JPEG" else small.save(tmp, fmt)
    tmp.replace(target)


def load_image(index: int, source: str, policy: ImagePolicy, max_pixels: int) -> ImageRef:
    """Read, check and downscale one image, store the copy by content hash, return its reference.

    Bytes whose copy is already stored were decoded once already: their pixels are not
    decoded again.
    """
    label = source if not source.startswith("data:") else source.split(",", 1)[0]
    data = read_source(source, policy)
    digest = hashlib.sha256(data).hexdigest()
    image = _open(data, label)
    mime = SUPPORTED_FORMATS[image.format]
    fmt = "JPEG" if image.format == "JPEG" else "PNG"
    scale = min(1.0, (max_pixels / (image.width * image.height)) ** 0.5)
    width, height = max(1, int(image.width * scale)), max(1, int(image.height * scale))
    target = policy.cache_dir / f"{digest}-{width}x{height}.{fmt.lower()}"
    if not target.exists():
        _store(image, target, (width, height), label)
    shown = source if not source.startswith("data:") else f"data:{mime};sha256:{digest[:12]}"
    return ImageRef(
        index=index,
        source=shown,
        sha256=digest,
        file=str(target),
        mime=SUPPORTED_FORMATS[fmt],
        width=width,
        height=height,
    )


def unique_tmp(target: Path) -> Path:
    """A temporary name beside `target` that no other writer uses, for an atomic replace."""
    return target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")


@lru_cache(maxsize=128)
def encoded(file: str) -> str:
    """Return the base64 text of a stored image (cached: many sections send the same image)."""
    return base64.b64encode(Path(file).read_bytes()).decode("ascii")
