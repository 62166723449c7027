"""The process-wide settings ``import lossviz`` makes (lossviz/__init__.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


BLAS_THREADS = """
import threadpoolctl
print(sorted({i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}))
"""


def test_importing_lossviz_puts_numpys_blas_on_one_thread():
    out = _run(
        "import numpy, threadpoolctl\n"
        'threadpoolctl.threadpool_limits(limits=3, user_api="blas")  # as a many-core machine would have'
        + BLAS_THREADS
        + "import lossviz"
        + BLAS_THREADS
    )
    before, after = out.splitlines()
    assert before == "[3]"  # NumPy's OpenBLAS was seen, and had 3 threads
    assert after == "[1]"


def test_the_environments_blas_threads_are_left_as_they_are():
    assert _run("import lossviz, numpy\n" + BLAS_THREADS, OPENBLAS_NUM_THREADS="2") == "[2]"
