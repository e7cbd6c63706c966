"""Reading YAML as plain data, with the line of every key, refusing what is not plain data.

The file is read event by event (with libyaml's parser where PyYAML has it, else PyYAML's own),
and plain data is built straight from the events: no node tree is kept, so a large file costs
little more memory than the data it holds. Tags that construct objects are refused, and so are
anchors/aliases (they are the vehicle of "billion laughs" expansion bombs and have no use in an
instance file), merge keys (``<<``), duplicate keys (the later one would silently drop the
earlier; keys that differ only in Unicode form count as the same), nesting deeper than any
instance needs, texts longer than :data:`MAX_TEXT` and files of more than :data:`MAX_VALUES`
values.

Plain (unquoted) scalars are typed as YAML 1.2's core schema types them, so that nothing is
silently reinterpreted: ``true``/``false`` are booleans, ``~``/``null`` are null, decimal numbers
(``12``, ``-0.5``, ``1e6``, ``1_000``) are numbers, and everything else is text exactly as
written. The YAML 1.1 forms that PyYAML would turn into something else stay text: ``yes``/``no``/
``on``/``off``, base-60 ``20:00``, numbers with a leading zero (``010``, octal in YAML 1.1),
``0x1F``/``0o17``/``0b101``, dates such as ``2025-01-01``. :attr:`Lines.notes` records each of
them, so that a message can say why ``special_fund: 20:00`` is not a number. A key is a whole
number only when written as one (``2025``, no sign or leading zero); any other key is its text as
written (``true:`` is the key ``'true'``).
"""

from __future__ import annotations

import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

import yaml
import yaml.events as ev

from ..errors import InputError, Problem

Location = tuple[str | int, ...]

MAX_FILE_BYTES = 50_000_000
MAX_PROBLEMS = 500
"""Problems listed for one file at the most; the rest are counted."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted (an instance needs 4)."""
MAX_TEXT = 1_000_000
"""Characters in one text (a key, a value, a CSV cell) at the most; a description of a few pages
has about 10,000."""
MAX_VALUES = 1_500_000
"""Values (scalars, lists and mappings; keys are not counted) in one YAML file at the most: 100,000
regions inline with a dozen columns each, which validate within about 480 MB. Larger region tables
belong in a ``regions_csv`` file."""

PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
"""Tags that give plain data when written explicitly (``!!int 10``); every other tag
(``!!python/…``, ``!!binary``, ``!custom``) is refused."""
_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL, _MERGE = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (tab, line feed and carriage return excepted) and the bidirectional overrides
of "Trojan source" text: a terminal or a report would act on them instead of showing them."""
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What YAML does not allow anywhere in a file (its reader would stop at it)."""
_INVISIBLE = re.compile("[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
"""Unicode format characters (category Cf): zero-width spaces and joiners, soft hyphens, direction
marks. Invisible, they make two names that look alike differ."""

_RESOLVERS: list[tuple[str, re.Pattern[str]]] = [
    (_NULL, re.compile(r"(?:~|null|Null|NULL|)\Z")),
    (_BOOL, re.compile(r"(?:true|True|TRUE|false|False|FALSE)\Z")),
    (_INT, re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")),
    (_FLOAT, re.compile(r"[-+]?(?:(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
                        r"|[0-9][0-9_]*[eE][-+]?[0-9]+|\.(?:inf|Inf|INF))\Z|\.(?:nan|NaN|NAN)\Z")),
    (_MERGE, re.compile(r"<<\Z")),
]
"""How a plain scalar is typed: YAML 1.2's core schema (``1_000`` digit groups allowed, as
PyYAML reads them); anything else is text."""
_YEAR_KEY = re.compile(r"(?:0|[1-9][0-9]{0,17})\Z")
"""A key read as a whole number (a year): digits only, no sign or leading zero, at most 18 of them."""
_YAML11 = yaml.resolver.Resolver()


def control_character(text: str) -> int | None:
    """The position of the first control character in ``text``, or ``None``."""
    match = _CONTROL.search(text)
    return None if match is None else match.start()


def invisible_character(text: str) -> int | None:
    """The position of the first invisible format character (zero-width space, …) in ``text``."""
    match = _INVISIBLE.search(text)
    return None if match is None else match.start()


def same_name(text: str) -> str:
    """What two names must not share to be told apart: the NFKC form (``é`` written as one or as two
    code points, full-width ``Ａ`` and ``A`` are the same name)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def codepoints(text: str) -> str:
    """``'é'`` → ``U+0065 U+0301``: how two names that look the same differ."""
    return " ".join(f"U+{ord(ch):04X}" for ch in text[:12]) + (" …" if len(text) > 12 else "")


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


class Lines(dict):
    """The 1-based line of key paths of a YAML file (``Location`` → line; a path on the same line
    as its parent is left out, :meth:`near` finds it); :attr:`notes`: key paths whose plain value
    YAML 1.1 would have read as something other than the text it is here, with what it would have
    been; :attr:`written`: key paths of numbers whose written form differs from how Python shows
    them (``1.50``, ``1e6``), with the text as written."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: dict[Location, str] = {}
        self.written: dict[Location, str] = {}

    def near(self, loc: Location) -> int | None:
        """The line of ``loc``, else of the closest enclosing key path that has one."""
        for cut in range(len(loc), -1, -1):
            line = self.get(loc[:cut])
            if line is not None:
                return line
        return None


def _describe_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


_MAY_RESOLVE = frozenset("~nNtTfF0123456789+-.<")
"""First characters of the scalars :data:`_RESOLVERS` can type (and of the empty scalar)."""


def _resolve(value: str) -> str:
    if value[:1] not in _MAY_RESOLVE and value:
        return _STR
    for tag, pattern in _RESOLVERS:
        if pattern.match(value):
            return tag
    return _STR


def _yaml11_note(value: str) -> str | None:
    """What YAML 1.1 (PyYAML's default) would make of a plain scalar that is text here."""
    tag = _YAML11.resolve(yaml.ScalarNode, value, (True, False))
    if tag in (_STR, "tag:yaml.org,2002:value", _NULL):
        return None
    try:
        read = _explicit(tag, value)
    except (ValueError, OverflowError):
        return None
    if tag == _BOOL:
        what = "true" if read else "false"
    elif tag in (_INT, _FLOAT):
        plain = value.lstrip("+-")
        base = (" (base 60)" if ":" in value else " (hexadecimal)" if plain[:2] == "0x" else
                " (binary)" if plain[:2] == "0b" else " (octal)" if tag == _INT and plain[:1] == "0" else "")
        what = f"the number {read:,}{base}" if tag == _INT else f"the number {read:g}{base}"
    else:
        what = "a date"
    return f"YAML 1.1 would read {value} as {what}; fiscal_opt reads it as the text {value!r}"


class _Reader:
    """Builds plain data from a parser's events, recording lines, notes and problems."""

    def __init__(self, parser: Any, file: str, text: str):
        self.parser = parser
        self.file = file
        self.lines = Lines()
        self.problems: list[Problem] = []
        self.count = 0
        self.suspect = "\\" in text or control_character(text) is not None or invisible_character(text) is not None
        """Whether a text in the file can hold a control or invisible character (raw, or as an escape)."""

    def problem(self, loc: Location, message: str, line: int) -> None:
        self.problems.append(Problem(self.file, format_location(loc), message, line))

    def document(self) -> Any:
        get = self.parser.get_event
        get()  # StreamStartEvent
        if isinstance(self.parser.peek_event(), ev.StreamEndEvent):
            return None
        get()  # DocumentStartEvent
        data = self.node((), 0)
        get()  # DocumentEndEvent
        event = self.parser.peek_event()
        if isinstance(event, ev.DocumentStartEvent):
            raise yaml.MarkedYAMLError(None, None, "the file holds more than one YAML document (a second `---`); "
                                       "keep one", event.start_mark)
        return data

    def node(self, loc: Location, depth: int, parent_line: int = 0) -> Any:
        """The next value, at ``loc``; its line is recorded when it differs from its parent's."""
        event = self.parser.get_event()
        line = event.start_mark.line + 1
        self.count += 1
        if self.count > MAX_VALUES:
            raise yaml.MarkedYAMLError(None, None, f"the file holds more than {MAX_VALUES:,} values; give a large "
                                       "region table as a `regions_csv` file", event.start_mark)
        if isinstance(event, ev.AliasEvent):
            raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed in fiscal_opt files",
                                       event.start_mark)
        if depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, f"lists and mappings are nested more than {MAX_DEPTH} levels "
                                       "deep", event.start_mark)
        if line != parent_line:
            self.lines[loc] = line
        if isinstance(event, ev.ScalarEvent):
            return self.scalar(event, loc, line)
        if event.tag not in _COLLECTION_TAGS:
            self.problem(loc, f"the tag {_describe_tag(event.tag)} is not allowed: tags that construct objects "
                         "are never honoured; write plain data", line)
            self.skip(event)
            return None
        if isinstance(event, ev.SequenceStartEvent):
            items = []
            while not isinstance(self.parser.peek_event(), ev.SequenceEndEvent):
                items.append(self.node(loc + (len(items),), depth + 1, line))
            self.parser.get_event()
            return items
        return self.mapping(loc, depth, line)

    def mapping(self, loc: Location, depth: int, line: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: dict[Any, Any] = {}
        while not isinstance(self.parser.peek_event(), ev.MappingEndEvent):
            key_line = self.parser.peek_event().start_mark.line + 1
            key = self.key(loc, depth)
            if key is None:
                self.skip(self.parser.get_event())  # the key is reported; the value under it is not looked at
                continue
            name = same_name(key) if isinstance(key, str) else str(key)
            if name in seen:
                first = seen[name]
                alike = "" if first == key else (f" (as {shown(first)}: the same name in another Unicode form, "
                                                 f"{codepoints(str(first))} against {codepoints(str(key))})")
                self.problem(loc + (key,), f"this key appears twice{alike}; write it once", key_line)
                self.skip(self.parser.get_event())
                continue
            seen[name] = key
            out[key] = self.node(loc + (key,), depth + 1, line)
        self.parser.get_event()
        return out

    def key(self, loc: Location, depth: int) -> str | int | None:
        """The next key as text or a whole number, or ``None`` with the problem recorded."""
        event = self.parser.peek_event()
        line = event.start_mark.line + 1
        if not isinstance(event, ev.ScalarEvent):
            value = self.node(loc + ("?",), depth + 1, line)
            self.lines.pop(loc + ("?",), None)
            self.problem(loc, f"a key must be a plain name, not {shown(value)}", line)
            return None
        self.parser.get_event()
        if event.tag is None and event.implicit[0]:
            if event.value == "<<":
                self.problem(loc, "YAML merge keys (<<) are not allowed; write the keys out in full", line)
                return None
            key: Any = int(event.value) if _YEAR_KEY.match(event.value) else event.value
        else:
            count = len(self.problems)
            key = self.scalar(event, loc, line)
            if len(self.problems) > count:
                return None
        if not isinstance(key, (str, int)) or isinstance(key, bool) or key == "":
            self.problem(loc, f"a key must be a plain name, not {shown(key)}", line)
            return None
        if isinstance(key, str) and self.text_problem(loc, key, line, "name"):
            return None
        return key

    def scalar(self, event: ev.ScalarEvent, loc: Location, line: int) -> Any:
        """A scalar's value, or ``None`` with a problem recorded for tags, unreadable numbers and text
        that is too long or holds control characters."""
        value, tag = event.value, event.tag
        if tag is None or tag == "!":
            tag = _resolve(value) if event.implicit[0] and tag is None else _STR
        if tag == _STR:
            if event.implicit[0] and event.tag is None:
                note = _yaml11_note(value) if value[:1] in _YAML11.yaml_implicit_resolvers else None
                if note is not None:
                    self.lines.notes[loc] = note
            return None if self.text_problem(loc, value, line, "text") else value
        if tag == _MERGE:
            self.problem(loc, "YAML merge keys (<<) are not allowed; write the keys out in full", line)
            return None
        if event.tag is not None and tag not in PLAIN_TAGS:
            self.problem(loc, f"the tag {_describe_tag(tag)} is not allowed: tags that construct objects are never "
                         "honoured; write plain data", line)
            return None
        try:
            result = _plain(tag, value) if event.tag is None else _explicit(tag, value)
        except (ValueError, OverflowError):
            digits = sum(ch.isdigit() for ch in value)
            self.problem(loc, f"a number with {digits:,} digits is too large to read", line)
            return None
        if type(result) in (int, float) and (repr(result) if type(result) is float else str(result)) != value:
            self.lines.written[loc] = value
        return result

    def text_problem(self, loc: Location, text: str, line: int, what: str) -> bool:
        """Record a problem if ``text`` is too long or holds a control or (in a name) an invisible
        character; return whether it did."""
        if len(text) > MAX_TEXT:
            self.problem(loc, f"this {what} is {len(text):,} characters long; at most {MAX_TEXT:,} are accepted", line)
            return True
        if not self.suspect:
            return False
        bad = control_character(text)
        if bad is not None:  # only "\e"-style escapes in double quotes can bring them in; the reader refuses raw ones
            self.problem(loc, f"the {what} {shown(text)} holds the control character U+{ord(text[bad]):04X}, which "
                         "is not allowed", line)
            return True
        bad = invisible_character(text) if what == "name" else None
        if bad is not None:
            self.problem(loc, f"the name {shown(text)} holds the invisible character U+{ord(text[bad]):04X} "
                         f"({unicodedata.name(text[bad], 'a format character').lower()}); remove it", line)
            return True
        return False

    def skip(self, start: ev.Event) -> None:
        """Consume the rest of the node that ``start`` opened."""
        depth = 1 if isinstance(start, (ev.SequenceStartEvent, ev.MappingStartEvent)) else 0
        while depth:
            event = self.parser.get_event()
            if isinstance(event, ev.AliasEvent):
                raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed in fiscal_opt files",
                                           event.start_mark)
            depth += isinstance(event, (ev.SequenceStartEvent, ev.MappingStartEvent))
            depth -= isinstance(event, (ev.SequenceEndEvent, ev.MappingEndEvent))


