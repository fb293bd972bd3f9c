"""The wheel installs into a fresh virtualenv under one import name and its CLI runs."""

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
        check=True,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("longwriter_v-*.whl"))
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"longwriter_v", wheel.name.split("-py3")[0] + ".dist-info"}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(wheel)], check=True, cwd=tmp_path)
    python = str(venv / "bin" / "python")
    probe = (
        "import longwriter_v.graphs.writer as w, importlib.util as u; "
        "assert w.graph.name == 'longwriter-v'; "
        "assert u.find_spec('torch') is None and u.find_spec('models') is None"
    )
    subprocess.run([python, "-c", probe], check=True, cwd=tmp_path)
    out = subprocess.run(
        [str(venv / "bin" / "longwriter-v"), "--help"],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert "write" in out and "serve" in out
