"""The agent list on hand-made snapshots, in a small host app: one row per person, the sort
orders, the ramp colours, the cursor, and what gets redrawn (only the changed lines, and only
the visible ones however long the list)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from wallboard.live.snapshot import AgentState, AgentView, FloorSnapshot, QueueView
from wallboard.ui.agent_list import (
    NO_AGENTS,
    NO_MATCH,
    SCAN_ORDER,
    AgentList,
    SortOrder,
    agent_rows,
    columns_for,
)
from wallboard.ui.messages import Edge
from wallboard.ui.themes import variable_defaults
from wallboard.ui.thresholds import Thresholds

T0 = 1_767_600_000.0


def agent(
    ext: str,
    state: AgentState = AgentState.IDLE,
    *,
    queue: str = "sales",
    seconds: float = 30,
    name: str | None = None,
    number: str | None = None,
    answered: int = 0,
    missed: int = 0,
) -> AgentView:
    return AgentView(
        extnumber=ext,
        queue=queue,
        name=f"Agent {ext}" if name is None else name,
        state=state,
        since=T0 - seconds,
        number=number,
        answered=answered,
        missed=missed,
    )


def snapshot(*agents: AgentView, at: float = T0) -> FloorSnapshot:
    queues: dict[str, list[AgentView]] = {}
    for each in agents:
        queues.setdefault(each.queue, []).append(each)
    return FloorSnapshot(
        taken_at=at, queues=tuple(QueueView(name=n, agents=tuple(a)) for n, a in queues.items())
    )


def replaced(snap: FloorSnapshot, changed: AgentView) -> FloorSnapshot:
    """The snapshot with one queue entry replaced; every other object kept (as the model)."""
    queues = []
    for queue in snap.queues:
        agents = tuple(
            changed if (a.queue, a.extnumber) == (changed.queue, changed.extnumber) else a
            for a in queue.agents
        )
        queues.append(replace(queue, agents=agents) if agents != queue.agents else queue)
    return replace(snap, queues=tuple(queues))


class Host(App[None]):
    """The list alone, with the wallboard's theme variables (state colours, ramps)."""

    def __init__(self, **options: object) -> None:
        super().__init__()
        self.options = options
        self.edges: list[str] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return variable_defaults(self.current_theme)

    def compose(self) -> ComposeResult:
        yield AgentList(**self.options)  # type: ignore[arg-type]

    def on_edge(self, message: Edge) -> None:
        self.edges.append(message.direction)

    @property
    def list(self) -> AgentList:
        return self.query_one(AgentList)


