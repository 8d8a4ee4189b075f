// Command hasp is the hasp toolkit: serve TLS, connect to TLS servers and
// see what they negotiate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hasp — TLS you can see

Usage:
  hasp serve   [flags]            HTTPS server that shows what each connection negotiated
  hasp connect [flags] HOST:PORT  handshake, show the result, then copy stdin/stdout
  hasp get [flags] URL            fetch an https URL (HTTP/2 when offered), like a small curl
  hasp cert ca|issue|show ...     the local CA; issue certificates; decode files or a server's chain
  hasp scan [flags] HOST[:PORT]...  grade servers' TLS (versions, suites, groups, certificates, weaknesses)
  hasp help [COMMAND]             help for a command

Run 'hasp help serve' or 'hasp help connect' for the flags.
`

func main() {
	// SIGINT and SIGTERM end long-running commands gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "connect":
		return connect(ctx, args[1:], stdin, stdout, stderr)
	case "cert":
		return certCmd(ctx, args[1:], stdout, stderr)
	case "get":
		return get(ctx, args[1:], stdout, stderr)
	case "scan":
		return scanCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "serve":
				return serve(ctx, []string{"-h"}, stdout, stdout)
			case "connect":
				return connect(ctx, []string{"-h"}, stdin, stdout, stdout)
			case "cert":
				return certCmd(ctx, []string{"help"}, stdout, stdout)
			case "get":
				return get(ctx, []string{"-h"}, stdout, stdout)
			case "scan":
				return scanCmd(ctx, []string{"-h"}, stdout, stdout)
			}
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "hasp: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseFlags parses a command's arguments. When it returns false the
// command ends with the code: 0 after -h, 2 for a bad flag (fs has
// printed the error and the usage).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	}
	return exitUsage, false
}
