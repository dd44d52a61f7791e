"""Run every benchmark in bench/ and print one table (`make bench`; `--smoke` for CI).

Each benchmark is its own script printing JSON lines with --json (DESIGN.md section 9); this
collects them, prints the table and writes bench/results/latest.csv plus a chart of every figure's
ratio against its target (latest.png; smoke.csv/smoke.png with --smoke). A benchmark that crashes
fails the run; a figure that misses its target is reported (ok=false) without failing the run,
because a 2-core CI machine shared with other work is no place to enforce timings.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP = {"run_all.py", "report.py", "scratch.py"}
FIELDS = ["bench", "what", "value", "unit", "reference", "ratio", "target", "ok"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds-long versions")
    parser.add_argument("only", nargs="*", help="benchmark names (default: all)")
    args = parser.parse_args()
    scripts = sorted(
        p for p in HERE.glob("*.py") if p.name not in SKIP and not p.name.startswith("_")
    )
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    rows: list[dict] = []
    failed: list[str] = []
    for script in scripts:
        started = time.monotonic()
        command = [sys.executable, str(script), "--json", *(["--smoke"] if args.smoke else [])]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, cwd=HERE.parent, timeout=1800
        )
        took = time.monotonic() - started
        if result.returncode != 0:
            failed.append(script.stem)
            print(f"!! {script.stem} failed ({result.returncode}):\n{result.stderr[-3000:]}")
            continue
        for line in result.stdout.splitlines():
            if line.startswith("{"):
                rows.append({"bench": script.stem, **json.loads(line)})
        print(f"-- {script.stem}: {took:.1f} s", file=sys.stderr)
    _print(rows)
    out = HERE / "results" / ("smoke.csv" if args.smoke else "latest.csv")
    out.parent.mkdir(exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    chart = _chart(rows, out.with_suffix(".png"))
    print(
        f"\n{len(rows)} figures, {sum(1 for r in rows if r.get('ok') is False)} off target; "
        f"written to {out.relative_to(HERE.parent)}"
        + (f" and {chart.relative_to(HERE.parent)}" if chart else "")
    )
    return 1 if failed else 0


def _target_ratio(row: dict) -> float | None:
    """The target as a ratio to the reference (targets are stated on the value)."""
    target, reference = row.get("target"), row.get("reference")
    if target is None or not reference:
        return None
    return float(target) / float(reference)


def _chart(rows: list[dict], out: Path) -> Path | None:
    """Bar chart of ours/reference per figure that has a reference, its target marked.

    Rows without a reference (or skipped by their benchmark) are left out; with none left no
    chart is written. matplotlib is a dev dependency: without it the CSV still gets written.
    """
    plotted = [r for r in rows if isinstance(r.get("ratio"), int | float) and r["ratio"] > 0]
    if not plotted:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no chart (make install brings it)", file=sys.stderr)
        return None
    labels = [f"{r['bench']}: {r['what']}"[:90] for r in plotted]
    ratios = [float(r["ratio"]) for r in plotted]
    colours = [
        "tab:red" if r.get("ok") is False else "tab:green" if _target_ratio(r) else "tab:gray"
        for r in plotted
    ]
    figure, axes = plt.subplots(figsize=(11, 0.45 * len(plotted) + 1.5))
    positions = range(len(plotted))
    axes.barh(positions, ratios, color=colours)
    for y, row in zip(positions, plotted, strict=True):
        if (target := _target_ratio(row)) is not None:
            axes.plot([target, target], [y - 0.4, y + 0.4], color="black", linewidth=2)
    axes.axvline(1.0, color="gray", linestyle=":", linewidth=1)
    axes.set_yticks(list(positions), labels, fontsize=7)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("ours / reference (log scale); black tick: target; red: off target")
    axes.set_title(out.stem)
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return out


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def _print(rows: list[dict]) -> None:
    headers = ["bench", "what", "value", "unit", "reference", "ratio", "target", "ok"]
    table = [[_fmt(row.get(h)) for h in headers] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    raise SystemExit(main())
