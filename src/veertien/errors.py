"""Every error veertien raises on purpose, in one tree.

    VeertienError
    ├── InputError            what a person or a file gave is not acceptable (the text says why)
    │     SettingsError, FlowError, DirectoryImportError, ReportError, UserError, IncidentError,
    │     TrafficError, RecordingError
    ├── ProtocolError         a peer's message is malformed; `status` is the SIP answer it earns
    │     SipSyntaxError, ParseError, HeaderInjectionError, SdpError, DialogError, RtpError
    ├── SetupError            something this machine needs is missing or broken
    │     ModelError, SynthesisError, PronunciationError, DatabaseError, SpeakerError
    └── UnavailableError      a limit was reached: try again later or ask for less
          ReportTimeout

The classes themselves are defined where they are raised, each subclassing one of these (and
the built-in it always was: ValueError for input and protocol errors, RuntimeError for set-up),
so callers catch by meaning: the portal maps `InputError` to 422 (400 for a malformed body) and
`UnavailableError` to 504 in one place; nothing catches TypeError or AttributeError to find a
bad value.
"""

from __future__ import annotations


class VeertienError(Exception):
    """The root of every error veertien raises on purpose."""


class InputError(VeertienError, ValueError):
    """A value given by a person, a file or a request is not acceptable; the text says why,
    in words the person can act on."""


class ProtocolError(VeertienError, ValueError):
    """A peer's message or media is malformed. `status` is the SIP status it earns where one
    can be sent (400 by default)."""

    status: int = 400


class SetupError(VeertienError, RuntimeError):
    """Something this machine needs (a program, a model, the database) is missing or broken."""


class UnavailableError(VeertienError, RuntimeError):
    """A limit was reached (time, capacity): the same request may work later or smaller."""


__all__ = ["InputError", "ProtocolError", "SetupError", "UnavailableError", "VeertienError"]
