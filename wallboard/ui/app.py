"""The wallboard app: the floor screen, its polling loop and the supervisor's keys.

Data flows one way: a worker awaits `LiveFloor.refresh()`, posts the snapshot as a message,
and only then arms a one-shot timer for the next poll, so polls never overlap however slow
the server is. Widgets are handed snapshots; they never call the API. Actions run in
workers through the `Supervisor`, one at a time per agent or campaign, and end in a
notification; the tile changes on the next poll, which an action brings forward.

No data is not zero: until a poll has succeeded once, the screen says "no data yet" and
why, and shows no figure at all. Stale data (the last good data, after a failed poll) is
dimmed, tiles, campaigns and figures alike, so that a wall reads stale from across a room.
A read-only dashboard hides the floor's keys, but a key pressed all the same is refused
by the Supervisor, which writes that to the audit log, and the refusal is shown. So is an
action that cannot apply to what the screen shows (resuming a running campaign, setting a
paused agent busy): the app hands the Supervisor the state on screen, unless an action
changed it since the last poll, and the Supervisor refuses it, says why and audits it.
Ending a campaign and checking an agent out are confirmed first.

The agents show as a grid of tiles or as a list sorted the way a supervisor scans (`v`
switches, and the composition root remembers the choice); both share the filters and the
selection the actions use. Alerts (`wallboard.live.alerts`) are judged on every snapshot and
every second: each raise is a toast, a line in the alerts strip and one ring of the bell,
and stays until `a` acknowledges it; raises, clears and acknowledgements are audited.
In wall mode a `WallScreen` covers the floor screen: read-only, no key bar, and no key but
quit and acknowledge; nothing is refused aloud on a wall.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import ClassVar, Literal, Protocol

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.command import Provider
from textual.containers import Container, Horizontal
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from wallboard.live.actions import (
    ActionResult,
    InFlightKey,
    Outcome,
    Subject,
    Supervisor,
    SupervisorAction,
    agent_key,
    agent_words,
    campaign_key,
    cannot_apply,
)
from wallboard.live.alerts import Alert, AlertEvent, AlertLevel, AlertRules, Alerts, EventKind
from wallboard.live.snapshot import (
    AgentState,
    AgentView,
    CampaignStatus,
    CampaignView,
    FloorSnapshot,
)
from wallboard.ui.admin_menu import AdminMenu
from wallboard.ui.agent_grid import AgentGrid
from wallboard.ui.agent_list import AgentList
from wallboard.ui.campaign_screen import NewCampaignScreen
from wallboard.ui.campaigns_pane import CampaignsPane
from wallboard.ui.commands import FloorCommands, OfferedThemes
from wallboard.ui.desk import Desk
from wallboard.ui.dialogs import (
    ALL_STATES,
    AgentDialog,
    AgentRequest,
    CheckInDialog,
    ConfirmDialog,
    StateFilterDialog,
    agent_choices,
)
from wallboard.ui.driver import terminal_driver
from wallboard.ui.faces import clean, known_name, people_counts, state_counts
from wallboard.ui.fading import fade
from wallboard.ui.floor_header import NO_DATA, FloorHeader, StaleBanner
from wallboard.ui.help_screen import HelpScreen
from wallboard.ui.keys import FLOOR_ACTIONS, KEYS, bindings
from wallboard.ui.messages import ActionFinished, Edge, SnapshotArrived
from wallboard.ui.narrow_compositor import NarrowScreen
from wallboard.ui.records_screen import RecordsScreen
from wallboard.ui.report_screen import ReportScreen
from wallboard.ui.terminal_mirror import TerminalMirror
from wallboard.ui.themes import DEFAULT_THEME, load_themes, variable_defaults
from wallboard.ui.thresholds import Thresholds
from wallboard.ui.toasts import hold_toast_racks
from wallboard.ui.trends import TrendsScreen
from wallboard.ui.wall import PAGE_SECONDS, WallScreen

log = logging.getLogger("wallboard.ui")

Severity = Literal["information", "warning", "error"]
_SEVERITY: dict[Outcome, Severity] = {
    Outcome.DONE: "information",
    Outcome.FAILED: "error",
    Outcome.REFUSED: "warning",
    Outcome.UNKNOWN: "warning",
}
#: Actions that cannot be undone, or that take someone off the calls, are confirmed first:
#: (what it means, the yes button).
CONFIRMED_FIRST: dict[SupervisorAction, tuple[str, str]] = {
    SupervisorAction.END_CAMPAIGN: ("Its remaining numbers will not be dialled.", "End it"),
    SupervisorAction.CHECK_OUT: ("The agent takes no more calls from this queue.", "Check out"),
}
#: The floor's keys by key name: pressed on a read-only dashboard, they are refused aloud.
_FLOOR_KEYS: dict[str, SupervisorAction] = {
    name.strip(): key.floor for key in KEYS if key.floor is not None for name in key.keys.split(",")
}
#: The actions of the floor screen's keys: refused while another screen is on top, whose
#: own keys they would otherwise answer for.
_SCREEN_ACTIONS = frozenset(key.action for key in KEYS)
#: The only actions a wall takes: nobody works the floor from it, but whoever walks past
#: may say "seen" to an alert, and someone has to be able to close it.
WALL_ACTIONS = frozenset({"quit", "acknowledge"})
#: The agents' two views (`v` switches).
VIEWS = ("grid", "list")
#: Seconds an alert's toast stays up (the strip keeps it until acknowledged).
ALERT_TOAST_SECONDS = 15.0
#: The screen's clock: the data's age, staleness and times in state move on this often.
TICK_SECONDS = 1.0
#: After a snapshot is shown, the next tick waits this much longer than TICK_SECONDS: the
#: next snapshot (polls a second apart take a few dozen ms more than a second) moves what the
#: tick would, so a floor polled every second wakes the screen once a cycle, not twice.
TICK_AFTER_SNAPSHOT = 0.5
#: What fades while the data is stale (`_dim`): in the body, and in the header.
DIMMED = "TileColumn, AgentList, CampaignsPane, CampaignColumn"
HEADER_DIMMED = "#states, #today"

AgentsView = AgentGrid | AgentList


def alert_line(shown: Sequence[Alert]) -> str:
    """The alerts strip's line: the worst, oldest alert not acknowledged, how many there
    are (first, where a narrow strip never cuts it) and the key; "" when there is none."""
    if not shown:
        return ""
    first = shown[0]
    seen = "" if first.active else " (cleared)"
    count = f"{len(shown)} alerts: " if len(shown) > 1 else ""
    return f"▲ {count}{first.text}{seen} · a: acknowledge"


class Floor(Protocol):
    """What the app needs of `wallboard.live.model.LiveFloor`."""

    @property
    def snapshot(self) -> FloorSnapshot: ...

    async def refresh(self) -> FloorSnapshot: ...

    def next_delay(self) -> float: ...


class WallboardApp(App[int]):
    """The floor screen. `clock` drives "updated N s ago" (fixed in tests and screenshots)."""

    CSS_PATH = Path(__file__).with_name("wallboard.tcss")  # absolute: subclasses live anywhere
    TITLE = "wallboard"
    # Not a ClassVar to mypy: Textual declares it `ClassVar[...] | None`, an instance variable.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        *App.COMMANDS,
        FloorCommands,
    }
    BINDINGS: ClassVar[list[BindingType]] = [*bindings()]

    def __init__(
        self,
        floor: Floor,
        supervisor: Supervisor,
        *,
        theme: str | None = None,
        clock: Callable[[], float] = time.time,
        queues: Sequence[str] | None = None,
        thresholds: Thresholds | None = None,
        read_only: bool | None = None,
        themes: Mapping[str, Theme] | None = None,
        wall: bool = False,
        page_seconds: float = PAGE_SECONDS,
        tz: dt.tzinfo | None = None,
        alert_rules: AlertRules | None = None,
        bell: bool = True,
        view: str = "grid",
        on_view_change: Callable[[str], None] | None = None,
        desk: Desk | None = None,
    ) -> None:
        """`themes`: the theme files' themes, by name, as the composition root read them;
        None reads the theme files here. `wall`: the wall screen, read-only whatever
        `read_only` says, its queues turning every `page_seconds`, its clock in `tz` (the
        server's zone; None: this machine's). `alert_rules`: None for the defaults, paused
        past the paused ramp's red limit. `bell`: ring once per batch of alerts raised.
        `view`: "grid" or "list" to start with; `on_view_change` is told of every switch.
        `desk`: the screens beyond the floor that this dashboard can offer."""
        # What the terminal shows, cell by cell: a frame writes only the cells that differ
        # (made before Textual's own set-up, which asks for the driver).
        self.terminal_mirror = TerminalMirror()
        super().__init__()
        if view not in VIEWS:
            raise ValueError(f"no view {view!r} (views: {', '.join(VIEWS)})")
        hold_toast_racks()  # a toast repaints its own cells, never the whole screen
        self._last_toast = (float("-inf"), False)  # when the last alert toast rose; red?
        self._shown_at = float("-inf")  # when (`clock`) the last snapshot was put on screen
        self.floor = floor
        self.supervisor = supervisor
        self.clock = clock
        self.queues = tuple(queues) if queues else None
        self.thresholds = thresholds or Thresholds()
        self.wall_mode = wall
        self.read_only = wall or (supervisor.read_only if read_only is None else read_only)
        self.bell_on = bell
        self.view = view
        self.on_view_change = on_view_change
        self.desk = desk or Desk()
        if alert_rules is None:
            paused = self.thresholds.limits.get(AgentState.PAUSED)
            alert_rules = AlertRules() if paused is None else AlertRules(paused_after=paused[1])
        self.alerts = Alerts(alert_rules)
        self.snapshot: FloorSnapshot | None = None
        self.has_data = False  # a poll has succeeded (a snapshot that is not stale arrived)
        self.snapshot_count = 0
        self._waiters: list[asyncio.Future[FloorSnapshot]] = []
        self._polling = False
        self._poll_again = False
        self._poll_timer: Timer | None = None
        self._tick_due: asyncio.TimerHandle | None = None  # the screen's next tick
        # Targets an action changed, with the snapshot count from which the screen shows
        # the change: until then their state on screen is out of date, and not trusted to
        # refuse an action (pressing i right after b must not read "already idle").
        self._changed: dict[InFlightKey, int] = {}
        self._select_after: AgentView | None = None  # to select in a view just shown
        self.header = FloorHeader(read_only=self.read_only, id="header")
        self.banner = StaleBanner(id="stale")
        self.grid = AgentGrid(id="grid", thresholds=self.thresholds, scope=self.queues)
        self.grid.waiting = f"{NO_DATA}: connecting…"
        self.agent_list = AgentList(id="agent-list", thresholds=self.thresholds, scope=self.queues)
        self.agent_list.waiting = self.grid.waiting
        self.grid.display = view == "grid"
        self.agent_list.display = view == "list"
        # The alerts strip shares the banner's row, which is always there: an alert that
        # comes or goes never moves the grid.
        self.alerts_strip = Static(id="alerts", markup=False)
        self._alert_text = ""
        self.status_row = Horizontal(id="status-row")
        self.campaigns = CampaignsPane(id="campaigns")
        self.wall_screen: WallScreen | None = None
        if wall:
            self.wall_screen = WallScreen(
                thresholds=self.thresholds,
                queues=self.queues,
                page_seconds=page_seconds,
                clock=clock,
                tz=tz,
            )
        self.body = Container(id="body")
        self.dimmed = False  # the stale data is faded (`_dim`)
        self.filter_input = Input(
            id="filter-input", placeholder="extension or name; enter keeps it, esc clears"
        )
        self.filter_line = Static(id="filters", markup=False)
        for custom in (load_themes() if themes is None else themes).values():
            self.register_theme(custom)
        wanted = theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            known = ", ".join(sorted(self.available_themes))
            raise ValueError(f"no theme {wanted!r} (themes: {known})")
        self.theme = wanted

    def search_themes(self) -> None:
        """The palette's theme list: only the themes whose colours do not clash (see
        `wallboard.ui.themes.offered`); the others may still be named in the config."""
        from textual.command import CommandPalette

        self.push_screen(
            CommandPalette(providers=[OfferedThemes], placeholder="Search for themes…")
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The wallboard's colours for themes that do not set them (Textual's own themes):
        made from the theme, so that stale dimming fades towards its background."""
        return variable_defaults(self.current_theme)

    # ------------------------------------------------------------------ screen

    def compose(self) -> ComposeResult:
        # The floor's widgets are kept by reference: the app's own queries look at the
        # screen on top, which is a dialog while one is open.
        yield self.header
        with self.status_row:
            yield self.banner
            yield self.alerts_strip
        with self.body:
            yield self.grid
            yield self.agent_list
            yield self.campaigns
        yield self.filter_input
        yield self.filter_line
        if not self.wall_mode:
            yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if self.wall_screen is not None:
            self.push_screen(self.wall_screen)
        else:
            self.agents.focus()
        self._arm_tick(TICK_SECONDS)
        self._start_poll()

    def _arm_tick(self, delay: float) -> None:
        """The screen's next tick in `delay` seconds (one pending at a time). A plain timer
        of the event loop, cheap to move: each snapshot shown moves it (`_arrived`)."""
        if self._tick_due is not None:
            self._tick_due.cancel()
        self._tick_due = asyncio.get_running_loop().call_later(delay, self._tick_is_due)

    def _tick_is_due(self) -> None:
        # Through the app's own queue, so that an error in the tick is the app's to handle.
        self._tick_due = None
        if self.is_running:
            self.call_next(self._ticked)

    def _ticked(self) -> None:
        self._arm_tick(TICK_SECONDS)
        self._tick()

    def _tick(self) -> None:
        self.header.show_age(self.snapshot, self.clock())
        self._show_staleness()
        # A snapshot shown within the last tick moved the times in state with it: ticking
        # them again now would only add a frame of its own (a tile's time moves at most a
        # poll late, in the frame the poll draws anyway).
        just_shown = 0.0 <= self.clock() - self._shown_at < TICK_SECONDS
        if (
            self.snapshot is not None
            and self.has_data
            and self.wall_screen is None
            and not just_shown
        ):
            self.agents.tick(self._server_now(self.snapshot))  # times in state move on
        if self.snapshot is not None and self.snapshot.looks_stale(self.clock()):
            # The "server not answering" alert rises while polls fail, back off or hang;
            # a fresh snapshot has had its alerts looked at as it arrived.
            self._alert(self.alerts.update(self.snapshot, now=self._server_now(self.snapshot)))

    def _server_now(self, snapshot: FloorSnapshot) -> float:
        """Now on the server's clock, the one the snapshot's times are on (the alerts
        compare it with `taken_at`; the header's age is the same difference)."""
        return snapshot.server_now(self.clock())

    @property
    def agents(self) -> AgentsView:
        """The agents' view on screen, grid or list: the filters and the selected agent
        are read from it and written to it."""
        return self.agent_list if self.view == "list" else self.grid

    def on_key(self, event: events.Key) -> None:
        """A floor key on a read-only dashboard: its binding is hidden, so the key comes
        here; it is sent on all the same, for the Supervisor to refuse and audit. Not on a
        wall: nobody at its keyboard is told anything."""
        if self.wall_mode:
            return
        action = _FLOOR_KEYS.get(event.key)
        if action is None or not self.read_only or not self.on_floor:
            return
        event.stop()
        self.act(action)

    # ------------------------------------------------------------------ polling

    def poll_now(self) -> None:
        """Poll as soon as possible: now, or right after the poll in progress."""
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        if self._polling:
            self._poll_again = True
            return
        self._start_poll()

    def action_poll_now(self) -> None:
        self.poll_now()

    def get_default_screen(self) -> Screen[object]:
        """The floor screen, drawn by the narrow compositor (a frame asks each widget only
        for the lines where something changed on it)."""
        return NarrowScreen(id="_default")

    def get_driver_class(self) -> type[Driver]:
        """Textual's terminal driver, writing through the terminal mirror, its input thread
        asleep until a key comes (a browser's driver, or any other, as Textual has it)."""
        driver = super().get_driver_class()
        if driver is LinuxDriver:
            return terminal_driver(self.terminal_mirror)
        return driver

    def on_resize(self, _event: events.Resize) -> None:
        """A resized terminal may have moved or cleared what it showed: the next frame, a
        whole one, is written whole."""
        self.terminal_mirror.forget()

    def action_redraw(self) -> None:
        """Write the whole screen again, every cell: what another program wrote over the
        dashboard (a `wall` message on the wall screen) goes."""
        self.terminal_mirror.forget()
        self.refresh(repaint=True)

    def _start_poll(self) -> None:
        self._poll_timer = None
        if self._polling or not self.is_running:
            return
        self._polling = True
        self._poll_again = False
        self.run_worker(self._poll(), name="poll", group="poll", exit_on_error=False)

    async def _poll(self) -> None:
        try:
            snapshot = await self.floor.refresh()
            delay = float(self.floor.next_delay())
        except Exception as exc:  # refresh never raises; a bug in it must not stop the wall
            log.exception("floor refresh failed")
            last = self.snapshot or FloorSnapshot(taken_at=self.clock())
            snapshot = replace(last, stale=True, error=f"internal error ({type(exc).__name__})")
            delay = 5.0
        finally:
            self._polling = False
        self.post_message(SnapshotArrived(snapshot))
        if self._poll_again:
            self._start_poll()
        elif self.is_running:
            self._poll_timer = self.set_timer(max(0.05, delay), self._start_poll, name="next poll")

    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        if not self.wall_mode and not self.agents.size.width:
            # The first poll beat the first layout: draw after it.
            self.call_after_refresh(self._arrived, message.snapshot)
        else:
            self._arrived(message.snapshot)

    def _arrived(self, snapshot: FloorSnapshot) -> None:
        self._show(snapshot)
        self._shown_at = self.clock()
        if self._tick_due is not None:  # what the tick would move, the snapshot has
            self._arm_tick(TICK_SECONDS + TICK_AFTER_SNAPSHOT)
        self.snapshot_count += 1
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(snapshot)

    async def next_snapshot(self, timeout: float = 5.0) -> FloorSnapshot:
        """Wait until the next snapshot is on screen (for tests and scripts)."""
        return await self.wait_for_snapshot(self.snapshot_count + 1, timeout)

    async def wait_for_snapshot(self, count: int = 1, timeout: float = 5.0) -> FloorSnapshot:
        """Wait until `count` snapshots in all have been put on screen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.snapshot_count < count or self.snapshot is None:
            waiter: asyncio.Future[FloorSnapshot] = loop.create_future()
            self._waiters.append(waiter)
            await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
        return self.snapshot

    def _show(self, snapshot: FloorSnapshot | None) -> None:
        if snapshot is None:
            return
        self.snapshot = snapshot
        if not snapshot.stale:
            self.has_data = True
        has_data = self.has_data
        self._alert(self.alerts.update(snapshot, now=self._server_now(snapshot)))
        if self.wall_screen is not None:  # the floor screen is under the wall, unseen
            self.wall_screen.show(snapshot, has_data=has_data)
            return
        if isinstance(self.screen, TrendsScreen):
            self.screen.show(snapshot)
        header = self.header
        if has_data:
            header.show(snapshot.totals, bills_read=snapshot.bills_read)
        else:
            header.show_no_data()
        header.show_age(snapshot, self.clock())
        self._show_staleness()
        self._show_agents(snapshot)
        self.campaigns.show(snapshot, has_data=has_data)
        self._show_filters()

    def _show_agents(self, snapshot: FloorSnapshot) -> None:
        """The agents in the view on screen; the hidden one catches up when it is shown."""
        waiting = ""
        if not self.has_data:
            why = clean(snapshot.error) if snapshot.stale else ""
            waiting = f"{NO_DATA}: {why or 'connecting…'}"
        self.agents.now = self._server_now(snapshot)  # time in state: server now - start
        self.agents.show(snapshot, waiting=waiting)

    def _show_staleness(self) -> None:
        """The banner and the dimming, judged by `looks_stale` at this machine's now: with
        each snapshot and every second, as data with no poll behind it grows old."""
        snapshot = self.snapshot
        if snapshot is None or self.wall_screen is not None:
            return
        self.banner.show(snapshot, has_data=self.has_data, now=self.clock())
        self.status_row.set_class(bool(self.banner.text), "-speaking")
        self._dim(self.has_data and snapshot.looks_stale(self.clock()))

    def _dim(self, stale: bool) -> None:
        """Stale data fades (`fading`): the tiles, the list, the campaigns and the header's
        figures; not the age, not the banner. Nothing to look for while fresh data stays
        fresh (this runs every second)."""
        if not stale and not self.dimmed:
            return
        self.dimmed = stale
        fade((*self.body.query(DIMMED), *self.header.query(HEADER_DIMMED)), stale, self)

    # ------------------------------------------------------------------ panes

    @on(Edge)
    def _edge(self, event: Edge) -> None:
        """The campaigns pane lies under the agents at every size: down from the last row
        of tiles or the list, up from the first campaign."""
        agents = self.agents
        if event.pane is agents and event.direction == "down":
            self.campaigns.focus()
        elif event.pane is self.campaigns and event.direction == "up":
            agents.focus()

    # ------------------------------------------------------------------ grid or list

    def action_toggle_view(self) -> None:
        """Tiles or rows: the other view takes the filters, the selected agent and the
        focus, and the composition root is told, to start with it next time."""
        self.show_view("list" if self.view == "grid" else "grid")
        if self.on_view_change is not None:
            self.on_view_change(self.view)

    def show_view(self, view: str) -> None:
        if view not in VIEWS:
            raise ValueError(f"no view {view!r} (views: {', '.join(VIEWS)})")
        if view == self.view:
            return
        before = self.agents
        selected = before.selected
        had_focus = before.has_focus or self.focused is None
        self.view = view
        after = self.agents
        after.set_filter(text=before.filter_text, state=before.filter_state)
        before.display = False
        after.display = True
        if self.snapshot is not None:
            self._show_agents(self.snapshot)
        if had_focus:
            after.focus()
        self._show_filters()
        # A view shown for the first time has rows to select from and to count only
        # after its first layout (the list says so: `AgentList.Arranged`).
        self._select_after = selected
        self.call_after_refresh(self._switched)

    def _switched(self) -> None:
        selected = self._select_after
        if selected is not None and self.agents.select(selected.queue, selected.extnumber):
            self._select_after = None
        self._show_filters()

    @on(AgentList.Arranged)
    def _list_arranged(self, event: AgentList.Arranged) -> None:
        if event.agent_list is self.agents:
            self._switched()

    # ------------------------------------------------------------------ filters

    def action_filter(self) -> None:
        field = self.filter_input
        field.add_class("-shown")
        field.value = self.agents.filter_text
        field.focus()

    @on(Input.Changed, "#filter-input")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.agents.set_filter(text=event.value)
        self._show_filters()

    @on(Input.Submitted, "#filter-input")
    def _filter_submitted(self) -> None:
        self._close_filter_input()

    def _close_filter_input(self) -> None:
        self.filter_input.remove_class("-shown")
        self.agents.focus()

    def action_state_filter(self) -> None:
        snapshot = self.snapshot if self.has_data else None
        agents = self._floor_agents()
        people = people_counts(snapshot.totals) if snapshot is not None else None

        def chosen(answer: str | None) -> None:
            if answer is None:
                return
            state = None if answer == ALL_STATES else AgentState[answer]
            self.agents.set_filter(state=state)
            self._show_filters()

        dialog = StateFilterDialog(state_counts(agents), self.agents.filter_state, people=people)
        self.push_screen(dialog, chosen)

    def action_clear_filters(self) -> None:
        field = self.filter_input
        field.value = ""
        self.agents.set_filter(text="", state=None)
        self._close_filter_input()
        self._show_filters()

    def _show_filters(self) -> None:
        agents = self.agents
        parts = []
        if agents.filter_text:
            parts.append(f"extension or name contains {clean(agents.filter_text)!r}")
        if agents.filter_state is not None:
            parts.append(f"state {agents.filter_state.value}")
        line = self.filter_line
        line.set_class(bool(parts), "-shown")
        if parts:
            # The grid counts tiles: an agent in two queues has two (the header counts
            # people); the list counts people, one row each.
            what = "tile" if agents is self.grid else "agent"
            shown = f"{agents.shown} {what}{'' if agents.shown == 1 else 's'} shown"
            text = f"Filter: {' and '.join(parts)}: {shown} (esc clears)"
            line.update(text)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide and refuse the floor's actions when read-only or while a dialog is open;
        on a wall, every action but quit and acknowledge."""
        if self.wall_mode:
            return action in WALL_ACTIONS
        if action in _SCREEN_ACTIONS and not self.on_floor:
            return False  # the floor's keys fall through from other screens: not theirs
        return not (action in FLOOR_ACTIONS and self.read_only)

    @property
    def on_floor(self) -> bool:
        """Whether the floor screen is on top (no dialog, no other screen over it)."""
        return self.screen is self.screen_stack[0]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.thresholds, read_only=self.read_only))

    def action_trends(self) -> None:
        """`g`: the day per 15 minutes, the floor's and each campaign's; it follows the
        snapshots while it is open (no request of its own: the bills are already read)."""
        if isinstance(self.screen, TrendsScreen):
            return
        if self.snapshot is None or not self.has_data:
            self.notify("No data yet: trends come with the first poll.", title="Trends", timeout=3)
            return
        self.push_screen(TrendsScreen(self.snapshot))

    def action_records(self) -> None:
        """`R`: call records (GetBill), their summaries, the call-back list, recordings."""
        if self.desk.records is None:
            self._no_desk("Call records")
            return
        self.push_screen(RecordsScreen(self.desk.records))

    def action_history(self) -> None:
        """`H`: reports from the history store (no request to the server)."""
        if self.desk.reports is None:
            self.notify(
                "No history store on this dashboard ([history] enabled = false, or it could "
                "not be opened: see wallboard.log).",
                title="History",
                severity="warning",
            )
            return
        self.push_screen(ReportScreen(self.desk.reports))

    def action_new_campaign(self) -> None:
        """`n`: a campaign from a list of numbers (and numbers taken out of one)."""
        if self.desk.campaigns is None:
            self._no_desk("New campaign")
            return
        self.push_screen(NewCampaignScreen(self.desk.campaigns))

    def action_admin(self) -> None:
        """`m`: the administration menu: queues, extension groups, extensions."""
        if self.desk.admin is None:
            self._no_desk("Administration")
            return
        self.push_screen(AdminMenu(self.desk.admin))

    def _no_desk(self, title: str) -> None:
        self.notify(
            "This needs a connection to the server of its own: not on a viewer of a shared floor.",
            title=title,
            severity="warning",
        )

    async def action_quit(self) -> None:
        self.exit(0)

    # The keys' actions (`keys.KEYS`): each sends its row of the supervisor's actions.

    def action_check_in(self) -> None:
        self.act(SupervisorAction.CHECK_IN)

    def action_check_out(self) -> None:
        self.act(SupervisorAction.CHECK_OUT)

    def action_set_busy(self) -> None:
        self.act(SupervisorAction.SET_BUSY)

    def action_set_idle(self) -> None:
        self.act(SupervisorAction.SET_IDLE)

    def action_pause_campaign(self) -> None:
        self.act(SupervisorAction.PAUSE_CAMPAIGN)

    def action_resume_campaign(self) -> None:
        self.act(SupervisorAction.RESUME_CAMPAIGN)

    def action_end_campaign(self) -> None:
        self.act(SupervisorAction.END_CAMPAIGN)

    def act(self, action: SupervisorAction) -> None:
        """Start one of the supervisor's actions on the selected agent or campaign."""
        if action.subject is Subject.AGENT:
            self._agent_action(action)
        else:
            self._campaign_action(action)

    def _refused(self, action: SupervisorAction, why: str) -> None:
        self.notify(f"{action.label}: {why}", title="Refused", severity="warning", markup=False)

    def _agent_action(self, action: SupervisorAction) -> None:
        agent = self.agents.selected
        if self.read_only:
            # Asked all the same: the Supervisor refuses it and writes that to the audit log.
            request = AgentRequest("", "", "")
            if agent is not None:
                request = self._request(agent)
            self._send_agent(action, request)
            return
        if agent is None:
            self._refused(action, "select an agent first")
            return
        if action is SupervisorAction.CHECK_IN:
            self._check_in(agent)
            return
        request = self._request(agent)
        state = self._state_in(agent.extnumber, agent.queue)
        if (
            self.supervisor.busy(agent_key(agent.queue, agent.extnumber))
            or cannot_apply(action, agent_state=state) is not None
        ):
            # Asked all the same: the Supervisor refuses it, says why and audits it.
            self._send_agent(action, request)
            return
        if not request.crmid:  # its button names the action: the dialog confirms it too
            dialog = AgentDialog(
                action, extnumber=agent.extnumber, queue=agent.queue, name=request.name
            )
            self.push_screen(dialog, lambda answer: self._send_agent(action, answer))
            return
        if action in CONFIRMED_FIRST:
            who = f"{agent_words(clean(agent.extnumber), request.name)} of {clean(agent.queue)}"
            self._confirm(action, who, lambda: self._send_agent(action, request))
            return
        self._send_agent(action, request)

    def _request(self, agent: AgentView) -> AgentRequest:
        crmid = self.supervisor.crmid(agent.extnumber, agent.crmid)
        return AgentRequest(agent.extnumber, agent.queue, crmid, known_name(agent))

    def _floor_agents(self) -> list[AgentView]:
        snapshot = self.snapshot if self.has_data else None
        return [a for q in (snapshot.queues if snapshot else ()) for a in q.agents]

    def _check_in(self, agent: AgentView) -> None:
        """The check-in dialog: the selected agent into a queue it is not in yet."""
        choices = agent_choices(self._floor_agents())
        selected = next((c for c in choices if c.extnumber == clean(agent.extnumber)), None)
        queues = [q.name for q in self.snapshot.queues] if self.snapshot else []
        dialog = CheckInDialog(
            choices, queues, selected=selected, crmid_of=lambda ext: self.supervisor.crmid(ext)
        )
        self.push_screen(dialog, lambda answer: self._send_agent(SupervisorAction.CHECK_IN, answer))

    def _up_to_date(self, key: InFlightKey) -> bool:
        """The screen shows the target as it is: no action changed it since the snapshot."""
        until = self._changed.get(key)
        if until is None:
            return True
        if self.snapshot_count >= until:
            del self._changed[key]
            return True
        return False

    def _state_in(self, extnumber: str, queue: str) -> AgentState | None:
        """The agent's state in a queue as last shown; None when it is not in that queue,
        or when an action changed it since (the screen is behind: the server judges)."""
        if not self._up_to_date(agent_key(queue, extnumber)):
            return None
        for agent in self._floor_agents():
            if agent.queue == queue and agent.extnumber == extnumber:
                return agent.state
        return None

    def _send_agent(self, action: SupervisorAction, request: AgentRequest | None) -> None:
        if request is None:
            return
        supervisor = self.supervisor
        state = self._state_in(request.extnumber, request.queue)
        self._launch(
            action,
            agent_key(request.queue, request.extnumber),
            lambda: supervisor.act_on_agent(
                action,
                request.extnumber,
                request.queue,
                request.crmid,
                name=request.name,
                state=state,
            ),
        )

    def _campaign_action(self, action: SupervisorAction) -> None:
        view = self.campaigns.selected
        if self.read_only:
            # Nothing to confirm: the Supervisor refuses it and writes that to the audit log.
            supervisor = self.supervisor
            taskid = view.taskid if view is not None else ""
            name = view.name if view is not None else ""
            self._launch(
                action,
                campaign_key(taskid),
                lambda: supervisor.act_on_campaign(action, taskid, name=name),
            )
            return
        if view is None:
            self._refused(action, "no campaign selected")
            return
        if (
            action in CONFIRMED_FIRST
            and not self.supervisor.busy(campaign_key(view.taskid))
            and cannot_apply(action, campaign_status=self._status_of(view)) is None
        ):
            name = clean(view.name) or view.taskid
            self._confirm(action, name, lambda: self._send_campaign(action, view))
            return
        # Sent, or refused by the Supervisor with the reason (ended, already running...).
        self._send_campaign(action, view)

    def _confirm(self, action: SupervisorAction, target: str, send: Callable[[], None]) -> None:
        meaning, yes = CONFIRMED_FIRST[action]

        def confirmed(answer: bool | None) -> None:
            if answer:
                send()

        question = f"{action.label.capitalize()} {target}? {meaning}"
        self.push_screen(ConfirmDialog(question, yes=yes), confirmed)

    def _status_of(self, view: CampaignView) -> CampaignStatus | None:
        """The campaign's status as shown; None when an action changed it since."""
        return view.status if self._up_to_date(campaign_key(view.taskid)) else None

    def _send_campaign(self, action: SupervisorAction, view: CampaignView) -> None:
        supervisor = self.supervisor
        status = self._status_of(view)
        self._launch(
            action,
            campaign_key(view.taskid),
            lambda: supervisor.act_on_campaign(action, view.taskid, name=view.name, status=status),
        )

    def _launch(
        self,
        action: SupervisorAction,
        key: InFlightKey,
        send: Callable[[], Awaitable[ActionResult]],
    ) -> None:
        """Every request goes to the Supervisor, which alone decides to refuse it (read-only,
        already in progress, cannot apply) and writes every outcome to the audit log."""
        self.run_worker(self._act(action, key, send), group="actions", exit_on_error=False)

    async def _act(
        self,
        action: SupervisorAction,
        key: InFlightKey,
        send: Callable[[], Awaitable[ActionResult]],
    ) -> None:
        try:
            result = await send()
        except Exception as exc:  # the Supervisor never raises; a bug must not crash the wall
            log.exception("%s failed", action.label)
            result = ActionResult(action, "", Outcome.FAILED, f"internal error ({exc!r})")
        if result.outcome is not Outcome.REFUSED:
            # A poll in progress began before the change: the one after it shows it.
            self._changed[key] = self.snapshot_count + (2 if self._polling else 1)
        self.post_message(ActionFinished(result.target, result))

    # ------------------------------------------------------------------ alerts

    def _alert(self, events: Sequence[AlertEvent]) -> None:
        """Show, ring and audit what the alerts engine said; then redraw the strip."""
        raised = [event for event in events if event.kind is EventKind.RAISED]
        for event in events:
            self.supervisor.record(**event.audit_fields())
        red = any(event.alert.level is AlertLevel.RED for event in raised)
        if raised and self._toast_due(red):
            # One toast per batch: fifty campaigns' first drops are one thing to look at
            # (the strip counts them), not fifty toasts each laying the screen out again.
            more = f" (and {len(raised) - 1} more: see the strip)" if len(raised) > 1 else ""
            self.notify(
                raised[0].alert.text + more,
                title="Alert" if len(raised) == 1 else f"{len(raised)} alerts",
                severity="error" if red else "warning",
                timeout=ALERT_TOAST_SECONDS,
                markup=False,
            )
        if raised and self.bell_on:
            self.bell()  # once, however many were raised together
        if events:
            self._show_alerts()

    def _toast_due(self, red: bool) -> bool:
        """At most one alert toast while the last is still up (ALERT_TOAST_SECONDS), unless
        this batch is red and that one was not: the strip shows every alert and counts them,
        and the bell rings for each batch, so a floor whose alerts come and go every few
        seconds does not keep a toast moving over the tiles."""
        now = time.monotonic()
        last, last_red = self._last_toast
        if now - last < ALERT_TOAST_SECONDS and (last_red or not red):
            return False
        self._last_toast = (now, red)
        return True

    def _show_alerts(self) -> None:
        """The strip (or the wall's top line): the worst, oldest alert not acknowledged,
        how many more there are, and the key that acknowledges them."""
        shown = self.alerts.shown
        red = any(alert.level is AlertLevel.RED for alert in shown)
        text = alert_line(shown)
        if self.wall_screen is not None:
            self.wall_screen.show_alert(text, red=red)
        strip = self.alerts_strip
        strip.set_class(bool(shown), "-shown")
        strip.set_class(red, "-red")
        self.status_row.set_class(bool(shown), "-alerting")
        if text != self._alert_text:
            # The strip's row is fixed (shared with the banner): a new line never needs a
            # layout, which would repaint the whole screen.
            self._alert_text = text
            strip.update(text, layout=False)

    def action_acknowledge(self) -> None:
        """Every alert shown is seen: it leaves the strip, and the audit log says who saw it.
        Read-only too: acknowledging changes nothing on the floor."""
        at = self._server_now(self.snapshot) if self.snapshot is not None else None
        events = self.alerts.acknowledge_all(at=at)
        if not events and not self.wall_mode:
            self.notify("No alert to acknowledge.", title="Alerts", markup=False, timeout=3)
        self._alert(events)

    def on_action_finished(self, message: ActionFinished) -> None:
        result = message.result
        self.notify(
            clean(result.message),
            title="Refused" if result.outcome is Outcome.REFUSED else result.action.capitalize(),
            severity=_SEVERITY[result.outcome],
            markup=False,
        )
        if result.outcome is not Outcome.REFUSED:  # show what the floor did without waiting
            self.poll_now()


__all__ = ["Floor", "WallboardApp", "alert_line"]
