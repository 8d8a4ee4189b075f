package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hasp-tls/hasp/trust"
)

// hasp known-hosts list|forget: the keys hasp connect remembered.
func knownHostsCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("known-hosts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("known-hosts", defaultStorePath("known_hosts"), "the known-hosts file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: hasp known-hosts list
       hasp known-hosts forget HOST[:PORT]

The keys 'hasp connect --accept-always' (or "always" at its prompt)
remembered. When a server's key changes on purpose (a new certificate with
a new key), forget the old entry; connect then asks again.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	kh := trust.OpenKnownHosts(*file)
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "list":
		all, err := kh.All()
		if err != nil {
			fmt.Fprintf(stderr, "hasp known-hosts: %v\n", err)
			return 1
		}
		if len(all) == 0 {
			fmt.Fprintf(stdout, "no remembered keys in %s\n", *file)
			return exitOK
		}
		for _, h := range all {
			fmt.Fprintf(stdout, "%-32s sha256/%s  first seen %s\n", h.Host, h.SPKI, h.FirstSeen.Format(time.DateOnly))
		}
		return exitOK
	case fs.NArg() == 2 && fs.Arg(0) == "forget":
		target := fs.Arg(1)
		if _, _, err := net.SplitHostPort(target); err != nil {
			target = net.JoinHostPort(target, "443")
		}
		if _, ok := kh.Lookup(target); !ok {
			fmt.Fprintf(stderr, "hasp known-hosts: %s is not in %s ('hasp known-hosts list' shows what is)\n", target, *file)
			return 1
		}
		if err := kh.Forget(target); err != nil {
			fmt.Fprintf(stderr, "hasp known-hosts: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "forgot the key of %s\n", target)
		return exitOK
	}
	return usageError(stderr, "known-hosts", "want 'list' or 'forget HOST[:PORT]'")
}
