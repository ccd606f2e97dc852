"""The CI gates, kept apart from the report model so that reading options stays cheap."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidArgument

__all__ = ["Gates"]


@dataclass(frozen=True)
class Gates:
    """The CI gates: required ids (categories expand to their remedies) and a cap on unchecked."""

    require: tuple[str, ...] = ()
    max_unchecked: int | None = None

    def __post_init__(self) -> None:
        if self.max_unchecked is not None and (
            isinstance(self.max_unchecked, bool)
            or not isinstance(self.max_unchecked, int)
            or self.max_unchecked < 0
        ):
            raise InvalidArgument(
                f"max_unchecked must be a whole number >= 0, got {self.max_unchecked!r}"
            )

    @property
    def any(self) -> bool:
        """Whether any gate is set."""
        return bool(self.require) or self.max_unchecked is not None
