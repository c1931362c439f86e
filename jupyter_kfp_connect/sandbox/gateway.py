"""What Go's net/http and grpc-gateway do to a request before KFP's own code sees it.

KFP 2.17 serves its REST API through grpc-gateway v2 (``runtime.NewServeMux`` with a
protojson marshaler that refuses unknown fields, ``DiscardUnknown: false``). Before a
handler runs, the gateway parses the query string with Go's ``url.ParseQuery`` and fills the
request message with ``runtime.PopulateQueryParameters``; a body is decoded with
``protojson.Unmarshal``. Each step has its own error sentence, answered as gRPC
``InvalidArgument`` (400) without ``details``. This module reproduces those steps:

- :func:`go_query_unescape` is Go's ``url.QueryUnescape`` (strict: a ``%`` that starts no
  escape is an error, ``+`` is a space); KFP runs it a second time on ``filter``.
- :func:`parse_query` is ``url.ParseQuery`` (``;`` is refused since Go 1.17).
- :func:`int32_field` / :func:`bool_field` are ``PopulateQueryParameters`` for one scalar.
- :func:`check_message` is ``protojson.Unmarshal``'s refusal of unknown or mistyped fields,
  with its ``(line L:C)`` position.
"""

from __future__ import annotations

import json
from typing import Any, Union

from .base import ApiError

INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
_HEX = set("0123456789abcdefABCDEF")
#: protobuf-go prefixes its errors with "proto:" + a space; it picks a regular or a
#: non-breaking space per binary to stop callers comparing strings. The sandbox uses a
#: regular one.
PROTO_PREFIX = "proto: "


