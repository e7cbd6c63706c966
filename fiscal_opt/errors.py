"""Exceptions a user can cause, each with the exit code the command line gives it.

Every error that bad input or an impossible policy can raise derives from
:class:`FiscalOptError`; the CLI prints its message and exits with ``exit_code``. Each pickles
with what it was made from, so that an error raised in a worker process (sweeps and scenarios
on local processes or a cluster) reaches the command line whole.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file.

    ``path`` is the key path inside the file (``regions[3].population``), ``line`` the 1-based
    line number where the offending value stands (``None`` when unknown).
    """

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class FiscalOptError(Exception):
    """Base of every error a user can cause; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(FiscalOptError):
    """Bad input: the files cannot be read or do not follow the contract (exit code 2).

    Holds every problem found, not only the first.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        listed = [p for p in self.problems if not p.message.startswith("… and")]
        more = len(self.problems) > len(listed)
        head = "1 problem" if len(listed) == 1 and not more else f"{len(listed)}{'+' if more else ''} problems"
        super().__init__(f"{head} in the input:\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self) -> tuple:
        return type(self), (self.problems,)


class InfeasibleError(FiscalOptError):
    """The policy's rules cannot all hold at once (exit code 3).

    ``rules`` names the rules involved (MODEL.md §5 names, with indices where known);
    ``repairs`` lists the nearest feasible change of each rule involved, where one was found.
    """

    exit_code = 3

    def __init__(self, message: str, rules: list[str], repairs: list[dict] | None = None):
        self.rules = rules
        self.repairs = repairs or []
        super().__init__(message)

    def __reduce__(self) -> tuple:
        return type(self), (str(self), self.rules, self.repairs)


class SolverError(FiscalOptError):
    """The solver failed or stopped at a limit: no trustworthy answer (exit code 4)."""

    exit_code = 4


class OutputError(FiscalOptError):
    """The file system refused the results: a folder that cannot be written (read-only, no
    permission), a full disk, a limit on file size (exit code 5). The input itself was fine.

    ``path`` is the file or folder being written, ``errno`` the system's error number.
    """

    exit_code = 5

    HINTS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
             errno.EFBIG: "a limit on file size, such as `ulimit -f`, is reached",
             errno.EROFS: "the file system is mounted read-only",
             errno.EACCES: "you may not write there", errno.EPERM: "you may not write there"}
    """What the commonest errors mean for the user, after the system's own words."""

    def __init__(self, path: str, doing: str, error: OSError):
        self.path = path
        self._made_from = (path, doing, error)
        self.errno = error.errno
        reason = error.strerror or str(error)
        hint = self.HINTS.get(error.errno)
        super().__init__(f"{path}: cannot {doing}: {reason}" + (f" ({hint})" if hint else ""))

    def __reduce__(self) -> tuple:
        return type(self), self._made_from
