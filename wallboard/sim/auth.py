"""Who may call the simulator: appid/accesskey accounts and the tokens Login hands out.

The vendor's rules, as documented: a token lives 12 hours (here: simulated hours, so that a
fast clock shows expiry in minutes), Logout kills it, an unknown appid is `ret 601` and an
expired authorisation `ret 602`. `--faults expire=N` also kills tokens after N real seconds,
for clients that must prove they log in again. Tokens and accesskeys are secrets: nothing
here puts them in a repr or a message.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from dataclasses import dataclass, field

from wallboard.api.services import TOKEN_LIFETIME

#: Tokens kept at most; the oldest are forgotten first (a client that logs in in a loop
#: must not grow the simulator without bound).
MAX_TOKENS = 10_000


@dataclass(frozen=True)
class Account:
    """One appid with its accesskey; `expired` accounts answer `ret 602`."""

    appid: str
    accesskey: str = field(repr=False)
    expired: bool = False


class Verdict(enum.Enum):
    """The outcome of a Login or of a token check."""

    OK = "ok"
    UNKNOWN_APPID = "unknown appid"  # ret 601
    EXPIRED_APPID = "appid expired"  # ret 602
    WRONG_ACCESSKEY = "wrong accesskey"  # business error 1003
    BAD_TOKEN = "bad token"  # ret 600


@dataclass
class _Token:
    appid: str
    issued_sim: float
    issued_real: float


class Gate:
    """Accounts and live tokens. Not thread-safe on its own: the simulator's lock guards it."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, _Token] = {}

    def __repr__(self) -> str:
        return f"Gate(accounts={len(self._accounts)}, tokens={len(self._tokens)})"

    def add_account(self, appid: str, accesskey: str, *, expired: bool = False) -> Account:
        account = Account(appid, accesskey, expired)
        self._accounts[appid] = account
        return account

    def login(self, appid: str, accesskey: str) -> Verdict:
        """Check a Login's pair; a token is only issued (`issue`) when this says OK."""
        account = self._accounts.get(appid)
        if account is None:
            return Verdict.UNKNOWN_APPID
        if account.expired:
            return Verdict.EXPIRED_APPID
        if not hmac.compare_digest(account.accesskey.encode(), accesskey.encode()):
            return Verdict.WRONG_ACCESSKEY
        return Verdict.OK

    def issue(self, appid: str, *, sim_now: float, real_now: float) -> str:
        token = secrets.token_hex(16)
        if len(self._tokens) >= MAX_TOKENS:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[token] = _Token(appid, sim_now, real_now)
        return token

    def check(
        self, token: str, *, sim_now: float, real_now: float, real_lifetime: float | None
    ) -> Verdict:
        """Is the token alive: known, under 12 simulated hours old, and (with the `expire`
        fault) under `real_lifetime` real seconds old."""
        entry = self._tokens.get(token)
        if entry is None:
            return Verdict.BAD_TOKEN
        expired = sim_now - entry.issued_sim >= TOKEN_LIFETIME or (
            real_lifetime is not None and real_now - entry.issued_real >= real_lifetime
        )
        account = self._accounts.get(entry.appid)
        if expired or account is None:
            del self._tokens[token]
            return Verdict.BAD_TOKEN
        if account.expired:
            return Verdict.EXPIRED_APPID
        return Verdict.OK

    def logout(self, token: str) -> None:
        self._tokens.pop(token, None)
