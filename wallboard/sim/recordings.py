"""Call recordings: GetRecodeFile's short-lived download links, served by the simulator.

The vendor hands out a link that stops working a few minutes later ("Expiration time:..."):
the documents' example expires five minutes after the request. A client that stores the
link instead of the file finds out here, not in production. Every recording is the same
short, real WAV file (a quiet two-tone beep made with the stdlib), so that players and
downloaders have something genuine to chew on.
"""

from __future__ import annotations

import io
import math
import secrets
import struct
import wave
from dataclasses import dataclass
from functools import cache

#: Seconds a download link stays valid (the documents' example: request + 5 minutes).
LINK_LIFETIME = 300.0
#: Links kept at most; the oldest go first.
MAX_LINKS = 5_000
PATH_PREFIX = "/recordings/"


@cache
def recording_wav(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV at telephone quality: 440 Hz then 620 Hz, softly faded."""
    frames = int(seconds * rate)
    half = frames // 2
    fade = rate // 20
    samples = bytearray()
    for n in range(frames):
        tone = 440.0 if n < half else 620.0
        envelope = min(1.0, n / fade, (frames - n) / fade)
        value = int(9000 * envelope * math.sin(2 * math.pi * tone * n / rate))
        samples += struct.pack("<h", value)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


@dataclass(frozen=True)
class Link:
    key: str
    filename: str
    expires: float  # simulated unix seconds

    @property
    def path(self) -> str:
        return f"{PATH_PREFIX}{self.key}.wav"


class RecordingLinks:
    """Links handed out by GetRecodeFile, checked when the file is fetched."""

    def __init__(self) -> None:
        self._links: dict[str, Link] = {}

    def issue(self, filename: str, *, now: float) -> Link:
        self._prune(now)
        if len(self._links) >= MAX_LINKS:
            self._links.pop(next(iter(self._links)))
        link = Link(secrets.token_urlsafe(12), filename, now + LINK_LIFETIME)
        self._links[link.key] = link
        return link

    def find(self, key: str, *, now: float) -> Link | None:
        """The live link with this key, or None when it is unknown or has expired."""
        link = self._links.get(key)
        if link is None:
            return None
        if now > link.expires:
            del self._links[key]
            return None
        return link

    def _prune(self, now: float) -> None:
        expired = [key for key, link in self._links.items() if now > link.expires]
        for key in expired:
            del self._links[key]
