"""A resident pkilint: one Python interpreter that lints many certificates (pki/lint.ts talks to it).

Starting `lint_cabf_serverauth_cert` costs about 0.4 s of imports; then each lint builds its validators for the
certificate type (about 0.1 s of CPU) before validating (about 2 ms). The CA lints every TBS twice (issuance cycle
steps 6 and 10), so the interpreter stays warm and keeps the validators of each certificate type, as pkilint's own
REST server does (pkilint/rest/cabf_serverauth.py builds one validator per type once and lints every request with it).
Protocol: one JSON object per line on stdin, {"args": [...]} -- the same arguments as the command line -- and one
JSON object per line on stdout, {"code": <exit status>, "stdout": <what the command would have printed>}.
"""
import contextlib
import io
import json
import sys

from pkilint.bin import lint_cabf_serverauth_cert as cli
from pkilint.cabf import serverauth
from pkilint.pkix.certificate.certificate_validity import CertificateValidityPeriodStartRetriever

# The command line calls serverauth.create_validators(type, retriever) on every run. With the default retriever (the
# validity period start read from the document itself: stateless) the validators of a type lint every certificate
# alike, so they are built once per type; any other argument builds them afresh, as the command line does. The list is
# copied: create_pkix_certificate_validator_container appends the PKIX validators to the list it is given.
_create_validators = serverauth.create_validators
_validators_by_type = {}


def _validators(certificate_type, validity_period_start_retriever=None, *more, **options):
    reads_document = validity_period_start_retriever is None or type(validity_period_start_retriever) is CertificateValidityPeriodStartRetriever
    if more or options or not reads_document:
        return _create_validators(certificate_type, validity_period_start_retriever, *more, **options)
    if certificate_type not in _validators_by_type:
        _validators_by_type[certificate_type] = _create_validators(certificate_type)
    return list(_validators_by_type[certificate_type])


serverauth.create_validators = _validators

out = sys.stdout
for line in sys.stdin:
    request = json.loads(line)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = cli.main(request["args"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except Exception as e:  # a crash of one lint must not take the interpreter down
            code, captured = 2, io.StringIO(json.dumps({"error": repr(e)}))
    out.write(json.dumps({"code": code, "stdout": captured.getvalue()}) + "\n")
    out.flush()
