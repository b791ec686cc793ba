"""One exception tree: every error class veertien defines hangs under one of the four branches
of `veertien.errors`, and nothing in the source catches TypeError, AttributeError or IndexError
to find a bad value."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import veertien
from veertien.errors import InputError, ProtocolError, SetupError, UnavailableError, VeertienError

BRANCHES = (InputError, ProtocolError, SetupError, UnavailableError)
ROOT = Path(veertien.__file__).resolve().parent


def _error_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages([str(ROOT)], "veertien."):
        if "migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == info.name:
                found.append(cls)
    return found


def test_every_error_class_is_in_the_tree() -> None:
    classes = _error_classes()
    assert len(classes) >= 20
    outside = [c.__qualname__ for c in classes if not issubclass(c, VeertienError)]
    assert not outside, outside
    unbranched = [
        c.__qualname__
        for c in classes
        if c not in (*BRANCHES, VeertienError) and not issubclass(c, BRANCHES)
    ]
    assert not unbranched, unbranched


def test_protocol_errors_carry_a_sip_status() -> None:
    from veertien.sip.dialog import DialogError  # noqa: PLC0415
    from veertien.sip.sdp import SdpError  # noqa: PLC0415
    from veertien.sip.uri import SipSyntaxError  # noqa: PLC0415

    assert (SipSyntaxError.status, SdpError.status, DialogError.status) == (400, 488, 481)


def test_nothing_catches_type_attribute_or_index_errors() -> None:
    wrong = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                caught = names & {"TypeError", "AttributeError", "IndexError"}
                if caught:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} catches {sorted(caught)}")
    assert not wrong, "\n".join(wrong)
