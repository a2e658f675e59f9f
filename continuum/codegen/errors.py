"""Errors raised by ``continuum build`` when a workflow cannot be frozen."""

from __future__ import annotations


class CodegenError(Exception):
    """A workflow cannot be turned into a generated module.

    ``path`` and ``line`` locate the cause in the workflow's source (0 when unknown);
    the message says what to change.
    """

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments do not survive the default pickling of exceptions.
        return (_rebuild, (self.message, self.path, self.line))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}: " if self.path and self.line else ""
        where = where or (f"{self.path}: " if self.path else "")
        return f"{where}{self.message}"


def _rebuild(message: str, path: str, line: int) -> CodegenError:
    return CodegenError(message, path=path, line=line)
