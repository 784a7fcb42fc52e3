"""The installed ``newtonlogit`` command, run in a subprocess."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

# The command installed next to this Python (a virtual environment's bin/),
# else the one on PATH.
_HERE = Path(sys.executable).parent / "newtonlogit"
EXE = str(_HERE) if _HERE.exists() else shutil.which("newtonlogit")


def run(*args, **kwargs):
    assert EXE is not None, "the newtonlogit command is not installed"
    return subprocess.run(
        [EXE, *args], capture_output=True, text=True, timeout=120, **kwargs
    )


def test_demo_tells_the_truth_quickly():
    start = time.perf_counter()
    out = run("demo")
    elapsed = time.perf_counter() - start
    assert out.returncode == 0, out.stderr
    text = out.stdout
    first, second = text.split("2. versicolor vs virginica")
    assert "does not exist" in first and "The fit converged" not in first
    # the separation is diagnosed by name, then Firth's finite estimates follow
    assert "complete separation" in first and "petal_width -> +inf" in first
    firth = first.split("Firth's penalized likelihood")[1]
    assert "converged" in firth and "lr_p" in firth and "inf" not in firth
    assert "profile penalized-likelihood intervals" in " ".join(firth.split())
    assert "test accuracy" in first and "iteration" in first
    assert "The fit converged" in second and "std_err" in second
    assert elapsed < 5 * 2  # the target is < 5 s; allow a loaded CI machine


def test_help_and_bad_command():
    assert run("--help").returncode == 0
    assert "example" in run("demo", "--help").stdout
    bad = run("frobnicate")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "newtonlogit.cli", "--version"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stdout.strip()
