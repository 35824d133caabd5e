"""Ships what is tested: builds the sdist and, from it, the wheel; installs the wheel
(not editable) into a fresh environment; runs the doctests and the command-line smoke
tests against that install. A module or data file missing from the package fails here.

Third-party packages come from the project's environment as a plain path entry (its
``.pth`` files are not processed, so the editable install of the source tree is not
seen): only schedalg itself must come from the wheel, and that is checked.

Run by ``make test``; ``python tools/check_wheel.py`` alone works too.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*cmd: str, **kwargs) -> None:
    print("+", " ".join(os.path.relpath(c) if os.path.isabs(c) else c for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def output(*cmd: str, **kwargs) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs).stdout


def install(work: str) -> tuple[str, str]:
    """The fresh environment's python and site directory, with the wheel installed."""
    dist = os.path.join(work, "dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT)
    (wheel,) = glob.glob(os.path.join(dist, "*.whl"))
    env_dir = os.path.join(work, "env")
    run(sys.executable, "-m", "venv", "--without-pip", env_dir)
    python = os.path.join(env_dir, "bin", "python")
    site = output(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    site = site.strip()
    with open(os.path.join(site, "project_deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    return python, site


def main() -> int:
    work = tempfile.mkdtemp(prefix="schedalg-wheel-")
    try:
        python, site = install(work)
        found = output(python, "-c", "import schedalg; print(schedalg.__file__)", cwd=work)
        if not found.startswith(site):
            print(f"check_wheel: schedalg imported from {found.strip()}, not the wheel")
            return 1
        # The doctests see the public names, as in the source tree (conftest.py).
        shutil.copy(os.path.join(ROOT, "conftest.py"), os.path.join(work, "doctest_names.py"))
        env = {**os.environ, "JAX_PLATFORMS": "cpu"}
        env.pop("PYTHONPATH", None)
        doctests = ["--pyargs", "schedalg", "--doctest-modules", "-p", "doctest_names"]
        options = ["-q", "-p", "no:cacheprovider", "-o", "doctest_optionflags=NORMALIZE_WHITESPACE"]
        parallel = ["-n", "auto", "--maxprocesses", "4"]
        run(python, "-m", "pytest", *options, *parallel, *doctests, cwd=work, env=env)
        cli = {**env, "SCHEDALG_CLI": os.path.join(os.path.dirname(python), "schedalg")}
        smoke = os.path.join(ROOT, "tests", "test_cli.py")
        run(sys.executable, "-m", "pytest", *options, smoke, "-k", "subprocess", env=cli)
    except subprocess.CalledProcessError as err:
        print(f"check_wheel: failed: {' '.join(err.cmd)} (status {err.returncode})")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("check_wheel: the wheel passes the doctests and the command-line smoke tests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
