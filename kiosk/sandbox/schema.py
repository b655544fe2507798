"""The OpenAPI description and a small JSON Schema checker for it.

The sandbox validates request bodies against the same openapi.json it serves,
and the tests validate its replies against it: one description, both sides.
Only the JSON Schema keywords the description uses are supported.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

SPEC_FILE = "openapi.json"


@cache
def spec_bytes() -> bytes:
    return resources.files("kiosk.sandbox").joinpath(SPEC_FILE).read_bytes()


def load_spec() -> dict[str, Any]:
    """A fresh copy of the description, so callers may not corrupt the cache."""
    return json.loads(spec_bytes())


@cache
def _spec() -> dict[str, Any]:
    return load_spec()


def resolve(node: Any, spec: dict[str, Any] | None = None) -> Any:
    """Follow local `$ref`s ("#/components/...") until a real node is reached."""
    spec = spec if spec is not None else _spec()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported: {ref}")
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def request_schema(method: str, path: str) -> dict[str, Any]:
    op = _spec()["paths"][path][method.lower()]
    body = resolve(op["requestBody"])
    return resolve(body["content"]["application/json"]["schema"])


def header_schema(method: str, path: str, name: str) -> dict[str, Any]:
    op = _spec()["paths"][path][method.lower()]
    for param in map(resolve, op.get("parameters", [])):
        if param["in"] == "header" and param["name"].lower() == name.lower():
            return resolve(param["schema"])
    raise KeyError(f"{method} {path} has no header {name}")


_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is_type(value: Any, name: str) -> bool:
    # bool is an int in Python but never a JSON number.
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[name])


def _format_ok(value: str, fmt: str) -> bool:
    try:
        if fmt == "date":
            return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)) and bool(
                date.fromisoformat(value)
            )
        if fmt == "date-time":
            return "T" in value and bool(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return False
    return True  # formats we do not know are annotations only


def validate(
    value: Any, schema: dict[str, Any], spec: dict[str, Any] | None = None, where: str = "$"
) -> list[str]:
    """Problems found in `value`, each naming where, never quoting the value
    (it may be personal data). An empty list means valid."""
    schema = resolve(schema, spec)
    errors: list[str] = []
    if "discriminator" in schema and isinstance(value, dict):
        return _validate_discriminated(value, schema, spec, where)
    for keyword in ("allOf", "anyOf", "oneOf"):
        if keyword in schema:
            errors += _validate_combined(value, keyword, schema[keyword], spec, where)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, n) for n in names):
            return [f"{where}: expected {' or '.join(names)}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: unexpected value")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: not one of the allowed values")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: too short")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: too long")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: wrong format")
        if "format" in schema and not _format_ok(value, schema["format"]):
            errors.append(f"{where}: not a valid {schema['format']}")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: above {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: too few items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{where}: too many items")
        if schema.get("uniqueItems") and len({_canonical(v) for v in value}) != len(value):
            errors.append(f"{where}: items repeat")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += validate(item, schema["items"], spec, f"{where}[{i}]")
    if isinstance(value, dict):
        if len(value) < schema.get("minProperties", 0):
            errors.append(f"{where}: too few fields")
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}.{name}: missing")
        for name, item in value.items():
            if name in props:
                errors += validate(item, props[name], spec, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: unexpected field {_safe_name(name)}")
    return errors


def _validate_discriminated(
    value: dict[str, Any], schema: dict[str, Any], spec: dict[str, Any] | None, where: str
) -> list[str]:
    """OpenAPI's discriminator: the named property picks the one alternative to
    check, so a problem is reported against that alternative, not as "none matched"."""
    name = schema["discriminator"]["propertyName"]
    if name not in value:
        return [f"{where}.{name}: missing"]
    # A string first: a list or an object is no mapping key (and unhashable).
    target = (schema["discriminator"].get("mapping", {}).get(value[name])
              if isinstance(value[name], str) else None)
    if target is None:
        return [f"{where}.{name}: not one of the allowed values"]
    return validate(value, {"$ref": target}, spec, where)


def _validate_combined(
    value: Any, keyword: str, alternatives: list[Any], spec: dict[str, Any] | None, where: str
) -> list[str]:
    results = [validate(value, alt, spec, where) for alt in alternatives]
    matched = sum(1 for problems in results if not problems)
    if keyword == "allOf":
        return [p for problems in results for p in problems]
    if keyword == "anyOf" and matched == 0:
        return [f"{where}: matches none of the allowed forms"]
    if keyword == "oneOf" and matched != 1:
        return [f"{where}: matches {matched} of the allowed forms, not exactly one"]
    return []


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _safe_name(name: str) -> str:
    # A field name is chosen by the caller and so could carry anything; only
    # echo names that look like identifiers.
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", name) else "(unnamed)"
