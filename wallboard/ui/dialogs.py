"""The small questions an action asks before it is sent: which queue, which agent id, sure?

They only collect answers; sending is the app's job (through the Supervisor), so a dialog
can never call the API and a cancelled dialog never sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from wallboard.live.actions import SupervisorAction
from wallboard.live.snapshot import AgentState
from wallboard.ui.faces import LOOKS, STATE_ORDER, clean


def plain(content: str = "", *, id: str | None = None, classes: str | None = None) -> Label:
    """A label whose text is shown as it is: server text (and "[thresholds]") is no markup."""
    return Label(content, markup=False, id=id, classes=classes)


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """What an agent action needs: whose extension, in which queue, under which agent id."""

    extnumber: str
    queue: str
    crmid: str


class AgentDialog(ModalScreen[AgentRequest | None]):
    """Asks for the agent id (crmid), and for check-in also the extension and the queue."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(
        self,
        action: SupervisorAction,
        *,
        extnumber: str,
        queue: str,
        crmid: str,
        queues: Sequence[str] = (),
        choose_queue: bool = False,
    ) -> None:
        super().__init__()
        self.supervisor_action = action
        self.extnumber = extnumber
        self.queue = queue
        self.crmid = crmid
        self.queues = [q for q in dict.fromkeys([*queues, queue]) if q]
        self.choose_queue = choose_queue

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield plain(self.supervisor_action.label.capitalize(), classes="dialog-title")
            if self.choose_queue:
                yield plain("Extension")
                yield Input(self.extnumber, id="ext", restrict=r"[0-9A-Za-z_*#+-]*")
                yield plain("Queue")
                yield Select(
                    [(clean(q), q) for q in self.queues],
                    value=self.queue if self.queue in self.queues else Select.NULL,
                    allow_blank=not self.queues,
                    id="queue",
                )
            else:
                yield plain(f"Extension {clean(self.extnumber)} in queue {clean(self.queue)}")
            yield plain("Agent id (crmid)")
            yield Input(self.crmid, id="crmid", restrict=r"[0-9]*", placeholder="digits")
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.supervisor_action.label.capitalize(), variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#crmid", Input).focus()

    def _answer(self) -> AgentRequest | None:
        problem = self.query_one("#problem", Label)
        extnumber, queue = self.extnumber, self.queue
        if self.choose_queue:
            extnumber = self.query_one("#ext", Input).value.strip()
            chosen = self.query_one("#queue", Select).value
            queue = chosen if isinstance(chosen, str) else ""
        crmid = self.query_one("#crmid", Input).value.strip()
        if not extnumber:
            problem.update("Which extension?")
        elif not queue:
            problem.update("Which queue?")
        elif not crmid.isdigit():
            problem.update("The agent id (crmid) is a number: type it, please.")
        else:
            return AgentRequest(extnumber, queue, crmid)
        return None

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        answer = self._answer()
        if answer is not None:
            self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question for an action that cannot be undone (ending a campaign)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield plain(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


ALL_STATES = "all"


class StateFilterDialog(ModalScreen[str | None]):
    """Pick the one state to show (or all). Answers a state's name, "all", or None.

    The filter shows tiles, and an agent in two queues has two; the header counts people.
    So each state says both, labelled: "7 agents · 9 tiles", where the agents are the
    header's figure (`people`, None when there is no data yet)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(
        self,
        counts: dict[AgentState, int],
        current: AgentState | None,
        *,
        people: dict[AgentState, int] | None = None,
    ) -> None:
        super().__init__()
        self.counts = counts
        self.people = people
        self.current = current

    def option_text(self, state: AgentState) -> str:
        glyph, word = LOOKS[state]
        tiles = self.counts.get(state, 0)
        counted = f"{tiles} tile{'' if tiles == 1 else 's'}"
        if self.people is not None:
            people = self.people.get(state, 0)
            counted = f"{people} agent{'' if people == 1 else 's'} · {counted}"
        return f"{glyph} {word:<5} {state.value:<8} {counted}"

    def compose(self) -> ComposeResult:
        options = [Option("all states", id=ALL_STATES)]
        for state in STATE_ORDER:
            options.append(Option(self.option_text(state), id=state.name))
        with Vertical(id="dialog", classes="dialog"):
            yield plain("Show only agents who are…", classes="dialog-title")
            yield plain(
                "agents count people, as the header does; tiles count an agent once per queue",
                classes="help-note",
            )
            yield OptionList(*options, id="states")

    def on_mount(self) -> None:
        options = self.query_one("#states", OptionList)
        current = self.current.name if self.current is not None else ALL_STATES
        options.highlighted = options.get_option_index(current)
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = [
    "ALL_STATES",
    "AgentDialog",
    "AgentRequest",
    "ConfirmDialog",
    "StateFilterDialog",
    "plain",
]
