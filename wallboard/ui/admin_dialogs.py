"""The forms of the administration screens: a queue's settings, and one line of text (a
group's name, an extension). Like the floor's dialogs they only collect answers: esc or q
closes them and nothing is sent; what is sent is then asked about (`ConfirmDialog`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select

from wallboard.live.admin import QueueRow
from wallboard.live.admin_words import QUEUE_SETTINGS, STRATEGIES, QueueSetting
from wallboard.ui.dialogs import CLOSE_HINT, Dialog, plain

Form = TypeVar("Form")

DIALOG_CSS = """
AdminFormDialog {
    align: center middle;
}
AdminFormDialog .admin-form {
    width: 76;
    max-width: 95%;
    height: auto;
    max-height: 90%;
    border: thick $primary;
    background: $surface;
    padding: 0 1;
}
AdminFormDialog .admin-form > Label {
    width: 100%;
}
AdminFormDialog .dialog-title {
    text-style: bold;
    color: $primary;
    margin-top: 1;
}
AdminFormDialog .form-row {
    height: auto;
}
AdminFormDialog .form-row > .form-label {
    width: 18;
    padding-top: 1;
}
AdminFormDialog .form-row > Input, AdminFormDialog .form-row > Select {
    width: 1fr;
}
AdminFormDialog .admin-form > .form-meaning {
    color: $text-muted;
    padding-left: 18;
}
AdminFormDialog .admin-form > Checkbox {
    margin-left: 18;
}
AdminFormDialog .dialog-buttons {
    height: auto;
    align-horizontal: right;
}
AdminFormDialog .dialog-buttons Button {
    margin-left: 1;
}
AdminFormDialog .dialog-buttons .dialog-hint {
    width: 1fr;
    height: 3;
    content-align: left middle;
}
AdminFormDialog .dialog-problem {
    color: $error;
}
"""


@dataclass(frozen=True, slots=True)
class QueueForm:
    """What the queue form collected: for a new queue, autocall and strategy count; for an
    edit, the settings (every one the form shows, changed or not)."""

    name: str
    remark: str
    autocall: bool = True
    strategy: int | None = None
    settings: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextAnswer:
    text: str
    flag: bool = False


class AdminFormDialog(Dialog[Form | None], Generic[Form]):
    """Base of the forms: the shared look (it must not depend on the app's style sheet)."""

    DEFAULT_CSS = DIALOG_CSS


def _strategy_options() -> list[tuple[str, int]]:
    return [(f"{n} {words}", n) for n, words in STRATEGIES.items()]


class QueueFormDialog(AdminFormDialog[QueueForm]):
    """A new queue (name, remark, predictive calls or not, ringing), or a queue's settings
    with each one's meaning under its field (`queue` given: an edit)."""

    def __init__(self, queue: QueueRow | None = None) -> None:
        super().__init__()
        self.queue = queue

    @property
    def editing(self) -> bool:
        return self.queue is not None

    def compose(self) -> ComposeResult:
        queue = self.queue
        title = f"Edit queue {queue.name}" if queue is not None else "New queue"
        with VerticalScroll(id="dialog", classes="admin-form"):
            yield plain(title, classes="dialog-title")
            if queue is None:
                yield from self._row("name", Input(id="name", placeholder="e.g. sales-2"))
            yield from self._row(
                "remark",
                Input(queue.remark if queue else "", id="remark", placeholder="required"),
            )
            if queue is None:
                yield Checkbox("takes predictive calls (autocall)", True, id="autocall")
            strategy = queue.value("strategy") if queue is not None else 1
            yield from self._row(
                "ringing",
                Select(
                    _strategy_options(),
                    value=strategy if strategy in STRATEGIES else Select.NULL,
                    allow_blank=strategy not in STRATEGIES,
                    id="strategy",
                ),
            )
            if queue is not None:
                for setting in QUEUE_SETTINGS:
                    if setting.key != "strategy":
                        yield from self._setting(setting, queue.value(setting.key))
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
                yield Button("Next", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _row(self, label: str, widget: Input | Select[int]) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield plain(label, classes="form-label")
            yield widget

    def _setting(self, setting: QueueSetting, value: int | None) -> ComposeResult:
        unit = f" ({setting.unit})" if setting.unit else ""
        yield from self._row(
            f"{setting.label}{unit}",
            Input(
                "" if value is None else str(value),
                id=setting.key,
                restrict=r"[0-9]*",
                placeholder=f"default {setting.default}",
            ),
        )
        yield plain(setting.meaning, classes="form-meaning")

    def on_mount(self) -> None:
        self.query_one("#name" if not self.editing else "#remark", Input).focus()

    def _answer(self) -> QueueForm | str:
        """The form's answer, or what is wrong with it in words."""
        name = self.queue.name if self.queue else self.query_one("#name", Input).value.strip()
        remark = self.query_one("#remark", Input).value.strip()
        chosen = self.query_one("#strategy", Select).value
        strategy = chosen if isinstance(chosen, int) else None
        if not name:
            return "A queue needs a name."
        if not remark:
            return "A queue needs a remark: the service requires one."
        if self.queue is None:
            autocall = self.query_one("#autocall", Checkbox).value
            return QueueForm(name, remark, autocall=autocall, strategy=strategy)
        settings: dict[str, int] = {} if strategy is None else {"strategy": strategy}
        for setting in QUEUE_SETTINGS:
            if setting.key == "strategy":
                continue
            text = self.query_one(f"#{setting.key}", Input).value.strip()
            if not text:
                continue  # not sent: the server keeps what it has
            value = int(text)
            if not setting.low <= value <= setting.high:
                return f"{setting.label} must be from {setting.low} to {setting.high}."
            settings[setting.key] = value
        return QueueForm(name, remark, strategy=strategy, settings=settings)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        answer = self._answer()
        if isinstance(answer, str):
            self.query_one("#problem", Label).update(answer)
            return
        self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.action_close()


class TextDialog(AdminFormDialog[TextAnswer]):
    """One line of text (a group's name, an extension), and optionally one tick box."""

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        value: str = "",
        placeholder: str = "",
        digits: bool = False,
        flag: str = "",
        flag_value: bool = True,
        ok: str = "Next",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder
        self.digits = digits
        self.flag = flag
        self.flag_value = flag_value
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="admin-form"):
            yield plain(self.title_text, classes="dialog-title")
            yield plain(self.prompt)
            yield Input(
                self.value,
                id="text",
                placeholder=self.placeholder,
                restrict=r"[0-9]*" if self.digits else None,
            )
            if self.flag:
                yield Checkbox(self.flag, self.flag_value, id="flag")
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
                yield Button(self.ok, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.query_one("#problem", Label).update(f"{self.prompt}: type it, please.")
            return
        flag = self.query_one("#flag", Checkbox).value if self.flag else False
        self.dismiss(TextAnswer(text, flag))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.action_close()


__all__ = ["AdminFormDialog", "QueueForm", "QueueFormDialog", "TextAnswer", "TextDialog"]
