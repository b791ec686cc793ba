"""Dialling → transfer for a caller who says the name when first asked, over real SIP.

    .venv/bin/python bench/speech_call.py [--rounds 2] [--out FILE]

Starts `veertien serve` on a fresh data folder (the embedded default: the demo directory,
speech on by default, nothing configured) on loopback, then places calls one at a time with
the built-in caller (`veertien call DIALLED --say NAME`): it answers the first question at once,
"Bedoelt u ...?" truthfully and "Bedoelt u A of B?" with the name again. Reported: the time
from the INVITE to the 302 per call (p50, max), how many went where they should, and how many
were asked a question. The caller's voice is espeak-ng's: synthetic.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("veertien")
CALLS = (  # (dialled, what the caller says, the municipality it wants)
    ("140113", "Kapelle", "Kapelle"),
    ("140113", "Reimerswaal", "Reimerswaal"),
    ("140113", "Goes", "Goes"),
    ("140113", "Borsele", "Borsele"),
    ("140113", "Noord-Beveland", "Noord-Beveland"),
    ("140578", "Epe", "Epe"),
    ("140578", "Heerde", "Heerde"),
)
AFTER = re.compile(r"ended: transferred to .*\((?P<where>[^)]*)\) after (?P<s>[0-9.]+) s")


def _serve(data: Path) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [str(EXE), "--data", str(data), "serve", "--sip", "127.0.0.1:0", "--http", "off"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for _ in range(40):
        line = process.stdout.readline()
        if line.startswith("listening for SIP"):
            return process, int(line.split()[5].rsplit(":", 1)[1].rstrip(";"))
    process.kill()
    raise RuntimeError("veertien serve did not start")


def _call(data: Path, port: int, dialled: str, said: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(EXE), "--data", str(data), "call", dialled, "--server", f"127.0.0.1:{port}",
         "--say", said, "--timeout", "90"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = AFTER.search(done.stdout)
    questions = done.stdout.count("→ says: 'ja'") + done.stdout.count("→ says: 'nee'")
    return {
        "dialled": dialled,
        "said": said,
        "ended_at": found["where"] if found else None,
        "seconds": float(found["s"]) if found else None,
        "yes_no_answers": questions,
        "asked_again": max(0, done.stdout.count("→ says:") - 1 - questions),
    }


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        started = time.perf_counter()
        process, port = _serve(data)
        ready_s = time.perf_counter() - started
        try:
            calls = [
                {**_call(data, port, dialled, said), "wanted": wanted}
                for _ in range(rounds)
                for dialled, said, wanted in CALLS
            ]
        finally:
            process.terminate()
            process.wait(timeout=20)
    seconds = sorted(c["seconds"] for c in calls if c["seconds"] is not None)
    right = [c for c in calls if c["ended_at"] == c["wanted"]]
    no_question = [c for c in right if not c["yes_no_answers"] and not c["asked_again"]]
    quick = [c["seconds"] for c in no_question]
    p50 = round(statistics.median(seconds), 2) if seconds else None
    return {
        "benchmark": "speech_call",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "synthetic": "the caller is espeak-ng: not figures on people",
        "serve_ready_s": round(ready_s, 1),
        "calls": len(calls),
        "transferred": len(seconds),
        "right": len(right),
        "right_without_a_question": len(no_question),
        "dialling_to_transfer_s": {
            "p50": p50,
            "max": max(seconds) if seconds else None,
            "right_without_a_question_p50": round(statistics.median(quick), 2) if quick else None,
        },
        "goal_p50_s": 8.0,
        "each": calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    emit(run(args.rounds), args.out)


def emit(report: dict[str, Any], out: Path | None) -> None:
    """Print a benchmark's JSON, and write it to `out` too when given."""
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if out is not None:
        out.write_text(text + "\n")


if __name__ == "__main__":
    main()
