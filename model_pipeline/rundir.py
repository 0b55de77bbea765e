"""A run directory that owns its file names and remembers how every artefact in it was made.

Steps never rewrite an artefact: the first model of a run is ``model.h5`` with ``config.json`` (train,
reexport), and a step that changes the model (assemble, qat, ood) writes ``model.<n>-<step>.h5`` and
``config.<n>-<step>.json`` next to it. ``lineage.json`` lists the steps in order: the step, its command
line (paths relative to the run directory where they point into it), the code revision, the sha256 of
what it read and wrote, and its parent entry. The highest-numbered model file is the run's current
model; ``convert``, ``evaluate`` and ``bundle`` read that one, and the bundle copies the lineage into its
manifest, so ``python -m model_pipeline remake BUNDLE`` can replay it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model_pipeline.errors import DatasetError

LINEAGE_FILE = "lineage.json"
FIRST = {"model": "model.h5", "config": "config.json"}
SUFFIX = {"model": ".h5", "config": ".json"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunDir:
    """The run folder: which file is the current model and config, and where a step writes new ones."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    # fixed inputs, written once by the first step
    @property
    def split(self) -> Path:
        return self.path / "split.csv"

    @property
    def data(self) -> Path:
        return self.path / "data.json"

    def lineage(self) -> list[dict[str, Any]]:
        file = self.path / LINEAGE_FILE
        if not file.is_file():
            return []
        try:
            entries = json.loads(file.read_text())["steps"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{file}: unreadable lineage ({exc})") from exc
        return list(entries)

    def _numbered(self, kind: str) -> list[tuple[int, str, Path]]:
        """(n, step, path) of every ``<stem>.<n>-<step><suffix>`` file of ``kind`` in the run, oldest first."""
        stem, suffix = FIRST[kind].split(".")[0], SUFFIX[kind]
        pattern = re.compile(rf"^{stem}\.(\d+)-([a-z0-9-]+){re.escape(suffix)}$")
        found = []
        for path in self.path.glob(f"{stem}.*{suffix}") if self.path.is_dir() else []:
            match = pattern.match(path.name)
            if match:
                found.append((int(match.group(1)), match.group(2), path))
        return sorted(found)

    def current(self, kind: str, *, skip: tuple[str, ...] = ()) -> Path:
        """The newest ``kind`` ("model" or "config") in the run: the highest-numbered ``model.<n>-<step>.h5``
        (ignoring the steps in ``skip``: a step run again reads what came before it), else ``model.h5`` /
        ``config.json``. Derived from the names alone, so library calls that record no lineage agree."""
        for _, step, path in reversed(self._numbered(kind)):
            if step not in skip:
                return path
        return self.path / FIRST[kind]

    def new(self, kind: str, step: str) -> Path:
        """Where ``step`` writes its ``kind``: the first-producer name when there is none yet, else
        ``<stem>.<n>-<step><suffix>`` numbered after every earlier step and file (never one that exists)."""
        first = self.path / FIRST[kind]
        numbered = self._numbered(kind)
        if not first.exists() and not numbered:
            return first
        n = max([len(self.lineage()) + 1] + [k + 1 for k, _, _ in numbered])
        stem = FIRST[kind].split(".")[0]
        return self.path / f"{stem}.{n}-{step}{SUFFIX[kind]}"

    def record(self, step: str, argv: list[str], *, inputs: dict[str, Path], outputs: dict[str, Path], code_revision: str) -> dict:
        # ``outputs``: "model" / "config" name the step's new model and config (what ``current`` returns);
        # any other key is an artefact the step wrote (tflite files, reports), recorded with its hash.
        """Append ``step`` to ``lineage.json`` (atomically) with the hashes of what it read and wrote."""
        steps = self.lineage()
        entry = {
            "n": len(steps) + 1,
            "step": step,
            "argv": [self._relative(a) for a in argv],
            "code_revision": code_revision,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "parent": steps[-1]["n"] if steps else None,
            "inputs": {k: self._file_entry(p) for k, p in inputs.items()},
            "outputs": {k: self._name(p) for k, p in outputs.items()},
            "sha256": {self._name(p): _sha256(p) for p in outputs.values()},
        }
        steps.append(entry)
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / (LINEAGE_FILE + ".tmp")
        tmp.write_text(json.dumps({"steps": steps}, indent=2))
        tmp.replace(self.path / LINEAGE_FILE)
        return entry

    def _name(self, path: Path) -> str:
        path = Path(path)
        try:
            return str(path.resolve().relative_to(self.path.resolve()))
        except ValueError:
            return str(path)

    def _file_entry(self, path: Path) -> dict[str, str]:
        path = Path(path)
        return {"name": self._name(path), "sha256": _sha256(path) if path.is_file() else ""}

    def _relative(self, arg: str) -> str:
        """``--run-dir`` values and files inside the run become ``{run}``-relative, so a remake can substitute."""
        try:
            rel = Path(arg).resolve().relative_to(self.path.resolve())
        except (ValueError, OSError):
            return arg
        return "{run}" if str(rel) == "." else "{run}/" + str(rel)
