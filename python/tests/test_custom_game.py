"""A game registered in a user's own Go package reaches Python through a
library built from that package (examples/customenv/pylib)."""

import os
import subprocess
import sys

from conftest import HERE, PYTHON


def test_custom_game_reaches_python(line_library):
    env = dict(os.environ, MRASIM_LIBRARY=line_library, PYTHONPATH=os.pathsep.join([PYTHON, HERE]))
    r = subprocess.run([sys.executable, os.path.join(HERE, "custom_game_script.py")], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "custom game OK" in r.stdout
