"""A call recording fetched to a file, on a supervisor's request.

GetRecodeFile answers a download link that stops working minutes later, and the server keeps
recordings for three months: whoever needs one saves the file, never the link. The file is
streamed to disk (a long call's recording is never held in memory), written beside its final
name and renamed once whole, so an interrupted download leaves no half file under the name.
A recording holds a customer's voice: the file is made readable by its owner only (0600).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import httpx

#: A recording larger than this is refused (a telephone call at 8 kHz is ~1 MB a minute).
MAX_BYTES = 1 << 30
FILE_MODE = 0o600
TIMEOUT = 30.0


class DownloadError(Exception):
    """The recording could not be saved: one line saying why."""


async def download(
    url: str,
    path: Path,
    *,
    overwrite: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = TIMEOUT,
) -> int:
    """Save the recording at `url` to `path`; the bytes written."""
    target = Path(path).expanduser()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise DownloadError("the download link is not a web address") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise DownloadError("the download link is not an http:// or https:// address")
    if target.exists() and not overwrite:
        raise DownloadError(f"{target} exists already: choose another file")
    if not target.parent.is_dir():
        raise DownloadError(f"{target.parent} is not a folder")
    partial = target.with_name(f".{target.name}.part")
    written = 0
    try:
        async with (
            httpx.AsyncClient(transport=transport, timeout=timeout) as http,
            http.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise DownloadError(
                    f"the server answered HTTP {response.status_code}: the link may have "
                    "expired (links last minutes): ask for a new one"
                )
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
            with os.fdopen(descriptor, "wb") as out:
                async for chunk in response.aiter_bytes():
                    written += len(chunk)
                    if written > MAX_BYTES:
                        raise DownloadError("the recording is larger than 1 GB: refused")
                    out.write(chunk)
        os.replace(partial, target)
    except httpx.HTTPError as exc:
        _remove(partial)
        raise DownloadError(f"the recording could not be fetched ({type(exc).__name__})") from None
    except OSError as exc:
        _remove(partial)
        raise DownloadError(f"{target} cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        _remove(partial)
        raise
    return written


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


__all__ = ["FILE_MODE", "MAX_BYTES", "DownloadError", "download"]
