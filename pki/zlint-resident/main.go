// zlint-resident: zlint v3.7.3 kept running, for pki/lint.ts. A process per lint spends more on starting
// (the Go runtime, registering every lint) and on the caller's spawn than on the lint itself; the CA lints every
// to-be-signed certificate (issuance cycle steps 6 and 10), so it keeps one of these per core instead.
//
// Protocol, one JSON object per line each way:
//
//	{"der": "<base64 DER certificate>"} -> {"results": <exactly what `zlint -format der <file>` prints>}
//	{"version": true}                   -> {"version": "zlint v3.7.3"} (the zlint module this binary was built with)
//	anything that fails                 -> {"error": "<why>"}
//
// The lints are those of the command line without flags: the global registry with the default configuration.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"

	_ "github.com/zmap/zlint/v3/profiles"
)

type request struct {
	DER     string `json:"der"`
	Version bool   `json:"version"`
}

func zlintVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/zmap/zlint/v3" {
				return "zlint " + dep.Version
			}
		}
	}
	return "zlint (unknown version)"
}

func answer(registry lint.Registry, line []byte) any {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return map[string]string{"error": fmt.Sprintf("request is not JSON: %v", err)}
	}
	if req.Version {
		return map[string]string{"version": zlintVersion()}
	}
	der, err := base64.StdEncoding.DecodeString(req.DER)
	if err != nil {
		return map[string]string{"error": fmt.Sprintf("der is not base64: %v", err)}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return map[string]string{"error": fmt.Sprintf("parsing as certificate: %v", err)}
	}
	return map[string]any{"results": zlint.LintCertificateEx(cert, registry).Results}
}

func main() {
	// As the command line does without -config: the default configuration on the global registry.
	configuration, err := lint.NewConfigFromFile("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	registry := lint.GlobalRegistry()
	registry.SetConfiguration(configuration)

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		if err := enc.Encode(answer(registry, in.Bytes())); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := out.Flush(); err != nil {
			os.Exit(1)
		}
	}
}
