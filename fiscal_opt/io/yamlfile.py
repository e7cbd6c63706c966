"""Reading YAML as plain data, with the line of every key, refusing what is not plain data.

Only ``yaml.safe_load`` semantics are honoured: tags that construct objects are refused, and so are
anchors/aliases (they are the vehicle of "billion laughs" expansion bombs and have no use in an
instance file), merge keys (``<<``), duplicate keys (the later one would silently drop the earlier)
and nesting deeper than any instance needs. Numbers in exponent form are read as YAML 1.2 reads
them: ``1e6`` is a number, not the text "1e6".
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem

Location = tuple[str | int, ...]

MAX_FILE_BYTES = 50_000_000
MAX_PROBLEMS = 500
"""Problems listed for one file at the most; the rest are counted."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted (an instance needs 4)."""

PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
"""Scalar tags that give plain data; every other tag (``!!python/…``, ``!!binary``, ``!custom``) is refused."""
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"  # what YAML 1.1 makes of a lone `=`; read as text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (tab, line feed and carriage return excepted) and the bidirectional overrides
of "Trojan source" text: a terminal or a report would act on them instead of showing them."""


def control_character(text: str) -> int | None:
    """The position of the first control character in ``text``, or ``None``."""
    match = _CONTROL.search(text)
    return None if match is None else match.start()


def clip(text: str) -> str:
    """Text cut short for a message: never thousands of characters long."""
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text):,} characters)"


def shown(value: Any) -> str:
    """A value as a message quotes it: short, control characters escaped (``'\\x1b'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return clip(repr(value))


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting while composing, before anything can expand."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in fiscal_opt files", event.start_mark
            )
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"lists and mappings are nested more than {MAX_DEPTH} levels deep",
                self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 (PyYAML) reads 1e6 and 1.5e3 as text; YAML 1.2 and every analyst read them as numbers.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _describe_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _scalar(loader: _Loader, node: yaml.Node, loc: Location, file: str, problems: list[Problem]) -> Any:
    """A plain scalar's value, or ``None`` with a problem recorded for tags and unreadable numbers."""
    line = node.start_mark.line + 1
    if node.tag == _MERGE_TAG:
        problems.append(Problem(file, format_location(loc), "YAML merge keys (<<) are not allowed; write the keys "
                                "out in full", line))
        return None
    if node.tag == _VALUE_TAG and isinstance(node, yaml.ScalarNode):
        return node.value
    if node.tag not in PLAIN_TAGS or not isinstance(node, yaml.ScalarNode):
        problems.append(Problem(file, format_location(loc), f"the tag {_describe_tag(node.tag)} is not allowed: "
                                "tags that construct objects are never honoured; write plain data", line))
        return None
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):
        digits = sum(ch.isdigit() for ch in str(node.value))
        problems.append(Problem(file, format_location(loc), f"a number with {digits:,} digits is too large to "
                                "read", line))
        return None
    bad = control_character(value) if isinstance(value, str) else None
    if bad is not None:  # only "\e"-style escapes in double quotes can bring them in; the reader refuses raw ones
        problems.append(Problem(file, format_location(loc), f"the text {shown(value)} holds the control character "
                                f"U+{ord(value[bad]):04X}, which is not allowed", line))
        return None
    return value


def _construct(loader: _Loader, node: yaml.Node, loc: Location, lines: dict[Location, int],
               file: str, problems: list[Problem]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode) and node.tag == _MAP_TAG:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                count = len(problems)
                key = _scalar(loader, key_node, loc, file, problems)
                if len(problems) > count:
                    continue  # the key is reported; the value under it is not looked at
            else:
                key = loader.construct_object(key_node, deep=True) if key_node.tag in (_MAP_TAG, _SEQ_TAG) else None
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
    if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
        return [_construct(loader, item, loc + (i,), lines, file, problems) for i, item in enumerate(node.value)]
    return _scalar(loader, node, loc, file, problems)


def format_location(loc: Location) -> str:
    """``('regions', 3, 'population')`` → ``regions[3].population``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_bytes(path: Path, name: str, what: str = "file") -> bytes:
    """The bytes of a regular file of at most 50 MB (not a folder, device or pipe, which could
    block or never end); raises :class:`InputError` otherwise."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(Problem(name, "", f"{what} not found")) from None
    except OSError as exc:
        raise InputError(Problem(name, "", f"cannot read the {what} ({exc.strerror})")) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(Problem(name, "", f"this is a folder; expected a {what}"))
    if not stat.S_ISREG(info.st_mode):
        raise InputError(Problem(name, "", f"not a regular file; expected a {what}"))
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(Problem(name, "", f"cannot read the {what} ({exc.strerror})")) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(Problem(name, "", f"the file is larger than the limit of {MAX_FILE_BYTES:,} bytes"))
    return raw


def decode_utf8(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is allowed); raises :class:`InputError` for other encodings."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(Problem(name, "", f"not UTF-8 text (byte {exc.start}, {raw[exc.start:exc.start + 4]!r}); "
                                 "save the file as UTF-8 (GBK and Latin-1 files must be converted)", line)) from None


def read_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Read a YAML file as plain data and the 1-based line of every key path in it.

    Raises :class:`InputError` for unreadable files, non-UTF-8 bytes, syntax errors, object
    tags, aliases, merge keys, duplicate keys, deep nesting and files larger than 50 MB.
    """
    name = str(path)
    text = decode_utf8(read_bytes(path, name), name)
    problems: list[Problem] = []
    lines: dict[Location, int] = {}
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        data = None if node is None else _construct(loader, node, (), lines, name, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        if "found another document" in what:
            what = "the file holds more than one YAML document (a second `---`); keep one"
        elif "could not determine a constructor" in what:
            what = "tags that construct objects are not allowed; write plain data"
        raise InputError(Problem(name, "", f"not valid YAML: {what}", line)) from None
    except yaml.reader.ReaderError as exc:  # control characters such as NUL
        before = text[:exc.position]
        raise InputError(Problem(name, "", f"not valid YAML: the control character U+{exc.character:04X} (column "
                                 f"{exc.position - before.rfind(chr(10))}) is not allowed in text",
                                 before.count("\n") + 1)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(name, "", f"not valid YAML: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise input_error(problems, name)
    return data, lines


def input_error(problems: list[Problem], file: str) -> InputError:
    """An :class:`InputError` with every problem once (a value that holds for every year is
    reported once), at most :data:`MAX_PROBLEMS` of them and a line counting the rest."""
    problems = list(dict.fromkeys(problems))
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [Problem(file, "", f"… and {len(problems) - MAX_PROBLEMS:,} more "
                                                      "problems")]
    return InputError(problems)