class GoEscapeError(ValueError):
    """``url.EscapeError``: its text is ``invalid URL escape "%zz"``."""


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` for the short fragments these errors show."""
    return json.dumps(text, ensure_ascii=False)


def go_query_unescape(value: str) -> str:
    """``url.QueryUnescape``: ``%XX`` decoded, ``+`` a space, any other ``%`` an error."""
    out = bytearray()
    i = 0
    while i < len(value):
        char = value[i]
        if char == "%":
            if i + 2 >= len(value) or value[i + 1] not in _HEX or value[i + 2] not in _HEX:
                raise GoEscapeError(f"invalid URL escape {go_quote(value[i:i + 3])}")
            out.append(int(value[i + 1:i + 3], 16))
            i += 3
        elif char == "+":
            out.append(0x20)
            i += 1
        else:
            out += char.encode()
            i += 1
    return out.decode("utf-8", errors="replace")


def parse_query(raw: str) -> dict[str, list[str]]:
    """``url.ParseQuery``: the first error wins, as in ``http.Request.ParseForm``."""
    values: dict[str, list[str]] = {}
    first_error: str | None = None
    for part in raw.split("&"):
        if not part:
            continue
        if ";" in part:
            first_error = first_error or "invalid semicolon separator in query"
            continue
        key, _, value = part.partition("=")
        try:
            key = go_query_unescape(key)
            value = go_query_unescape(value)
        except GoEscapeError as exc:
            first_error = first_error or str(exc)
            continue
        values.setdefault(key, []).append(value)
    if first_error:
        raise ApiError(400, first_error, gateway=True)
    return values


def scalar(values: dict[str, list[str]], field: str, json_name: str = "") -> str | None:
    """One scalar query field. Two values under one key are the gateway's 400; the proto
    and the JSON name are separate keys of Go's (unordered) map, each simply sets the field,
    so when both are given either may win: the sandbox lets the proto name win."""
    names = [field] + ([json_name] if json_name and json_name != field else [])
    winner: str | None = None
    for name in reversed(names):
        given = values.get(name, [])
        if len(given) > 1:
            raise ApiError(400, f"too many values for field {go_quote(field)}: {', '.join(given)}", gateway=True)
        if given:
            winner = given[0]
    return winner


def int32_field(values: dict[str, list[str]], field: str, json_name: str = "") -> int:
    """``strconv.ParseInt(value, 10, 32)`` as the gateway runs it (0 when absent)."""
    raw = scalar(values, field, json_name)
    if raw is None:
        return 0
    body = raw[1:] if raw[:1] in "+-" and raw[:1] else raw
    if not body or not body.isascii() or not body.isdigit():
        raise ApiError(400, f"parsing field {go_quote(field)}: strconv.ParseInt: parsing {go_quote(raw)}: "
                            "invalid syntax", gateway=True)
    number = int(raw)
    if not INT32_MIN <= number <= INT32_MAX:
        raise ApiError(400, f"parsing field {go_quote(field)}: strconv.ParseInt: parsing {go_quote(raw)}: "
                            "value out of range", gateway=True)
    return number


_GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
             "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def bool_field(values: dict[str, list[str]], field: str, json_name: str = "") -> bool:
    """``strconv.ParseBool`` as the gateway runs it (false when absent)."""
    raw = scalar(values, field, json_name)
    if raw is None:
        return False
    if raw not in _GO_BOOLS:
        raise ApiError(400, f"parsing field {go_quote(field)}: strconv.ParseBool: parsing {go_quote(raw)}: "
                            "invalid syntax", gateway=True)
    return _GO_BOOLS[raw]


# --- protojson: the request bodies' message shapes (from KFP's v2beta1 swagger) -----------------
STRING, ANY, STRING_MAP, TIMESTAMP = "string", "any", "map", "timestamp"
Schema = dict[str, Union[str, "Schema"]]

STATUS: Schema = {"code": ANY, "message": STRING, "details": ANY}
URL: Schema = {"pipeline_url": STRING}
PIPELINE: Schema = {
    "pipeline_id": STRING, "display_name": STRING, "name": STRING, "description": STRING,
    "created_at": TIMESTAMP, "namespace": STRING, "error": STATUS, "tags": STRING_MAP,
}
PIPELINE_VERSION: Schema = {
    "pipeline_id": STRING, "pipeline_version_id": STRING, "display_name": STRING, "name": STRING,
    "description": STRING, "created_at": TIMESTAMP, "package_url": URL, "code_source_url": STRING,
    "pipeline_spec": ANY, "error": STATUS, "tags": STRING_MAP,
}
CREATE_PIPELINE_AND_VERSION: Schema = {"pipeline": PIPELINE, "pipeline_version": PIPELINE_VERSION}


def json_name(field: str) -> str:
    """protoc's JSON name: lowerCamelCase of the proto name."""
    head, *rest = field.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def decode_body(body: bytes, schema: Schema) -> dict[str, Any]:
    """The gateway's body decoding: Go's ``encoding/json`` reads one JSON value, then
    ``protojson.Unmarshal`` refuses unknown and mistyped fields. An empty body is an empty
    message (the gateway ignores ``io.EOF``)."""
    text = body.decode("utf-8", errors="replace").lstrip(" \t\r\n")
    if not text:
        return {}
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text):
            raise ApiError(400, "unexpected EOF", gateway=True) from exc
        raise ApiError(400, f"invalid character {go_char(text[exc.pos])} looking for beginning of value",
                       gateway=True) from exc
    text = text[:end]
    if not isinstance(value, dict):
        raise _proto_error(text, 0, f"unexpected token {text[0]}")
    _check_object(text, 0, schema)
    return value


def go_char(char: str) -> str:
    """How encoding/json quotes a character in a syntax error: ``'x'``."""
    return "'" + char.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _proto_error(text: str, pos: int, message: str) -> ApiError:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return ApiError(400, f"{PROTO_PREFIX}(line {line}:{column}): {message}", gateway=True)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _check_object(text: str, i: int, schema: Schema) -> int:
    """Walk one JSON object at ``text[i]`` (already valid JSON); return the index after it."""
    decoder = json.JSONDecoder()
    by_name = {name: name for name in schema} | {json_name(name): name for name in schema}
    seen: set[str] = set()
    i = _skip(text, i + 1)
    if text[i] == "}":
        return i + 1
    while True:
        key_pos = i
        key, i = json.decoder.scanstring(text, i + 1)
        raw_key = text[key_pos:i]
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        field = by_name.get(key)
        if field is None:
            raise _proto_error(text, key_pos, f"unknown field {raw_key}")
        if field in seen:
            raise _proto_error(text, key_pos, f"duplicate field {raw_key}")
        seen.add(field)
        kind = schema[field]
        value_pos = i
        if isinstance(kind, dict) and text[i] == "{":
            i = _check_object(text, i, kind)
        else:
            value, i = decoder.raw_decode(text, i)
            if value is not None:
                _check_value(text, value_pos, text[value_pos:i], field, kind, value)
        i = _skip(text, i)
        if text[i] == "}":
            return i + 1
        i = _skip(text, i + 1)  # past the comma


def _check_value(text: str, pos: int, raw: str, field: str, kind: Any, value: Any) -> None:
    if isinstance(kind, dict):
        raise _proto_error(text, pos, f"unexpected token {raw}")
    if kind in (STRING, TIMESTAMP) and not isinstance(value, str):
        raise _proto_error(text, pos, f"invalid value for string field {json_name(field)}: {raw}")
    if kind == STRING_MAP and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
        raise _proto_error(text, pos, f"invalid value for map field {json_name(field)}: {raw}")
