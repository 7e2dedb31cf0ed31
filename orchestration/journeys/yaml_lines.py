"""YAML with line numbers: map a validation error's location back to the line that holds it.

PyYAML's composer keeps a start mark on every node. :func:`load` returns the plain data (for pydantic)
and the node tree; :func:`line_of` walks the tree along a pydantic error location (``("steps", 2,
"wait")``) and returns the 1-based line of the deepest node it reaches: the offending value, or, for a
missing key, the mapping that lacks it. Location parts that are not keys of the document (pydantic puts
the tag of a discriminated union in the path, e.g. ``("trigger", "absence", "within")``) are skipped.
"""

from __future__ import annotations

from typing import Any

import yaml


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """``(data, node)``: the document as Python objects and as a node tree (None for an empty file).

    Raises ``yaml.YAMLError`` (with its own line in ``problem_mark``) on a syntax error."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None, None
    return yaml.safe_load(text), node


def _child(node: yaml.Node, part: object) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


def _key_node(node: yaml.Node, part: object) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key
    return None


def line_of(node: yaml.Node | None, loc: tuple[object, ...]) -> int:
    """1-based line of the deepest node reached along ``loc`` (1 when there is no document). When that
    node is a whole mapping or list, the line of its key: that is where a reader looks."""
    if node is None:
        return 1
    current, key = node, None
    for part in loc:
        child = _child(current, part)
        if child is None:
            continue  # a union tag, or a key that is missing (the error is about current's mapping)
        key, current = _key_node(current, part), child
    if key is not None and isinstance(current, yaml.MappingNode | yaml.SequenceNode):
        current = key
    return current.start_mark.line + 1
