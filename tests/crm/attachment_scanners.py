"""A real, small virus-scan hook for the tests (``CRM_ATTACHMENT_SCANNER``):
refuses files that carry the EICAR test signature, as any scanner would."""

from django.core.exceptions import ValidationError

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
INFECTED = "The virus scanner refused the file (EICAR test signature)."


def refuse_eicar(file) -> None:
    if EICAR in file.read():
        raise ValidationError(INFECTED, code="virus")