class Drawn:
    """Records the lines the list draws and the regions it asks Textual to repaint."""

    def __init__(self, widget: AgentList, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines: list[int] = []
        self.regions: list[tuple[Region, ...]] = []
        render, refresh = widget.render_line, widget.refresh

        def render_line(y: int) -> Strip:
            self.lines.append(y)
            return render(y)

        def spy_refresh(*regions: Region, **kwargs: bool) -> AgentList:
            self.regions.append(regions)
            return refresh(*regions, **kwargs)

        monkeypatch.setattr(widget, "render_line", render_line)
        monkeypatch.setattr(widget, "refresh", spy_refresh)

    def clear(self) -> None:
        self.lines.clear()
        self.regions.clear()

    @property
    def full(self) -> bool:
        return any(not regions for regions in self.regions)


def texts(widget: AgentList) -> list[str]:
    return [widget.line_text(y) for y in range(1, widget.shown + 1)]


def exts(widget: AgentList) -> list[str]:
    return [row.extnumber for row in widget.rows]


def order(widget: AgentList) -> SortOrder:
    return widget.order


FLOOR = (
    agent("1001", AgentState.TALKING, seconds=65, number="13800001111", answered=4, missed=1),
    agent("1002", AgentState.PAUSED, seconds=400, name="Bob Stone"),
    agent("1003", AgentState.IDLE, seconds=90, name="Ann Lee"),
    agent("1004", AgentState.PAUSED, seconds=1000, name="Zed Park"),
    agent("1005", AgentState.IDLE, seconds=200, name="Cy Dow", queue="support"),
    agent("1006", AgentState.OFFLINE, seconds=5, name="Al Ford", queue="support"),
    agent("1003", AgentState.IDLE, seconds=10, name="Ann Lee", queue="support", answered=2),
)


async def test_one_row_per_person_with_a_header() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        app.list.show(snapshot(*FLOOR))
        await pilot.pause()
        header = app.list.line_text(0)
        assert header.split() == [
            "TIME",
            "STATE▼",
            "EXT",
            "NAME",
            "QUEUES",
            "NUMBER",
            "ANS",
            "MISS",
        ]
        assert app.list.shown == 6  # seven queue entries, six people
        talking = app.list.row_text("1001")
        assert talking is not None
        assert talking.startswith(" 1:05 ● TALK  1001 Agent 1001")
        assert "13800001111" in talking and talking.rstrip().endswith("4     1")
        both = app.list.row_text("1003")
        assert both is not None and "sales, support" in both
        assert both.rstrip().endswith("2     0")  # answered summed over the queues
        assert app.list.row_text("1006") is not None
        assert all(len(line) == len(header) for line in texts(app.list))


def test_an_agent_in_two_queues_shows_the_most_pressing_state() -> None:
    paused = agent("1007", AgentState.PAUSED, seconds=300)
    talking = agent("1007", AgentState.TALKING, queue="support", seconds=20, number="555")
    (row,) = agent_rows(snapshot(paused, talking).queues)
    assert row.state is AgentState.TALKING and row.view is talking and row.number == "555"
    assert row.queues == ("sales", "support") and row.queue_text == "sales, support"
    again = agent_rows(snapshot(paused, talking).queues, {"1007": row})
    assert again[0] is row  # the same entries: the same row object


async def test_sorted_by_state_then_longest_first_by_name_or_by_queue() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.list
        widget.show(snapshot(*FLOOR))
        await pilot.pause()
        # Paused longest first, then idle longest first, talking, offline.
        assert exts(widget) == ["1004", "1002", "1005", "1003", "1001", "1006"]
        assert [row.state for row in widget.rows] == sorted(
            (row.state for row in widget.rows), key=SCAN_ORDER.index
        )
        widget.focus()
        await pilot.press("t")
        assert order(widget) is SortOrder.NAME
        assert exts(widget) == ["1001", "1006", "1003", "1002", "1005", "1004"]
        assert "NAME▼" in widget.line_text(0)
        await pilot.press("t")
        assert order(widget) is SortOrder.QUEUE
        assert exts(widget) == ["1004", "1002", "1001", "1003", "1005", "1006"]
        await pilot.press("t")
        assert order(widget) is SortOrder.STATE
        await pilot.click(AgentList, offset=(40, 0))  # the NAME title
        assert order(widget) is SortOrder.NAME


@pytest.mark.parametrize(
    ("seconds", "ramp"),
    [(119, "ok"), (120, "amber"), (299, "amber"), (300, "red")],
)
async def test_time_in_state_ramps_at_the_thresholds(seconds: int, ramp: str) -> None:
    app = Host(thresholds=Thresholds.from_names({"idle": (120, 300)}))
    async with app.run_test(size=(100, 10)) as pilot:
        widget = app.list
        widget.show(snapshot(agent("1001", seconds=seconds), agent("1002", AgentState.TALKING)))
        await pilot.pause()
        widget.blur()
        time_cells = widget.render_line(1 + exts(widget).index("1001")).crop(0, 5)
        (segment,) = list(time_cells)
        assert segment.style == widget.style_cache[f"agent-list--time-{ramp}"]
        other = widget.render_line(1 + exts(widget).index("1002"))
        assert next(iter(other)).style == widget.style_cache["agent-list--time-ok"]


async def test_only_the_lines_that_changed_are_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    agents = [agent(f"{1000 + n}", AgentState.TALKING, seconds=100 + n) for n in range(30)]
    first = snapshot(*agents)
    app = Host()
    async with app.run_test(size=(100, 12)) as pilot:
        widget = app.list
        widget.show(first)
        await pilot.pause()
        drawn = Drawn(widget, monkeypatch)

        widget.show(first)  # the same snapshot: nothing to draw
        await pilot.pause()
        assert drawn.lines == [] and drawn.regions == []

        # A count changed; the row keeps its place: that line, up to the counts' end.
        row_at = exts(widget).index("1027")
        assert row_at == 2
        counted = replaced(first, replace(agents[27], answered=7))
        widget.show(counted)
        await pilot.pause()
        assert drawn.lines == [1 + row_at] and not drawn.full
        (region,) = drawn.regions[0]
        assert (region.x, region.y, region.height) == (0, 1 + row_at, 1)
        assert widget.row_text("1027").rstrip().endswith("7     0")  # type: ignore[union-attr]

        # The fifth row ends a call and is idle: it moves to the top, the four above it move
        # down one line; the rows below it stay, and are not drawn.
        drawn.clear()
        assert exts(widget)[4] == "1025"
        idle = replaced(counted, replace(agents[25], state=AgentState.IDLE, since=T0))
        widget.show(idle)
        await pilot.pause()
        assert exts(widget)[:5] == ["1025", "1029", "1028", "1027", "1026"]
        assert sorted(drawn.lines) == [1, 2, 3, 4, 5]
        assert not drawn.full

        # The wall's clock has not ticked: nothing; it ticked: only the time cells.
        drawn.clear()
        widget.show(replace(idle, taken_at=T0 + 1))
        await pilot.pause()
        assert drawn.lines == []
        # Five seconds on, only a time under a minute moves (the idle row's, now at the
        # top); times of a minute or more move every 15 s, all in the same frame.
        widget.show(replace(idle, taken_at=T0 + 5))
        await pilot.pause()
        assert drawn.lines == [1]
        drawn.clear()
        widget.show(replace(idle, taken_at=T0 + 15))
        await pilot.pause()
        regions = [r for call in drawn.regions for r in call]
        assert regions and all((r.x, r.width) == (0, 5) for r in regions)
        assert len(drawn.lines) == 11  # every visible row's time moved


async def test_two_thousand_agents_cost_only_the_visible_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    states = (AgentState.IDLE, AgentState.TALKING, AgentState.PAUSED, AgentState.WRAPUP)
    agents = [
        agent(f"{10000 + n}", states[n % 4], queue=f"q{n % 50}", seconds=(n * 37) % 3000)
        for n in range(2000)
    ]
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        widget = app.list
        drawn = Drawn(widget, monkeypatch)
        widget.show(snapshot(*agents))
        await pilot.pause()
        assert widget.shown == 2000
        assert 0 < len(drawn.lines) <= 40
        assert max(drawn.lines) < 40
        rows = widget.rows
        assert rows[0].state is AgentState.PAUSED
        paused = [row.since for row in rows if row.state is AgentState.PAUSED]
        assert paused == sorted(paused)  # longest in the state first
        drawn.clear()
        churned = snapshot(
            *[
                replace(a, state=AgentState.TALKING, since=T0) if n % 10 == 0 else a
                for n, a in enumerate(agents)
            ]
        )
        widget.show(churned)
        await pilot.pause()
        assert 0 < len(drawn.lines) <= 40  # 200 agents changed: still one screen at most
        widget.focus()
        await pilot.press("end")
        assert widget.selected_row is widget.rows[-1]


async def test_the_cursor_selects_a_person_and_follows_them() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.list
        snap = snapshot(*FLOOR)
        widget.show(snap)
        widget.focus()
        await pilot.pause()
        assert widget.selected is not None and widget.selected.extnumber == "1004"
        await pilot.press("up")
        assert app.edges == ["up"]
        await pilot.press("down", "j")
        assert widget.selected.extnumber == "1005"
        await pilot.press("right")
        assert app.edges == ["up", "right"]
        assert widget.select("support", "1003")
        assert widget.selected.extnumber == "1003"
        # The row moves when its state changes: the cursor stays on the person.
        ann = replace(FLOOR[2], state=AgentState.TALKING, since=T0)
        widget.show(replaced(snap, ann))
        assert widget.selected_row is not None and widget.selected_row.extnumber == "1003"
        # Talking in sales beats idle in support: actions go to the sales entry.
        assert (widget.selected.queue, widget.selected.state) == ("sales", AgentState.TALKING)
        await pilot.click(AgentList, offset=(10, 2))
        assert widget.selected_row is widget.rows[1]
        assert not widget.select("sales", "9999")


async def test_one_agent_leaves_as_another_arrives() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.list
        widget.show(snapshot(*FLOOR))
        await pilot.pause()
        assert widget.select("sales", "1002")
        others = [a for a in FLOOR if a.extnumber != "1002"]
        widget.show(snapshot(*others, agent("1099", AgentState.PAUSED, seconds=5000)))
        await pilot.pause()
        assert exts(widget) == ["1099", "1004", "1005", "1003", "1001", "1006"]
        assert widget.row_text("1002") is None and "1099" in widget.line_text(1)
        assert widget.selected_row is widget.rows[0]  # the cursor's agent left: the top


async def test_filters_and_what_an_empty_list_says() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        widget = app.list
        widget.show(snapshot(*FLOOR))
        await pilot.pause()
        widget.set_filter(text="ann")
        assert exts(widget) == ["1003"]
        widget.set_filter(text="", state=AgentState.PAUSED)
        assert exts(widget) == ["1004", "1002"]
        widget.set_filter(text="nobody")
        assert widget.shown == 0 and NO_MATCH in widget.line_text(1)
        widget.set_filter(text="", state=None)
        assert widget.shown == 6
        widget.show(FloorSnapshot(taken_at=T0))
        assert NO_AGENTS in widget.line_text(1)
        widget.show(snapshot(*FLOOR), waiting="no data yet: server unreachable")
        assert widget.shown == 0 and "no data yet" in widget.line_text(1)


def test_narrow_lists_drop_the_number_then_the_counts() -> None:
    wide, mid, narrow = columns_for(100, 4), columns_for(50, 4), columns_for(34, 4)
    assert wide.number and wide.counts and wide.queues
    assert not mid.number and mid.counts
    assert not narrow.number and not narrow.counts and narrow.name
    for columns in (wide, mid, narrow):
        assert columns.spans()[-1][1] <= columns.width


async def test_the_queue_scope_limits_rows_and_their_queues() -> None:
    app = Host(scope=["support"])
    async with app.run_test(size=(100, 20)) as pilot:
        app.list.show(snapshot(*FLOOR))
        await pilot.pause()
        assert sorted(exts(app.list)) == ["1003", "1005", "1006"]
        (ann,) = [row for row in app.list.rows if row.extnumber == "1003"]
        assert ann.queues == ("support",)
