"""A corrupt or truncated model: `triage models promote` refuses it; a running service keeps its model.

Usage: python -m reliability.corrupt_model

Copies the active bundled model into a temporary models dir as `v1-good`, then adds
  v2-truncated  model.joblib cut to half its size (the sha256 in metadata.json no longer matches);
  v3-garbage    model.joblib replaced by random bytes *and* metadata's sha256 updated to match, so
                only joblib's load can catch it;
  v4-good       an intact copy (positive control: shows the service does reload within the window).
Each version's metadata "version" is its folder name, so responses show which one serves.
Checks promotion refuses v2 and v3 (ACTIVE unchanged); then, with a service (2 workers, SQLite,
MODEL_RELOAD_SECONDS=0.5) under load, ACTIVE is overwritten to name v2, then v3: every answer stays
200 from v1-good; finally ACTIVE names v4-good and answers switch to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from reliability.common import TRIAGE, LoadClient, Server, fail_if, summarize
from triage.engine import default_models_dir, resolve_model_dir
from triage.model import file_sha256


def make_version(root: Path, source: Path, name: str, corrupt: str | None = None) -> None:
    folder = root / name
    shutil.copytree(source, folder)
    model = folder / "model.joblib"
    if corrupt == "truncate":
        with open(model, "r+b") as handle:
            handle.truncate(model.stat().st_size // 2)
    elif corrupt == "garbage":
        model.write_bytes(os.urandom(model.stat().st_size))
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metadata["version"] = name
    if corrupt == "garbage":
        metadata["model_sha256"] = file_sha256(model)
    (folder / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")


def point(root: Path, name: str) -> None:
    """Force ACTIVE to name `name` (as a careless operator or a bad deploy would), atomically."""
    temporary = root / ".ACTIVE.tmp"
    temporary.write_text(name + "\n")
    os.replace(temporary, root / "ACTIVE")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="triage-reliability-") as folder:
        root = Path(folder) / "models"
        root.mkdir()
        source = resolve_model_dir(default_models_dir())
        make_version(root, source, "v1-good")
        make_version(root, source, "v2-truncated", "truncate")
        make_version(root, source, "v3-garbage", "garbage")
        make_version(root, source, "v4-good")
        point(root, "v1-good")
        env = {**os.environ, "TRIAGE_MODELS_DIR": str(root)}
        promotions = {}
        for name in ("v2-truncated", "v3-garbage"):
            done = subprocess.run([TRIAGE, "models", "promote", name], env=env, capture_output=True, text=True)
            active = (root / "ACTIVE").read_text().strip()
            promotions[name] = (done.returncode, active, done.stderr.strip().splitlines()[-1:])

        instance = Path(folder) / "instance"
        instance.mkdir()
        server = Server(instance, workers=2, env={"TRIAGE_MODELS_DIR": str(root), "TRIAGE_MODEL_RELOAD_SECONDS": "0.5"})
        server.start()
        phases = {}
        try:
            for name, seconds in (("v1-good", 3), ("v2-truncated", 5), ("v3-garbage", 5), ("v4-good", 5)):
                point(root, name)
                client = LoadClient(server.port, server.token, rate=25, threads=8, prefix=f"model-{name}")
                phases[name] = client.run(seconds)
            log = server.log_path.read_text(errors="replace")
        finally:
            server.stop()

    failures = []
    for name, (code, active, message) in promotions.items():
        print(f"triage models promote {name}: exit {code}, ACTIVE still {active}; {message[0] if message else ''}")
        if code == 0 or active != "v1-good":
            failures.append(f"promotion of {name} not refused")
    for name, outcomes in phases.items():
        stats = summarize(outcomes)
        versions = sorted({o.model_version for o in outcomes if o.model_version})
        print(f"ACTIVE -> {name}: {stats['requests']} requests, {stats['statuses']}, model_version served {versions}")
        if stats["errors"]:
            failures.append(f"{stats['errors']} errors while ACTIVE named {name}")
        expected = {"v4-good"} if name == "v4-good" else {"v1-good"}
        served = set(versions) if name != "v4-good" else {o.model_version for o in outcomes[-20:]}
        if served != expected:
            failures.append(f"while ACTIVE named {name} the service answered with {sorted(served)}")
    print(f"server log: {log.count('load failed')} 'load failed' log lines (one per worker per bad pointer)")
    fail_if(failures)


if __name__ == "__main__":
    main()
