"""The small questions an action asks before it is sent: which agent and queue, which agent
id, sure?

They only collect answers; sending is the app's job (through the Supervisor), so a dialog
can never call the API and a cancelled dialog never sends anything. Every dialog closes the
same way (`Dialog`): esc or q closes it without acting; in a text field q is a letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from wallboard.live.actions import SupervisorAction, agent_words
from wallboard.live.snapshot import AgentState, AgentView
from wallboard.ui.faces import LOOKS, STATE_ORDER, clean, known_name

Answer = TypeVar("Answer")
#: How every dialog says it can be closed (beside its buttons; help says it in full).
CLOSE_HINT = "esc or q: cancel"


def plain(content: str = "", *, id: str | None = None, classes: str | None = None) -> Label:
    """A label whose text is shown as it is: server text (and "[thresholds]") is no markup."""
    return Label(content, markup=False, id=id, classes=classes)


class Dialog(ModalScreen[Answer]):
    """One rule for every dialog: esc or q closes it and nothing is done (the answer is
    None). A focused text field takes q as a letter: it handles the key before the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "close", show=False),
        Binding("q", "close", "close", show=False),
    ]

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """What an agent action needs: whose extension, in which queue, under which agent id;
    and the agent's name, when known, for the notification and the audit line."""

    extnumber: str
    queue: str
    crmid: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class AgentChoice:
    """An agent the check-in dialog can name: an extension, its name and agent id when
    known, and the queues it is in now."""

    extnumber: str
    name: str = ""
    crmid: str = ""
    queues: frozenset[str] = field(default_factory=frozenset)

    @property
    def words(self) -> str:
        return agent_words(self.extnumber, self.name)


def agent_choices(agents: Iterable[AgentView]) -> list[AgentChoice]:
    """The floor's agents, once each (an agent in two queues is one person), by extension."""
    found: dict[str, AgentChoice] = {}
    for agent in agents:
        ext = clean(agent.extnumber)
        old = found.get(ext)
        name = (old.name if old is not None else "") or known_name(agent)
        crmid = (old.crmid if old is not None else "") or agent.crmid
        queues = (old.queues if old is not None else frozenset()) | {agent.queue}
        found[ext] = AgentChoice(ext, name, crmid, queues)
    return sorted(found.values(), key=lambda choice: choice.extnumber)


def find_agent(text: str, agents: Sequence[AgentChoice]) -> tuple[AgentChoice | None, str]:
    """(the agent that `text` names, ""): by extension, or by name (whole, or a unique part
    of it, in any case); else (None, why not, in words for the dialog).

    Digits that are no agent on the floor are an extension all the same: an agent who is
    in no queue yet is not on the floor, and is exactly who gets checked in."""
    wanted = " ".join(text.split())
    if not wanted:
        return None, "Which agent? Type a name or an extension."
    for choice in agents:
        if choice.extnumber == wanted:
            return choice, ""
    folded = wanted.casefold()
    named = [c for c in agents if c.name.casefold() == folded]
    if not named:
        named = [c for c in agents if folded in c.name.casefold()]
    if len(named) == 1:
        return named[0], ""
    if named:
        some = ", ".join(c.words for c in named[:3])
        more = "…" if len(named) > 3 else ""
        return None, f"{len(named)} agents match: {some}{more}. Type more of the name."
    if wanted.isdigit():
        return AgentChoice(wanted), ""
    return None, f"No agent called {wanted!r} on the floor: type the extension."


