"""KFP's list options (``page_token``, ``page_size``, ``sort_by``, ``filter``) as SQL.

Like KFP's ``list`` package: paging is keyset-based (the token holds the sort value and key
of the next page's first row, plus the sort and filter it was made with), so a page costs
the same at row 10,000 as at row 1, and a token used with a different sort or filter is
refused. Predicates follow KFP's filter package (IS_SUBSTRING is SQL ``LIKE '%v%'``, the value
not escaped: ``%`` and ``_`` in it are wildcards and ``\\`` escapes, as in MySQL).

The ``filter`` value is URL-unescaped a second time (``url.QueryUnescape`` in KFP's
``parseAPIFilter``, and before that in the tag-filter extraction of the pipeline and version
listings): a ``%`` that starts no escape is a 400 and a ``+`` is a space, so a client that
means a literal ``%`` or ``+`` must escape the filter before the query string escapes it
again. Text columns compare case-insensitively (MySQL's ``_ci`` collations; the store's
columns are ``COLLATE NOCASE``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import ApiError
from .gateway import GoEscapeError, go_query_unescape, go_quote

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200

OPERATIONS = {
    "EQUALS": 1, "NOT_EQUALS": 2, "GREATER_THAN": 3, "GREATER_THAN_EQUALS": 5,
    "LESS_THAN": 6, "LESS_THAN_EQUALS": 7, "IN": 8, "IS_SUBSTRING": 9,
}
_OP_NAMES = {number: name for name, number in OPERATIONS.items()}
_SQL_OPS = {"EQUALS": "=", "NOT_EQUALS": "!=", "GREATER_THAN": ">", "GREATER_THAN_EQUALS": ">=",
            "LESS_THAN": "<", "LESS_THAN_EQUALS": "<="}
_SCALAR_KEYS = {"int_value": "intValue", "long_value": "longValue", "string_value": "stringValue",
                "timestamp_value": "timestampValue"}
_LIST_KEYS = {"int_values": "intValues", "long_values": "longValues", "string_values": "stringValues"}
_PREDICATE_FIELDS = {"operation", "key", *_SCALAR_KEYS, *_SCALAR_KEYS.values(), *_LIST_KEYS, *_LIST_KEYS.values()}


@dataclass(frozen=True)
class Listing:
    """How one resource lists: API field -> column, the key column, the default sort."""

    resource: str
    fields: dict[str, str]
    key_column: str = "id"
    default_sort: str = "created_at"
    time_columns: frozenset[str] = frozenset({"created_at"})
    #: SQL to select from instead of the bare table (adds computed columns such as a run's state)
    source: str = ""
    #: "pipelines" / "pipeline versions": KFP's v2beta1 listing that extracts ``tags.*``
    #: predicates first (one more unescape) and wraps option errors in its own sentences
    plural: str = ""


@dataclass
class ListQuery:
    listing: Listing
    page_size: int
    sort_column: str
    desc: bool
    predicates: list[dict[str, Any]] = field(default_factory=list)
    after: tuple[Any, Any] | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions and parameters for the filter (not the page position)."""
        clauses: list[str] = []
        params: list[Any] = []
        for pred in self.predicates:
            column, op, value = pred["column"], pred["op"], pred["value"]
            if column in self.listing.time_columns:
                # KFP keeps times in whole seconds: a filter on a row's own created_at finds
                # it, and GREATER_THAN T skips everything of second T.
                column = f"({column} / 1000000)"
            if op == "IN":
                clauses.append(f"{column} IN ({', '.join('?' * len(value))})" if value else "0")
                params.extend(value)
            elif op == "IS_SUBSTRING":
                # MySQL's LIKE: '\\' escapes the next character (a lone trailing one is literal)
                clauses.append(f"{column} LIKE ? ESCAPE '\\'")
                params.append(f"%{_like_value(value)}%")
            else:
                clauses.append(f"{column} {_SQL_OPS[op]} ?")
                params.append(value)
        return clauses, params

    def page_clause(self) -> tuple[str, list[Any]]:
        """Keyset condition: rows at or after the token's row, in sort order."""
        if self.after is None:
            return "", []
        sort_value, key_value = self.after
        cmp = "<" if self.desc else ">"
        cmp_eq = "<=" if self.desc else ">="
        col, key = self.sort_column, self.listing.key_column
        return (f"({col} {cmp} ? OR ({col} = ? AND {key} {cmp_eq} ?))",
                [sort_value, sort_value, key_value])

    def order_by(self) -> str:
        direction = "DESC" if self.desc else "ASC"
        return f"{self.sort_column} {direction}, {self.listing.key_column} {direction}"

    def next_token(self, row: dict[str, Any]) -> str:
        """Token whose page starts at ``row`` (the one fetched beyond the page)."""
        token = {"sort": self.sort_column, "desc": self.desc, "filter": self.predicates,
                 "sort_value": row[self.sort_column], "key_value": row[self.listing.key_column],
                 "model": self.listing.resource}
        return base64.b64encode(json.dumps(token, separators=(",", ":")).encode()).decode()


