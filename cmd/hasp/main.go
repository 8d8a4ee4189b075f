// Command hasp is the hasp toolkit: serve TLS, connect to TLS servers and
// see what they negotiate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

const usage = `hasp — TLS you can see

Usage:
  hasp serve   [flags]            HTTPS server that shows what each connection negotiated
  hasp connect [flags] HOST:PORT  handshake, show the result, then copy stdin/stdout
  hasp get [flags] URL            fetch an https URL (HTTP/2 when offered), like a small curl
  hasp cert ca|issue|show ...     the local CA; issue certificates; decode files or a server's chain
  hasp scan [flags] HOST[:PORT]...  grade servers' TLS (versions, suites, groups, certificates, weaknesses)
  hasp known-hosts list|forget HOST  the server keys connect remembered
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
	case "known-hosts":
		return knownHostsCmd(ctx, args[1:], stdout, stderr)
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
			case "known-hosts":
				return knownHostsCmd(ctx, []string{"-h"}, stdout, stdout)
			}
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "hasp help: no command %q\n\n%s", args[1], usage)
			return 2
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
//
// Flags may come anywhere, before or after the arguments (people type
// `hasp connect host:443 --json`); "--" ends them. A bad flag gets one
// line with the reason and where to find the flags, not the whole usage.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(interspersed(fs, args))
	fs.SetOutput(out)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, false
	}
	fmt.Fprintf(out, "hasp %s: %v\nRun 'hasp help %s' for the flags.\n", fs.Name(), err, fs.Name())
	return exitUsage, false
}

// interspersed moves the flags of args before the other arguments.
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // the parser reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(append(flags, "--"), rest...)
}

// usageError says what is wrong with a command line, in one line, and
// where the usage is.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "hasp %s: %s\nRun 'hasp help %s' for the usage.\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

// checkPort refuses a HOST:PORT whose port is not 1 to 65535.
func checkPort(hostport string) error {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}
