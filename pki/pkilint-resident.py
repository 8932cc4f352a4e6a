"""A resident pkilint: one Python interpreter that lints many certificates (pki/lint.ts talks to it).

Starting `lint_cabf_serverauth_cert` costs about 0.4 s of imports before a 0.18 s lint; the CA lints every TBS twice
(issuance cycle steps 6 and 10), so the CA keeps the interpreter warm. Protocol: one JSON object per line on stdin,
{"args": [...]} -- the same arguments as the command line -- and one JSON object per line on stdout,
{"code": <exit status>, "stdout": <what the command would have printed>}.
"""
import contextlib
import io
import json
import sys

from pkilint.bin import lint_cabf_serverauth_cert as cli

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