def parse_list_request(listing: Listing, page_token: str, page_size: int, sort_by: str,
                       filter_spec: str) -> ListQuery:
    """KFP's ``validatedListOptions`` (after the tag-filter extraction of the pipeline and
    version listings), its errors wrapped as the v2beta1 server wraps them."""
    if listing.plural:
        try:
            _tag_stage(filter_spec)
        except ApiError as exc:
            raise exc.wrap(f"Failed to list {listing.plural} due to invalid tag filter in filter spec") from exc
    try:
        return _list_options(listing, page_token, page_size, sort_by, filter_spec)
    except ApiError as exc:
        if not listing.plural:
            raise
        raise exc.wrap(f"Failed to list {listing.plural} due invalid list options: pageToken: {page_token}, "
                       f"pageSize: {page_size}, sortBy: {sort_by}, filter: {filter_spec}") from exc


def _tag_stage(filter_spec: str) -> None:
    """``extractTagFiltersFromFilterSpec``: unescape and parse once to find ``tags.*`` keys
    (the sandbox supports none; their predicates fail later as unknown fields)."""
    if not filter_spec:
        return
    try:
        decoded = go_query_unescape(filter_spec)
    except GoEscapeError as exc:
        raise _invalid(f"failed to decode filter spec: {exc}") from exc
    try:
        json.loads(decoded)
    except ValueError as exc:
        raise _invalid(f"failed to parse filter spec: {exc}") from exc


def _invalid(message: str) -> ApiError:
    """``util.NewInvalidInputError``: the chain says "Invalid input error: ", the external
    sentence does not."""
    return ApiError(400, f"Invalid input error: {message}", external=message)


def _list_options(listing: Listing, page_token: str, size: int, sort_by: str, filter_spec: str) -> ListQuery:
    size = _page_size(size)
    if page_token:
        token = _decode_token(page_token)
        query = ListQuery(listing, size, token["sort"], token["desc"], token["filter"],
                          (token["sort_value"], token["key_value"]))
        if sort_by or filter_spec:
            fresh = _fresh_query(listing, size, sort_by, filter_spec)
            if (fresh.sort_column, fresh.desc, fresh.predicates) != (query.sort_column, query.desc, query.predicates):
                raise _invalid("page token does not match the supplied sort by and/or filtering criteria. "
                               "Either specify the same criteria or leave the latter empty if page token "
                               "is specified")
        if token.get("model") != listing.resource:
            raise _invalid("Invalid page token: it belongs to another listing")
        return query
    return _fresh_query(listing, size, sort_by, filter_spec)


def _fresh_query(listing: Listing, size: int, sort_by: str, filter_spec: str) -> ListQuery:
    column, desc = _sort(listing, sort_by)
    return ListQuery(listing, size, column, desc, _predicates(listing, filter_spec))


def _page_size(size: int | str) -> int:
    if isinstance(size, str):  # a Python caller's string (the API parses its own)
        try:
            size = int(size or 0)
        except ValueError as exc:
            raise _invalid(f"invalid page size {size!r}") from exc
    if size < 0:
        raise _invalid(f"The page size should be greater than 0. Got {size}")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _like_value(value: Any) -> str:
    """A LIKE pattern as MySQL reads it, for SQLite's ``ESCAPE '\\'``: ``\\`` before ``%``, ``_``
    or ``\\`` makes it literal, before anything else it is dropped, and a trailing one is
    literal."""
    text, out, i = str(value), [], 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            out.append(char)
            i += 1
        elif i + 1 < len(text):
            following = text[i + 1]
            out.append("\\" + following if following in "%_\\" else following)
            i += 2
        else:
            out.append("\\\\")
            i += 1
    return "".join(out)


