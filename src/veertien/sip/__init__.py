"""SIP for veertien: sans-I/O message, parser, uri, sdp, transaction, dialog and core; the
user agent above them (ua.py) and the asyncio transport (transport.py).

What other packages use is exported here and pinned by tests/sip/test_exported_members.py; the
modules' other names are the package's own business.
"""

from veertien.sip.admission import SourceGuard, SourcePolicy, networks
from veertien.sip.core import (
    AckTimeout,
    Cancelled,
    CoreConfig,
    Dropped,
    IncomingAck,
    IncomingRequest,
    Output,
    SipCore,
    client_key,
    make_response,
)
from veertien.sip.dialog import Dialog, DialogError, DialogId, DialogState
from veertien.sip.message import REASONS, HeaderInjectionError, Headers, Message, Request, Response
from veertien.sip.parser import MAX_MESSAGE, ParseError, StreamFramer, check_request, parse_message
from veertien.sip.sdp import (
    AudioChoice,
    Media,
    SdpError,
    SessionDescription,
    answer,
    choose_audio,
    offer,
    parse_sdp,
)
from veertien.sip.transaction import (
    Deliver,
    Peer,
    Timeout,
    TimerValues,
    Transmit,
    Transport,
    TxnKey,
)
from veertien.sip.transport import SipEndpoint
from veertien.sip.ua import (
    DialogUser,
    LocalEndpoint,
    UserAgent,
    cancel_for,
    dialog_id_of,
    new_request,
)
from veertien.sip.uri import (
    CSeq,
    NameAddr,
    SipSyntaxError,
    SipUri,
    Via,
    destination_uri,
    split_commas,
    tag_of,
    top_via,
)

__all__ = [
    "MAX_MESSAGE",
    "REASONS",
    "AckTimeout",
    "AudioChoice",
    "CSeq",
    "Cancelled",
    "CoreConfig",
    "Deliver",
    "Dialog",
    "DialogError",
    "DialogId",
    "DialogState",
    "DialogUser",
    "Dropped",
    "HeaderInjectionError",
    "Headers",
    "IncomingAck",
    "IncomingRequest",
    "LocalEndpoint",
    "Media",
    "Message",
    "NameAddr",
    "Output",
    "ParseError",
    "Peer",
    "Request",
    "Response",
    "SdpError",
    "SessionDescription",
    "SipCore",
    "SipEndpoint",
    "SipSyntaxError",
    "SipUri",
    "SourceGuard",
    "SourcePolicy",
    "StreamFramer",
    "Timeout",
    "TimerValues",
    "Transmit",
    "Transport",
    "TxnKey",
    "UserAgent",
    "Via",
    "answer",
    "cancel_for",
    "check_request",
    "choose_audio",
    "client_key",
    "destination_uri",
    "dialog_id_of",
    "make_response",
    "networks",
    "new_request",
    "offer",
    "parse_message",
    "parse_sdp",
    "split_commas",
    "tag_of",
    "top_via",
]
