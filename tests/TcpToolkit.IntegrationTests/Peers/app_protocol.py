# The framing both app peers share (guide-wire-protocol.md, section 3.2/3.3), written for these tests: a 2-byte
# big-endian header length, a JSON header {byteorder, content-type, content-encoding, content-length}, the content.
# JSON is json.dumps(ensure_ascii=False) in UTF-8, so frames are byte-identical to the guide's.
import io
import json
import struct
import sys

REQUIRED = ("byteorder", "content-length", "content-type", "content-encoding")


def json_bytes(obj, encoding="utf-8"):
    return json.dumps(obj, ensure_ascii=False).encode(encoding)


def json_value(data, encoding):
    with io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") as text:
        return json.load(text)


def frame(content_type, content_encoding, content):
    header = json_bytes({
        "byteorder": sys.byteorder,
        "content-type": content_type,
        "content-encoding": content_encoding,
        "content-length": len(content),
    })
    return struct.pack(">H", len(header)) + header + content


def try_parse(buffer):
    """Returns (header, content, rest) once a whole frame is buffered, else None. Raises on a bad header."""
    if len(buffer) < 2:
        return None
    header_length = struct.unpack(">H", buffer[:2])[0]
    if len(buffer) < 2 + header_length:
        return None
    header = json_value(buffer[2:2 + header_length], "utf-8")
    for key in REQUIRED:
        if key not in header:
            raise ValueError(f"Missing required header '{key}'.")
    end = 2 + header_length + header["content-length"]
    if len(buffer) < end:
        return None
    return header, buffer[2 + header_length:end], buffer[end:]