def _plain(tag: str, value: str) -> Any:
    """The value of a plain scalar typed ``tag`` by :data:`_RESOLVERS`."""
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag == _INT:
        return int(value.replace("_", ""))
    number = value.replace("_", "").lower()
    if number.lstrip("+-") == ".inf":
        return float("-inf") if number[0] == "-" else float("inf")
    return float("nan") if number == ".nan" else float(number)


def _explicit(tag: str, value: str) -> Any:
    """The value of a scalar with an explicit plain tag (``!!int 10``), as YAML defines the tag."""
    return yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, value), deep=True)


def _parser(text: str) -> Any:
    if yaml.__with_libyaml__:
        return yaml.CSafeLoader(text)
    return yaml.SafeLoader(text)


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


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    what = exc.problem or str(exc)
    mark = exc.problem_mark
    if what == "found character that cannot start any token" and mark is not None and mark.index < len(text):
        what = f"found character {text[mark.index]!r} that cannot start any token"  # libyaml leaves the character out
    elif what == "exceeded maximum nesting depth":  # libyaml's own limit, far beyond ours
        what = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"
    return what


def read_yaml(path: Path) -> tuple[Any, Lines]:
    """Read a YAML file as plain data and the 1-based line of every key path in it.

    Raises :class:`InputError` for unreadable files, non-UTF-8 bytes, syntax errors, object
    tags, aliases, merge keys, duplicate keys, deep nesting, over-long texts, files larger than
    50 MB and files of more than :data:`MAX_VALUES` values.
    """
    name = str(path)
    return parse_yaml(decode_utf8(read_bytes(path, name), name), name)


def parse_yaml(text: str, name: str) -> tuple[Any, Lines]:
    """YAML text as :func:`read_yaml` reads a file's; problems are named ``name``."""
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        before = text[:bad.start()]
        raise InputError(Problem(name, "", f"not valid YAML: the control character U+{ord(bad.group()):04X} (column "
                                 f"{bad.start() - before.rfind(chr(10))}) is not allowed in text",
                                 before.count("\n") + 1))
    parser = _parser(text)
    reader = _Reader(parser, name, text)
    try:
        data = reader.document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(Problem(name, "", f"not valid YAML: {_syntax_message(exc, text)}", line)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(name, "", f"not valid YAML: {exc}")) from None
    finally:
        parser.dispose()
    if reader.problems:
        raise input_error(reader.problems, name)
    return data, reader.lines


def input_error(problems: list[Problem], file: str) -> InputError:
    """An :class:`InputError` with every problem once (a value that holds for every year is
    reported once), at most :data:`MAX_PROBLEMS` of them and a line counting the rest."""
    problems = list(dict.fromkeys(problems))
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [Problem(file, "", f"… and {len(problems) - MAX_PROBLEMS:,} more "
                                                      "problems")]
    return InputError(problems)
