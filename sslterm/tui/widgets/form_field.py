"""A labelled input that validates itself when the user leaves it, with the reason underneath."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from sslterm.core.errors import SslTermError

Validator = Callable[[str], Any]


class FormField(Vertical):
    """Label, input and error line. ``validate()`` runs the core rule and shows its message."""

    DEFAULT_CSS = """
    FormField { height: auto; margin-bottom: 0; }
    FormField > Label.field-label { color: $text-muted; }
    FormField > Input { height: 1; border: none; padding: 0 1; background: $boost; }
    FormField > Input:focus { background: $primary 25%; }
    FormField > Label.field-error { color: $error; height: auto; }
    FormField > Label.field-error.-empty { display: none; }
    """

    def __init__(self, label: str, *, id: str, value: str = "", placeholder: str = "", validator: Validator | None = None, password: bool = False) -> None:
        super().__init__(id=f"{id}-field")
        self.label = label
        self.input_id = id
        self.initial = value
        self.placeholder = placeholder
        self.validator = validator
        self.password = password
        self._judged: str | None = None  # the value the last validation saw

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield Input(self.initial, placeholder=self.placeholder, id=self.input_id, password=self.password, compact=True)
        yield Label("", classes="field-error -empty")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    @property
    def error(self) -> str:
        return str(self.query_one(".field-error", Label).render())

    def show_error(self, message: str | None) -> None:
        label = self.query_one(".field-error", Label)
        label.update(Text(message or ""))
        label.set_class(not message, "-empty")

    def validate(self) -> tuple[bool, Any]:
        """Run the validator: (True, normalised value) or (False, None) with the reason shown."""
        self._judged = self.value
        if self.validator is None:
            self.show_error(None)
            return True, self.value
        try:
            result = self.validator(self.value)
        except SslTermError as exc:
            self.show_error(str(exc))
            return False, None
        self.show_error(None)
        return True, result

    @on(Input.Blurred)
    def _left(self) -> None:
        # Judge a value once: leaving the field again (focus also moves when a step shows its
        # loading indicator) must not clear an error the step found for this same value.
        # Fields without a rule of their own are judged by the step (e.g. files read together).
        if self.validator is not None and self.value != self._judged:
            self.validate()
