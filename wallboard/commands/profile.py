"""A profile's connections, made in one place for every command: its API client and its
callback receiver, each failing with one line (a ConfigError) that names what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wallboard.config import ConfigError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from wallboard.api.client import WallboardClient
    from wallboard.live.campaigns import CampaignRegistry
    from wallboard.live.receiver import OnEvent, RunningReceiver
    from wallboard.settings import Profile


def profile_client(profile: Profile) -> WallboardClient:
    """The profile's client; a ConfigError naming the profile when its url cannot be used
    (not http or https, say)."""
    from wallboard.api.client import WallboardClient

    try:
        return WallboardClient(profile.url, profile.appid, profile.accesskey)
    except ValueError as exc:
        raise ConfigError(f"{profile.source or 'the profile'}: url: {exc}") from None


def profile_receiver(
    registry: CampaignRegistry,
    profile: Profile,
    client: WallboardClient,
    *,
    on_event: OnEvent | None = None,
) -> AbstractContextManager[RunningReceiver | None]:
    """The profile's callback receiver (a do-nothing context without `callback_listen`),
    checking the company code of `client`'s Login; a ConfigError when it cannot listen."""
    from wallboard.commands.dashboard import callback_receiver

    try:
        return callback_receiver(
            registry,
            profile.callback_listen,
            company_code=lambda: client.company_code,
            path=profile.callback_path,
            allow=profile.callback_allow,
            on_event=on_event,
        )
    except OSError as exc:
        raise ConfigError(f"callback_listen: cannot listen ({exc})") from None
    except ValueError as exc:  # a path or an allowed network the receiver cannot use
        raise ConfigError(f"callback receiver: {exc}") from None


__all__ = ["profile_client", "profile_receiver"]
