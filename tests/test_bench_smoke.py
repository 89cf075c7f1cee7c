"""The benchmark must keep running: a quick bench on a tiny database yields every figure.

No timing is asserted (that is `make bench`'s job); a figure may be ``n/a`` only
because its feature does not exist yet, never because the harness broke.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.run import figure_specs, global_specs

ROOT = Path(__file__).resolve().parent.parent
CUSTOMERS = 200


def test_quick_bench_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--customers",
            str(CUSTOMERS),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    figures = {f["key"]: f for f in data["figures"]}
    expected = [f.key for f in figure_specs(CUSTOMERS) + global_specs([CUSTOMERS], CUSTOMERS)]
    assert sorted(figures) == sorted(expected)
    for key in expected:
        f = figures[key]
        if f["status"] == "missing":
            assert f["note"].startswith("n/a (missing"), f
            assert f["median"] is None
            continue
        assert f["status"] == "ok", f"{key}: {f['note']}"
        assert f["runs"] and all(isinstance(v, float | int) and v > 0 for v in f["runs"]), f
        assert f["min"] <= f["median"] <= f["max"]
        if f["target"] is not None:
            assert f["passed"] in (True, False)
    assert data["meta"]["quick"] is True
    # The printed table names every figure too.
    for key in expected:
        assert figures[key]["label"] in proc.stdout
