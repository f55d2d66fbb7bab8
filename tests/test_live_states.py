"""The ONE agent-state mapping, case by case: every queue code 1212-1218 against every call
code 1201-1205 and 1012-1015 (and no answer at all), then the flags and wrap-up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wallboard.api import codes
from wallboard.live import states
from wallboard.live.snapshot import AgentState
from wallboard.live.states import agent_state

CALL_CODES = (1201, 1202, 1203, 1204, 1205, 1012, 1013, 1014, 1015, None)

# One row per queue code; one column per call code, in CALL_CODES order. Written out by hand
# from the documents' meanings, not computed: this table is the specification.
# off offline, dis disabled, idle, ring ringing, talk talking, wrap wrap-up, pause, miss missed
#        1201   1202   1203   1204   1205   1012   1013   1014   1015   None
TABLE = """
1212     miss   ring   talk   talk   miss   off    dis    off    miss   miss
1213     idle   ring   talk   talk   miss   off    dis    off    idle   idle
1214     ring   ring   talk   talk   ring   off    dis    off    ring   ring
1215     talk   talk   talk   talk   talk   off    dis    off    talk   talk
1216     miss   ring   talk   talk   miss   off    dis    off    miss   miss
1217     pause  ring   talk   talk   pause  off    dis    off    pause  pause
1218     idle   ring   talk   talk   miss   off    dis    off    idle   idle
None     idle   ring   talk   talk   miss   off    dis    off    idle   idle
"""
WORDS = {
    "off": AgentState.OFFLINE,
    "dis": AgentState.DISABLED,
    "idle": AgentState.IDLE,
    "ring": AgentState.RINGING,
    "talk": AgentState.TALKING,
    "wrap": AgentState.WRAPUP,
    "pause": AgentState.PAUSED,
    "miss": AgentState.MISSED,
}


def _cases() -> list[tuple[int | None, int | None, AgentState]]:
    cases = []
    for line in TABLE.strip().splitlines():
        queue_text, *states = line.split()
        queue_code = None if queue_text == "None" else int(queue_text)
        assert len(states) == len(CALL_CODES)
        for call_code, state in zip(CALL_CODES, states, strict=True):
            cases.append((queue_code, call_code, WORDS[state]))
    return cases


@pytest.mark.parametrize(("queue_code", "call_code", "expected"), _cases())
def test_every_code_pair(
    queue_code: int | None, call_code: int | None, expected: AgentState
) -> None:
    got = agent_state(
        queue_code, call_code, idleduration=None, wrapuptime=0, registered=True, enabled=True
    )
    assert got is expected


def test_the_table_covers_every_code() -> None:
    assert len(_cases()) == 8 * 10


@pytest.mark.parametrize(
    ("idleduration", "wrapuptime", "expected"),
    [
        (0, 15, AgentState.WRAPUP),
        (14, 15, AgentState.WRAPUP),
        (15, 15, AgentState.IDLE),  # the wrap-up time is over
        (200, 15, AgentState.IDLE),
        (3, 0, AgentState.IDLE),  # the queue has no wrap-up
        (None, 15, AgentState.IDLE),  # the server gave no idle time
        (-5, 15, AgentState.IDLE),  # nonsense from the server is not wrap-up
    ],
)
def test_wrapup_is_idle_inside_the_wrapup_time(
    idleduration: int | None, wrapuptime: int, expected: AgentState
) -> None:
    got = agent_state(
        1213, 1201, idleduration=idleduration, wrapuptime=wrapuptime, registered=True, enabled=True
    )
    assert got is expected


@pytest.mark.parametrize("queue_code", [1212, 1214, 1215, 1216, 1217])
def test_wrapup_never_hides_another_state(queue_code: int) -> None:
    got = agent_state(queue_code, None, idleduration=1, wrapuptime=30, registered=True)
    assert got is not AgentState.WRAPUP


@pytest.mark.parametrize(
    ("call_code", "registered", "enabled", "expected"),
    [
        (None, False, True, AgentState.OFFLINE),
        (None, True, False, AgentState.DISABLED),
        (None, False, False, AgentState.DISABLED),
        (None, None, None, AgentState.IDLE),  # nothing known yet: not offline by itself
        (1015, False, True, AgentState.OFFLINE),  # "not in a call" proves nothing
        # A fresh call state that shows the phone in use beats the slow reads (30 s old).
        (1201, False, True, AgentState.IDLE),
        (1204, False, True, AgentState.TALKING),
        (1202, True, False, AgentState.RINGING),
        (1014, True, True, AgentState.OFFLINE),  # and a fresh "not registered" wins too
        (1013, True, True, AgentState.DISABLED),
    ],
)
def test_registration_and_enabled_flags(
    call_code: int | None, registered: bool | None, enabled: bool | None, expected: AgentState
) -> None:
    got = agent_state(1213, call_code, registered=registered, enabled=enabled)
    assert got is expected


def test_unknown_codes_are_no_information() -> None:
    assert agent_state(1299, 1299, registered=True, enabled=True) is AgentState.IDLE
    assert agent_state(1210, None, registered=False) is AgentState.OFFLINE


@given(
    queue_code=st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    call_code=st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    idleduration=st.one_of(st.none(), st.integers(-(2**40), 2**40)),
    wrapuptime=st.integers(-1000, 10**6),
    registered=st.one_of(st.none(), st.booleans()),
    enabled=st.one_of(st.none(), st.booleans()),
)
def test_any_input_gives_a_state(
    queue_code: int | None,
    call_code: int | None,
    idleduration: int | None,
    wrapuptime: int,
    registered: bool | None,
    enabled: bool | None,
) -> None:
    got = agent_state(
        queue_code,
        call_code,
        idleduration=idleduration,
        wrapuptime=wrapuptime,
        registered=registered,
        enabled=enabled,
    )
    assert isinstance(got, AgentState)


def test_the_codes_come_from_the_one_table() -> None:
    """The readable names are looked up in the code table by the documents' own words: a
    code renumbered there changes here too, and a name the table lacks fails at import."""
    assert (states.Q_NO_ANSWER, states.Q_PAUSED, states.Q_CHECKED_IN) == (1212, 1217, 1218)
    assert (states.X_MISSING, states.X_IDLE, states.X_REJECTED) == (1012, 1201, 1205)
    assert (states.T_MISSING, states.T_OVER) == (1024, 1028)
    for name in dir(states):
        if name[:2] in ("Q_", "X_", "T_"):
            code = getattr(states, name)
            assert states.documented(codes.BUSINESS[code].message) == code, name
    with pytest.raises(LookupError, match="no such state"):
        states.documented("no such state")
