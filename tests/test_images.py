import base64

import pytest

from longwriter_v.nodes.errors import InputError
from longwriter_v.nodes.images import ImagePolicy, load_image
from tests.conftest import draw_slide


def test_image_is_checked_downscaled_and_stored_by_hash(tmp_path, policy):
    src = draw_slide(tmp_path / "big.png", 1, size=(2000, 1000))
    ref = load_image(1, str(src), policy, max_pixels=200_000)
    assert ref["width"] * ref["height"] <= 200_000
    assert ref["width"] / ref["height"] == pytest.approx(2.0, rel=0.02)
    assert ref["file"].startswith(str(policy.cache_dir)) and ref["sha256"] in ref["file"]
    again = load_image(1, str(src), policy, max_pixels=200_000)
    assert again == ref


def test_data_url_reference_keeps_no_base64(tmp_path, policy):
    raw = draw_slide(tmp_path / "a.png", 2).read_bytes()
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    ref = load_image(1, url, policy, max_pixels=10**6)
    assert len(ref["source"]) < 80 and "base64," not in ref["source"]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: str(d / "missing.png"), "no such file"),
        (
            lambda d: (
                (d / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage") and str(d / "bad.png")
            ),
            "cannot be decoded",
        ),
        (lambda d: str(draw_slide(d / "x.tiff", 1, fmt="TIFF")), "not supported"),
        (lambda d: "data:image/png;base64,@@@", "base64"),
        (lambda d: "   ", "empty"),
    ],
)
def test_bad_images_name_the_input_and_the_fix(tmp_path, policy, make, match):
    with pytest.raises(InputError, match=match):
        load_image(1, make(tmp_path), policy, max_pixels=10**6)


def test_policy_refuses_paths_outside_allowed_dirs(tmp_path):
    src = draw_slide(tmp_path / "a.png", 1)
    with pytest.raises(InputError, match="not allowed"):
        load_image(1, str(src), ImagePolicy(cache_dir=tmp_path / "c"), max_pixels=10**6)
    assert ImagePolicy.for_files([str(src)]).permits(src.resolve())


def test_server_policy_reads_allowed_dirs_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LONGWRITER_V_IMAGE_DIRS", str(tmp_path))
    assert ImagePolicy.from_env().permits((tmp_path / "x.png").resolve())
    monkeypatch.delenv("LONGWRITER_V_IMAGE_DIRS")
    assert not ImagePolicy.from_env().permits((tmp_path / "x.png").resolve())
