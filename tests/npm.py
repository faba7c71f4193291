"""Other services' own JavaScript clients, installed with npm into a folder outside the repository.

CI (.ci/run) installs the pinned packages and names the folder in CONTACTAPI_NPM_DIR; without it, the tests
install them into a temporary folder once per run when npm can reach its registry, and skip otherwise."""
import json
import os
import shutil
import subprocess

import pytest

# The packages and versions the tests run, pinned (the same list .ci/run installs).
NPM_PACKAGES = {"@formspree/core": "4.0.0", "altcha": "3.2.2"}  # altcha 3.x: the v2 protocol of PyPI altcha 2.x


def _installed(folder):
    for name, version in NPM_PACKAGES.items():
        manifest = os.path.join(folder, "node_modules", name, "package.json")
        if not os.path.exists(manifest):
            return False
        with open(manifest) as file:
            if json.load(file)["version"] != version:
                return False
    return True


@pytest.fixture(scope="session")
def npm_dir(tmp_path_factory):
    """A folder whose node_modules holds NPM_PACKAGES; skips with the reason when it cannot be had."""
    if not shutil.which("node"):
        pytest.skip("node is missing: install Debian's nodejs to run the JavaScript client tests")
    folder = os.environ.get("CONTACTAPI_NPM_DIR")
    if folder:
        if not _installed(folder):
            pytest.fail(f"CONTACTAPI_NPM_DIR={folder} lacks {NPM_PACKAGES} (see .ci/run)")
        return folder
    if not shutil.which("npm"):
        pytest.skip("npm is missing: install Debian's npm (or set CONTACTAPI_NPM_DIR) to run the client tests")
    folder = str(tmp_path_factory.mktemp("npm"))
    packages = [f"{name}@{version}" for name, version in NPM_PACKAGES.items()]
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", folder, *packages],
                       check=True, capture_output=True, timeout=180)
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"npm could not install {packages}: {error}")
    return folder


def package_path(npm_dir, name, *parts):
    return os.path.join(npm_dir, "node_modules", name, *parts)
