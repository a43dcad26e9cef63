"""Shared fixtures: the package from this checkout, the library, the mrasim
binary and the custom-game library, built with the go tool when missing
(CI builds the library and the binary first and names them in
MRASIM_LIBRARY and MRASIM_BIN)."""

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON)
sys.path.insert(0, PYTHON)
sys.path.insert(0, HERE)

DEFAULT_LIBRARY = os.path.join(PYTHON, "mrasim", "libmrasim.so")


def go_build(args, what):
    if shutil.which("go") is None:
        pytest.fail(f"{what} is missing and there is no go tool to build it")
    subprocess.run(["go", "build"] + args, cwd=REPO, check=True, env=dict(os.environ, GOFLAGS="-buildvcs=false"))


def pytest_configure(config):
    path = os.environ.get("MRASIM_LIBRARY") or DEFAULT_LIBRARY
    if not os.path.exists(path):
        go_build(["-buildmode=c-shared", "-o", DEFAULT_LIBRARY, "./bindings/libmrasim"], "the shared library")


@pytest.fixture(scope="session")
def mrasim_bin(tmp_path_factory):
    """The mrasim command of this checkout."""
    path = os.environ.get("MRASIM_BIN")
    if path:
        return path
    path = str(tmp_path_factory.mktemp("bin") / "mrasim")
    go_build(["-o", path, "./cmd/mrasim"], "the mrasim binary")
    return path


@pytest.fixture(scope="session")
def line_library(tmp_path_factory):
    """A library built from examples/customenv/pylib: the line game registered."""
    path = str(tmp_path_factory.mktemp("lib") / "libline.so")
    go_build(["-buildmode=c-shared", "-o", path, "./examples/customenv/pylib"], "the custom-game library")
    return path
