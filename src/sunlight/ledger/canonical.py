"""RFC 8785 JSON Canonicalization Scheme (JCS) for the values a ledger entry holds.

https://www.rfc-editor.org/rfc/rfc8785 : the same data always serialises to the same bytes,
so the leaf hash of an entry can be recomputed by anyone from the data. Supported types are
those JSON decoding produces: ``None``, ``bool``, ``int``, ``float``, ``str``, lists (and
tuples) and dicts with string keys.

* Objects: members sorted by their keys as UTF-16 code unit sequences (section 3.2.3), no
  whitespace anywhere.
* Strings: only ``"``, ``\\`` and control characters below U+0020 are escaped, the latter as
  ``\\b \\t \\n \\f \\r`` or ``\\u00xx`` in lower case; everything else is literal UTF-8
  (section 3.2.2.2). Lone surrogates are refused (not valid I-JSON).
* Numbers: serialised as ECMAScript's ``Number.prototype.toString`` would print the IEEE 754
  double (section 3.2.2.3). NaN and infinities are refused. Integers must be exactly
  representable as doubles, otherwise two different integers could share a serialisation.

Only the standard library is used, so that the offline verifier's readers can follow it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CanonicalizationError", "canonical_json", "canonical_string", "format_number"]

_MAX_SAFE_INT = 2**53


class CanonicalizationError(ValueError):
    """The value cannot be represented in RFC 8785 JSON."""


# The standard library's JSON string encoder (with ensure_ascii off) escapes exactly what
# RFC 8785 section 3.2.2.2 asks for: '"', '\\', and U+0000..U+001F, using the short forms
# \b \t \n \f \r and lower-case \u00xx for the rest. It does not refuse lone
# surrogates, which I-JSON forbids, so those are checked separately.
_encode_string = json.encoder.encode_basestring
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string(value: str) -> str:
    if _SURROGATE.search(value):
        raise CanonicalizationError("lone surrogate in string")
    encoded: str = _encode_string(value)
    return encoded


def format_number(value: float | int) -> str:
    """Serialise a number as ECMAScript ``Number.prototype.toString`` does (RFC 8785 3.2.2.3).

    Python's ``repr`` of a float gives the shortest digit string that round-trips, which is
    what ECMA-262 section 7.1.12.1 asks for; only the layout (where the point and the
    exponent go) differs, and is redone here.
    """
    if isinstance(value, bool):
        raise CanonicalizationError("booleans are not numbers")
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            try:
                exact = float(value) == value
            except OverflowError:
                exact = False
            if not exact:
                raise CanonicalizationError("integer is not exactly representable as a double")
            return format_number(float(value))
        return str(value)
    if not isinstance(value, float):
        raise CanonicalizationError(f"not a number: {type(value).__name__}")
    if math.isnan(value) or math.isinf(value):
        raise CanonicalizationError("NaN and infinity are not JSON numbers")
    if value == 0:
        return "0"  # also for -0.0
    sign = "-" if value < 0 else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # Position of the decimal point relative to the start of `digits` (ECMA-262's n).
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    n = len(whole) - leading_zeros + exponent
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = f"e+{e}" if e >= 0 else f"e-{-e}"
        text = (digits[0] + ("." + digits[1:] if k > 1 else "")) + exp
    return sign + text


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _sorted_keys(value: Mapping[Any, Any]) -> list[str]:
    keys = list(value)
    for key in keys:
        if type(key) is not str:
            raise CanonicalizationError("object keys must be strings")
    # Below U+D800, code point order is UTF-16 code unit order; only keys with characters
    # beyond that (rare) need the slower UTF-16 sort key.
    if all(key.isascii() for key in keys):
        return sorted(keys)
    return sorted(keys, key=_utf16_key)


def _serialise(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is dict or (kind is not list and isinstance(value, Mapping)):
        out.append("{")
        first = True
        for key in _sorted_keys(value):
            if not first:
                out.append(",")
            first = False
            out.append(_string(key))
            out.append(":")
            _serialise(value[key], out)
        out.append("}")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int and -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
        out.append(str(value))
    elif isinstance(value, int | float):
        out.append(format_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif kind is list or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)
    ):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _serialise(item, out)
        out.append("]")
    else:
        raise CanonicalizationError(f"cannot canonicalise {type(value).__name__}")


def canonical_string(value: str) -> str:
    """One JSON string, RFC 8785 style (for callers that lay out fixed-shape objects)."""
    return _string(value)


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON serialisation of ``value`` as UTF-8 bytes."""
    out: list[str] = []
    _serialise(value, out)
    return "".join(out).encode("utf-8")
