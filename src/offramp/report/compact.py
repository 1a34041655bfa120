"""Compact picture data for the self-contained HTML report.

The report inlines plotly.js and every figure's data so it opens offline. Both
were large: plotly.js's bundle is 4.8 MB and the settlement picture of the
Ukraine scenario carried 1.9 MB of hover text (each point names an example
package, issue by issue, and the same ``issue: option`` lines recur on every
point). Two lossless encodings shrink them; the page decodes both in the
browser before drawing, so the pictures are the same:

* :func:`pack_spec` replaces a trace's list of hover texts by a table of the
  distinct ``<br>``-separated lines and, per point, the indices of its lines
  (``"textpack": {"sep", "lines", "rows"}``); numbers in data arrays are
  rounded to :data:`DIGITS` significant digits (far below a pixel and below
  every hover format used). :func:`unpack_spec` is the exact inverse of the
  text packing and documents what the page's script does.
* :func:`gzip_base64` compresses plotly.js (gzip, RFC 1952, with a fixed
  timestamp so the same input gives the same bytes); the page inflates it with
  the browser's standard ``DecompressionStream("gzip")`` (Compression Streams
  API, WHATWG) and runs it before any figure is drawn.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

__all__ = ["DIGITS", "gzip_base64", "pack_spec", "unpack_spec"]

DIGITS = 6
"""Significant digits kept of each number in a trace's data arrays."""

_SEP = "<br>"
_ARRAYS = ("x", "y", "z")


def gzip_base64(text: str) -> str:
    """A text gzip-compressed (level 9, timestamp 0) and base64-encoded.

    Examples
    --------
    >>> import base64, gzip
    >>> gzip.decompress(base64.b64decode(gzip_base64("Plotly"))).decode()
    'Plotly'
    >>> gzip_base64("a") == gzip_base64("a")
    True
    """
    raw = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    return base64.b64encode(raw).decode("ascii")


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def _pack_texts(texts: list[str]) -> dict[str, Any]:
    lines: dict[str, int] = {}
    rows = [[lines.setdefault(line, len(lines)) for line in t.split(_SEP)] for t in texts]
    return {"sep": _SEP, "lines": list(lines), "rows": rows}


def pack_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A figure spec with its hover texts line-packed and its data numbers rounded.

    Only a trace whose ``text`` is a list of strings is packed, and only when
    packing makes it smaller; the input is not modified.

    Examples
    --------
    >>> texts = ["Land: Keep<br>NATO: Member", "Land: Keep<br>NATO: Neutral", "Land: Keep"]
    >>> spec = {"data": [{"x": [0.1234567891, 2.0, 3.0], "text": texts}]}
    >>> packed = pack_spec(spec)
    >>> packed["data"][0]["x"], packed["data"][0]["textpack"]["rows"]
    ([0.123457, 2.0, 3.0], [[0, 1], [0, 2], [0]])
    >>> unpack_spec(packed)["data"][0]["text"] == spec["data"][0]["text"]
    True
    """
    data = []
    for trace in spec.get("data", []):
        trace = dict(trace)
        for key in _ARRAYS:
            if isinstance(trace.get(key), list):
                trace[key] = _round(trace[key])
        marker = trace.get("marker")
        if isinstance(marker, dict) and isinstance(marker.get("size"), list):
            trace["marker"] = {**marker, "size": _round(marker["size"])}
        texts = trace.get("text")
        if isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts):
            packed = _pack_texts(texts)
            lines, rows = packed["lines"], packed["rows"]
            size = sum(map(len, lines)) + 3 * sum(map(len, rows))
            if size < sum(map(len, texts)):
                del trace["text"]
                trace["textpack"] = packed
        data.append(trace)
    return {**spec, "data": data}


def unpack_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`pack_spec`'s text packing (what the report's script does)."""
    data = []
    for trace in spec.get("data", []):
        trace = dict(trace)
        packed = trace.pop("textpack", None)
        if packed is not None:
            lines, sep = packed["lines"], packed["sep"]
            trace["text"] = [sep.join(lines[i] for i in row) for row in packed["rows"]]
        data.append(trace)
    return {**spec, "data": data}
