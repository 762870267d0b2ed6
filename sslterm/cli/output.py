"""Plain-text output for the command line: safe for terminals, stable for scripts."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any, Iterable, Sequence

from sslterm.core.display import printable as safe


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A left-aligned text table with a header line."""
    body = [[safe("" if v is None else v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(v)) for w, v in zip(widths, row)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines)


# JSON escapes C0 controls itself; C1 controls (U+0080-U+009F, CSI among them), zero-width and
# bidi characters pass through ensure_ascii=False as raw text that a terminal or a reader acts on.
_JSON_UNSAFE = re.compile("[\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# OWASP's rule for CSV injection: a cell a spreadsheet would read as a formula gets a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(data: Any) -> str:
    """Indented JSON with readable Unicode, every control and bidi character escaped as ``\\uXXXX``."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue().rstrip("\n")


def csv_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet: text that starts like a formula is quoted; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = safe(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
