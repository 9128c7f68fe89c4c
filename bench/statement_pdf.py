"""Cost of one signed statement: render a 3-page MG11 PDF, seal it, check the seal.

Rendering lays the pages out twice (the declaration prints the page count); sealing uses
the development certificate (EC P-256) with no timestamp authority, so no network time.

Run: .venv/bin/python bench/statement_pdf.py   Merges its figures into
bench/results/statements.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_settings  # noqa: E402
from tests.unit.test_statement_document import PARAGRAPH, statement_document  # noqa: E402

from videoresponse.statements.document import layout, render_pdf  # noqa: E402
from videoresponse.statements.seal import check_seal, load_sealer  # noqa: E402

RUNS = 20
PAGES = 3
RESULTS = ROOT / "bench" / "results" / "statements.json"


def save(figures: dict[str, float | int]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    scratch = RESULTS.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    os.replace(scratch, RESULTS)


def main() -> None:
    doc = statement_document(body="\n\n".join([PARAGRAPH] * 12))
    pages = len(layout(doc).pages)
    assert pages == PAGES, f"the benchmark statement has {pages} pages, not {PAGES}"
    with tempfile.TemporaryDirectory() as folder:
        sealer = load_sealer(make_settings(Path(folder)))
        render_ms, seal_ms, check_ms = [], [], []
        for _ in range(RUNS):
            began = time.perf_counter()
            pdf = render_pdf(doc)
            rendered = time.perf_counter()
            sealed = sealer.seal(pdf, reason="benchmark")
            sealed_at = time.perf_counter()
            assert check_seal(sealed, sealer).intact
            checked = time.perf_counter()
            render_ms.append((rendered - began) * 1000)
            seal_ms.append((sealed_at - rendered) * 1000)
            check_ms.append((checked - sealed_at) * 1000)
    total = [r + s for r, s in zip(render_ms, seal_ms, strict=True)]
    figures = {
        "statement_pages": PAGES,
        "statement_runs": RUNS,
        "statement_pdf_bytes": len(sealed),
        "statement_render_p50_ms": round(statistics.median(render_ms), 1),
        "statement_seal_p50_ms": round(statistics.median(seal_ms), 1),
        "statement_check_p50_ms": round(statistics.median(check_ms), 1),
        "statement_render_and_seal_p50_ms": round(statistics.median(total), 1),
        "statement_render_and_seal_max_ms": round(max(total), 1),
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    save(figures)


if __name__ == "__main__":
    main()
