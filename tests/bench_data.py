"""Fixture datasets in the exact schemas of MMLongBench-Write and LongWrite-V-Ruler."""

from pathlib import Path

from PIL import Image, ImageDraw


def picture(n: int, size=(96, 64)) -> Image.Image:
    """A small distinct picture (a decoded PIL image, as `datasets` yields them)."""
    image = Image.new("RGB", size, (40 * n % 255, 90, 160))
    ImageDraw.Draw(image).rectangle([8, 8, 8 + 10 * n, 40], fill="white")
    return image


# (question, images, L): English and Chinese, L present for some rows and absent for others.
MM_ROWS = [
    ("Write a 1000-word travel guide for the places in these photos.", [1, 2], None),
    ("根据这组漫画写一个故事，要求1800字。", [3], None),
    ("Write a lecture script for these slides.", [4, 5, 6], 2500),
    ("Write a 3500-word medical report from these scans.", [1], 3500),
]


def write_mmlongbench(path: Path, rows=MM_ROWS, with_l: bool = True) -> Path:
    """Write rows as MMLongBench-Write does (question, images[, L]) to parquet or a folder."""
    import datasets

    features = {
        "question": datasets.Value("string"),
        "images": datasets.List(datasets.Image()),
    }
    data = {
        "question": [q for q, _, _ in rows],
        "images": [[picture(n) for n in imgs] for _, imgs, _ in rows],
    }
    if with_l:
        features["L"] = datasets.Value("int64")
        data["L"] = [length for _, _, length in rows]
    ds = datasets.Dataset.from_dict(data, features=datasets.Features(features))
    if path.suffix == ".parquet":
        ds.to_parquet(str(path))
    else:
        ds.save_to_disk(str(path))
    return path


def write_ruler(path: Path, lengths=(500, 1000, 2000, 4000)) -> Path:
    """Write LongWrite-V-Ruler's schema (id, question, L, images): 2 bases x `lengths`."""
    import datasets

    bases = [
        ("Write a {L}-word article about these pictures.", [1]),
        ("根据图片写一篇{L}字的文章。", [2, 3]),
    ]
    rows = [(b.format(L=L), imgs, L) for L in lengths for b, imgs in bases]
    ds = datasets.Dataset.from_dict(
        {
            "id": list(range(len(rows))),
            "question": [q for q, _, _ in rows],
            "L": [length for _, _, length in rows],
            "images": [[picture(n) for n in imgs] for _, imgs, _ in rows],
        },
        features=datasets.Features(
            {
                "id": datasets.Value("int64"),
                "question": datasets.Value("string"),
                "L": datasets.Value("int64"),
                "images": datasets.List(datasets.Image()),
            }
        ),
    )
    ds.to_parquet(str(path))
    return path
