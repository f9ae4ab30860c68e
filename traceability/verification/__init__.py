"""Public verification: verdicts, suspected copies, the batched scan log and consumer reports."""

from traceability.verification.evaluate import (
    evaluate_manual,
    evaluate_token,
    verify_token,
    write_alert,
)
from traceability.verification.model import (
    PRECEDENCE,
    ScanContext,
    Verdict,
    Verification,
    VerifySettings,
)

__all__ = [
    "PRECEDENCE",
    "ScanContext",
    "Verdict",
    "Verification",
    "VerifySettings",
    "evaluate_manual",
    "evaluate_token",
    "verify_token",
    "write_alert",
]