class AgentDialog(Dialog[AgentRequest | None]):
    """Asks for the agent id (crmid) of an agent in a queue, when the server did not give
    it and none was typed before. Its button says what will be done: it confirms too."""

    def __init__(
        self,
        action: SupervisorAction,
        *,
        extnumber: str,
        queue: str,
        crmid: str = "",
        name: str = "",
    ) -> None:
        super().__init__()
        self.supervisor_action = action
        self.extnumber = extnumber
        self.queue = queue
        self.crmid = crmid
        self.agent_name = name

    def compose(self) -> ComposeResult:
        who = agent_words(clean(self.extnumber), self.agent_name)
        with Vertical(id="dialog", classes="dialog"):
            yield plain(self.supervisor_action.label.capitalize(), classes="dialog-title")
            yield plain(f"{who} in queue {clean(self.queue)}")
            yield plain("Agent id (crmid)")
            yield Input(self.crmid, id="crmid", restrict=r"[0-9]*", placeholder="digits")
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
                yield Button(self.supervisor_action.label.capitalize(), variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#crmid", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        crmid = self.query_one("#crmid", Input).value.strip()
        if not crmid.isdigit():
            problem = "The agent id (crmid) is a number: type it, please."
            self.query_one("#problem", Label).update(problem)
            return
        self.dismiss(AgentRequest(self.extnumber, self.queue, crmid, self.agent_name))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.action_close()


class CheckInDialog(Dialog[AgentRequest | None]):
    """Check an agent into a queue: the agent by name or extension, the queue, the agent id.

    It opens on the agent field. The selected agent is offered only for a queue it is not
    in yet (never pre-filled into a queue it is already in). The agent id follows the
    agent: naming another agent puts that agent's id in the field (the server's, else the
    one last typed for the extension, `crmid_of`), never the previous agent's."""

    def __init__(
        self,
        agents: Sequence[AgentChoice],
        queues: Sequence[str],
        *,
        selected: AgentChoice | None = None,
        crmid_of: Callable[[str], str] = lambda _ext: "",
    ) -> None:
        super().__init__()
        self.agents = list(agents)
        self.queues = [q for q in dict.fromkeys(queues) if q]
        self.crmid_of = crmid_of
        self.choice: AgentChoice | None = None
        free = [q for q in self.queues if selected is None or q not in selected.queues]
        # The selected agent, into the first queue it is not in; else nobody yet.
        self.start_agent = selected if selected is not None and free else None
        if free:
            self.start_queue = free[0]
        elif selected is not None and selected.queues:
            self.start_queue = next(q for q in self.queues if q in selected.queues)
        else:
            self.start_queue = self.queues[0] if self.queues else ""

    def compose(self) -> ComposeResult:
        start = self.start_agent
        hints = [*(c.name for c in self.agents if c.name), *(c.extnumber for c in self.agents)]
        with Vertical(id="dialog", classes="dialog"):
            yield plain(SupervisorAction.CHECK_IN.label.capitalize(), classes="dialog-title")
            yield plain("Agent: name or extension")
            yield Input(
                start.extnumber if start is not None else "",
                id="agent",
                placeholder="e.g. Li Wei, or 8001",
                suggester=SuggestFromList(hints, case_sensitive=False),
            )
            yield plain("", id="who", classes="help-note")
            yield plain("Queue")
            yield Select(
                [(clean(q), q) for q in self.queues],
                value=self.start_queue if self.start_queue in self.queues else Select.NULL,
                allow_blank=not self.queues,
                id="queue",
            )
            yield plain("Agent id (crmid)")
            yield Input(
                self._crmid(start) if start is not None else "",
                id="crmid",
                restrict=r"[0-9]*",
                placeholder="digits",
            )
            yield plain("", id="problem", classes="dialog-problem")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
                yield Button("Check in", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#agent", Input).focus()
        self._follow(self.query_one("#agent", Input).value, fill=False)

    def _crmid(self, choice: AgentChoice) -> str:
        return choice.crmid or self.crmid_of(choice.extnumber)

    def _queue(self) -> str:
        chosen = self.query_one("#queue", Select).value
        return chosen if isinstance(chosen, str) else ""

    def _follow(self, text: str, *, fill: bool = True) -> None:
        """The agent named so far: said under the field; its agent id into the id field."""
        choice, problem = find_agent(text, self.agents)
        self.choice = choice
        if fill:
            self.query_one("#crmid", Input).value = self._crmid(choice) if choice else ""
        self._say_who(problem if text.strip() else "")

    def _say_who(self, problem: str = "") -> None:
        choice, queue = self.choice, self._queue()
        if choice is None:
            said = problem
        elif queue and queue in choice.queues:
            said = f"{choice.words} is already in {clean(queue)}: choose another queue"
        elif choice.queues:
            said = f"{choice.words}, now in {', '.join(sorted(map(clean, choice.queues)))}"
        else:
            said = f"{choice.words}, in no queue now"
        self.query_one("#who", Label).update(said)

    @on(Input.Changed, "#agent")
    def _agent_changed(self, event: Input.Changed) -> None:
        self._follow(event.value)

    @on(Select.Changed, "#queue")
    def _queue_changed(self) -> None:
        self._say_who()

    def _answer(self) -> AgentRequest | None:
        problem = self.query_one("#problem", Label)
        choice, why = find_agent(self.query_one("#agent", Input).value, self.agents)
        queue = self._queue()
        crmid = self.query_one("#crmid", Input).value.strip()
        if choice is None:
            problem.update(why)
        elif not queue:
            problem.update("Which queue?")
        elif not crmid.isdigit():
            problem.update("The agent id (crmid) is a number: type it, please.")
        else:
            return AgentRequest(choice.extnumber, queue, crmid, choice.name)
        return None

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        answer = self._answer()
        if answer is not None:
            self.dismiss(answer)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.action_close()


class ConfirmDialog(Dialog[bool | None]):
    """A yes/no question for an action that cannot be undone (ending a campaign, checking
    an agent out). n, esc and q all answer no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes"),
        Binding("n", "answer(False)", "no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield plain(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield plain(CLOSE_HINT, classes="help-note dialog-hint")
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


class StateFilterDialog(Dialog[str | None]):
    """Pick the one state to show (or all). Answers a state's name, "all", or None.

    The filter shows tiles, and an agent in two queues has two; the header counts people.
    So each state says both, labelled: "7 agents · 9 tiles", where the agents are the
    header's figure (`people`, None when there is no data yet)."""

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
            yield plain(CLOSE_HINT, classes="help-note")

    def on_mount(self) -> None:
        options = self.query_one("#states", OptionList)
        current = self.current.name if self.current is not None else ALL_STATES
        options.highlighted = options.get_option_index(current)
        options.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


__all__ = [
    "ALL_STATES",
    "CLOSE_HINT",
    "AgentChoice",
    "AgentDialog",
    "AgentRequest",
    "CheckInDialog",
    "ConfirmDialog",
    "Dialog",
    "StateFilterDialog",
    "agent_choices",
    "find_agent",
    "plain",
]
