"""Reading YAML as plain data, with the line of every key, refusing what is not plain data.

Only ``yaml.safe_load`` semantics are honoured: tags that construct objects are refused, and so are
anchors/aliases (they are the vehicle of "billion laughs" expansion bombs and have no use in an
instance file) and duplicate keys (the later one would silently drop the earlier).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

Location = tuple[str | int, ...]

MAX_FILE_BYTES = 50_000_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases while composing, before anything can expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in fiscal_opt files", event.start_mark
            )
        return super().compose_node(parent, index)


def _construct(loader: _Loader, node: yaml.Node, loc: Location, lines: dict[Location, int],
               file: str, problems: list[Problem]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(Problem(file, format_location(loc), f"a key must be a plain name, not {key!r}",
                                        key_node.start_mark.line + 1))
                continue
            if key in out:
                problems.append(Problem(file, format_location(loc + (key,)),
                                        "this key appears twice; write it once", key_node.start_mark.line + 1))
                continue
            out[key] = _construct(loader, value_node, loc + (key,), lines, file, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, loc + (i,), lines, file, problems) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def format_location(loc: Location) -> str:
    """``('regions', 3, 'population')`` → ``regions[3].population``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Read a YAML file as plain data and the 1-based line of every key path in it.

    Raises :class:`InputError` for unreadable files, non-UTF-8 bytes, syntax errors, object
    tags, aliases, duplicate keys and files larger than 50 MB.
    """
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(name, "", "file not found")) from None
    except OSError as exc:
        raise InputError(Problem(name, "", f"cannot read the file ({exc.strerror})")) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(Problem(name, "", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(name, "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")) from None
    loader = _Loader(text)
    problems: list[Problem] = []
    lines: dict[Location, int] = {}
    try:
        node = loader.get_single_node()
        data = None if node is None else _construct(loader, node, (), lines, name, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        if "could not determine a constructor" in what:
            what = "tags that construct objects are not allowed; write plain data"
        raise InputError(Problem(name, "", f"not valid YAML: {what}", line)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(name, "", f"not valid YAML: {exc}")) from None
    finally:
        loader.dispose()
    if problems:
        raise InputError(problems)
    return data, lines
