"""One error shape for every layer: what went wrong, for a person, and how to fix it.

Services raise :class:`KFPConnectError`; handlers turn it into the JSON body
``{"error": {"code", "message", "fix", "yaml", "status"}}`` and the kernel prints the
same fields, so the panel and ``%kfp`` explain a failure the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Problem:
    """A diagnosed failure. ``code`` is stable (tests and the front end switch on it)."""

    code: str
    message: str
    fix: str = ""
    yaml: str = ""
    status: int = 500
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class KFPConnectError(Exception):
    """An error that carries a :class:`Problem` all the way to the user."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fix: str = "",
        yaml: str = "",
        status: int = 500,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = Problem(code, message, fix, yaml, status, details or {})

    @classmethod
    def from_problem(cls, problem: Problem) -> "KFPConnectError":
        return cls(
            problem.code,
            problem.message,
            fix=problem.fix,
            yaml=problem.yaml,
            status=problem.status,
            details=problem.details,
        )

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def code(self) -> str:
        return self.problem.code
