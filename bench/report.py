"""Shared output of the benchmark scripts: a readable table, or JSON lines (DESIGN.md section 9).

A script builds ``Row``s and calls ``emit(rows, as_json=args.json)``; ``parse_args`` gives every
script the same ``--smoke``/``--json`` flags, and ``bench/run_all.py`` collects the JSON lines.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One figure, optionally against a reference measured in the same run and a target."""

    what: str
    value: float
    unit: str
    reference: float | None = None
    target: float | None = None
    # Times want to be at most the target; throughputs at least.
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    @property
    def ok(self) -> bool:
        if self.target is None:
            return True
        if self.higher_is_better:
            return self.value >= self.target
        return self.value <= self.target

    def as_dict(self) -> dict[str, object]:
        return {
            "what": self.what,
            "value": self.value,
            "unit": self.unit,
            "reference": self.reference,
            "ratio": self.ratio,
            "target": self.target,
            "ok": self.ok,
        }


def parse_args(description: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="a seconds-long version (CI)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser.parse_args()


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def emit(rows: Sequence[Row], *, as_json: bool) -> None:
    """Print the rows as JSON lines (``as_json``) or as an aligned table."""
    dicts = [row.as_dict() for row in rows]
    if as_json:
        for d in dicts:
            print(json.dumps(d))
        return
    headers = ["what", "value", "unit", "reference", "ratio", "target", "ok"]
    table = [[_fmt(d[h]) for h in headers] for d in dicts]
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
