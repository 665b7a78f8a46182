"""Builds the package with Larder's C library inside it.

`pip install ./python` (from the repository) runs `swift build -c release --product LarderC`
in the repository and puts libLarderC into the package; with LARDER_LIBRARY=/path/to/libLarderC.so
it copies that file instead (no Swift toolchain needed). The only compiler involved is Swift's.
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

REPOSITORY = Path(__file__).resolve().parent.parent


def library() -> Path:
    explicit = os.environ.get("LARDER_LIBRARY")
    if explicit:
        return Path(explicit)
    if not (REPOSITORY / "Package.swift").is_file():
        raise SystemExit("cannot build libLarderC: no Package.swift above python/; set LARDER_LIBRARY to a built library")
    command = ["swift", "build", "-c", "release", "--product", "LarderC"]
    print("building Larder's C library:", " ".join(command))
    subprocess.run(command, cwd=REPOSITORY, check=True)
    bin_path = subprocess.run(command[:4] + ["--show-bin-path"], cwd=REPOSITORY, check=True,
                              capture_output=True, text=True).stdout.strip()
    for name in ("libLarderC.so", "libLarderC.dylib"):
        if (Path(bin_path) / name).is_file():
            return Path(bin_path) / name
    raise SystemExit(f"swift build left no libLarderC in {bin_path}")


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        source = library()
        target = Path(self.build_lib) / "larder" / ("libLarderC" + source.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


class BinaryDistribution(Distribution):
    """A wheel for this platform: it carries a native library."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