def _sort(listing: Listing, sort_by: str) -> tuple[str, bool]:
    words = sort_by.lower().split()
    if len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
        raise _invalid(f'Received invalid sort by format "{sort_by}". Supported format: '
                            '"field_name", "field_name desc", or "field_name asc"')
    if not words:
        return listing.fields[listing.default_sort], False
    if words[0] not in listing.fields:
        raise _invalid(f'Invalid sorting field: "{words[0]}" on listable type {listing.resource}')
    return listing.fields[words[0]], len(words) == 2 and words[1] == "desc"


def _decode_token(page_token: str) -> dict[str, Any]:
    try:
        token = json.loads(base64.b64decode(page_token, validate=True))
        if not isinstance(token, dict) or not {"sort", "desc", "filter", "sort_value", "key_value"} <= set(token):
            raise ValueError("missing fields")
        return token
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, f"InvalidInputError: Invalid page token: {exc}", external="Invalid page token") from exc


def _predicates(listing: Listing, filter_spec: str) -> list[dict[str, Any]]:
    """``parseAPIFilter``: ``url.QueryUnescape`` (strict), then protojson of a Filter."""
    if not filter_spec:
        return []
    try:
        spec = json.loads(go_query_unescape(filter_spec))
    except (GoEscapeError, ValueError) as exc:
        raise _invalid(f"failed to parse valid filter from {go_quote(filter_spec)}: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("predicates", []), list):
        raise _invalid(f"failed to parse valid filter from {go_quote(filter_spec)}")
    return [_predicate(listing, p) for p in spec.get("predicates", [])]


def _predicate(listing: Listing, pred: Any) -> dict[str, Any]:
    if not isinstance(pred, dict):
        raise _invalid("each filter predicate must be an object")
    unknown = set(pred) - _PREDICATE_FIELDS
    if unknown:  # KFP's protojson parser is strict
        raise _invalid(f"failed to parse valid filter: unknown field {sorted(unknown)[0]!r}")
    op = pred.get("operation")
    op = _OP_NAMES.get(op, op) if isinstance(op, int) else op
    if op not in OPERATIONS:
        raise _invalid(f"invalid predicate operation: {op}")
    key = pred.get("key", "")
    if key not in listing.fields:
        raise _invalid(f'no support for filtering on unrecognized field "{key}"')
    column = listing.fields[key]
    scalar = _value(pred, _SCALAR_KEYS)
    values = _value(pred, _LIST_KEYS)
    if op == "IN":
        if values is None:
            raise _invalid("cannot use IN operator with a scalar value")
        items = values.get("values", []) if isinstance(values, dict) else values
        return {"column": column, "op": op, "value": [_scalar(listing, column, v) for v in items]}
    if values is not None:
        raise _invalid(f"cannot use scalar operator {op} on an array value")
    if scalar is None:
        raise _invalid(f'no value set for predicate on key "{key}"')
    if op == "IS_SUBSTRING" and scalar[0] != "string_value":
        raise _invalid(f"cannot use non string value type with operator {op}")
    kind, raw = scalar
    value = _timestamp(raw) if kind == "timestamp_value" else raw
    return {"column": column, "op": op, "value": _scalar(listing, column, value)}


def _value(pred: dict[str, Any], names: dict[str, str]) -> Any:
    for snake, camel in names.items():
        for name in (snake, camel):
            if name in pred:
                return (snake, pred[name]) if names is _SCALAR_KEYS else pred[name]
    return None


def _scalar(listing: Listing, column: str, value: Any) -> Any:
    """Times as whole seconds (as KFP compares them), numbers given as strings as numbers."""
    if column in listing.time_columns:
        if isinstance(value, str) and not value.lstrip("-").isdigit():
            value = _timestamp(value)
        return int(value)
    return value


def _timestamp(raw: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp())
    except ValueError as exc:
        raise _invalid(f"invalid timestamp: {raw}") from exc
