package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// hasp cert trust|untrust: install hasp's local CA where browsers and
// tools look (as mkcert -install does): the NSS databases of Chromium
// (~/.pki/nssdb) and Firefox profiles, and the system store.
func certTrust(args []string, install bool, stdout, stderr io.Writer) int {
	name := "trust"
	if !install {
		name = "untrust"
	}
	fs := flag.NewFlagSet("cert "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	noSystem := fs.Bool("no-system", false, "leave the system store alone (only the user's browser databases)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	d, err := configDir()
	var ca *localCA
	if err == nil {
		ca, _, err = loadOrCreateCA(d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hasp cert %s: %v\n", name, err)
		return 1
	}
	const nick = "hasp-local-ca"
	failed := false
	// NSS: Chromium's database, made if missing, and every Firefox
	// profile's.
	certutil, lookErr := exec.LookPath("certutil")
	home, _ := os.UserHomeDir()
	dbs := []string{filepath.Join(home, ".pki", "nssdb")}
	profiles, _ := filepath.Glob(filepath.Join(home, ".mozilla", "firefox", "*"))
	for _, p := range profiles {
		if _, err := os.Stat(filepath.Join(p, "cert9.db")); err == nil {
			dbs = append(dbs, p)
		}
	}
	if lookErr != nil {
		fmt.Fprintln(stderr, "hasp cert: certutil is not installed (Debian: apt-get install libnss3-tools); browsers' databases left alone")
	} else {
		for _, db := range dbs {
			run := func(args ...string) error {
				out, err := exec.Command(certutil, append(args, "-d", "sql:"+db)...).CombinedOutput()
				if err != nil {
					return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
				}
				return nil
			}
			if install {
				if _, err := os.Stat(filepath.Join(db, "cert9.db")); err != nil {
					os.MkdirAll(db, 0o700)
					if err := run("-N", "--empty-password"); err != nil {
						fmt.Fprintf(stderr, "hasp cert trust: making the NSS database %s: %v\n", db, err)
						failed = true
						continue
					}
				}
				if err := run("-A", "-t", "C,,", "-n", nick, "-i", ca.certPath); err != nil {
					fmt.Fprintf(stderr, "hasp cert trust: %s: %v\n", db, err)
					failed = true
					continue
				}
				fmt.Fprintf(stdout, "trusted in %s (Chromium, Firefox: restart the browser)\n", db)
			} else {
				if _, err := os.Stat(filepath.Join(db, "cert9.db")); err != nil {
					continue
				}
				if err := run("-D", "-n", nick); err != nil {
					fmt.Fprintf(stdout, "not in %s\n", db)
					continue
				}
				fmt.Fprintf(stdout, "removed from %s\n", db)
			}
		}
	}
	if !*noSystem {
		const anchor = "/usr/local/share/ca-certificates/hasp-local-ca.crt"
		update, err := exec.LookPath("update-ca-certificates")
		switch {
		case err != nil:
			fmt.Fprintln(stdout, "no update-ca-certificates here: the system store is left alone")
		case os.Geteuid() != 0 && install:
			fmt.Fprintf(stdout, "the system store needs root: sudo cp %s %s && sudo update-ca-certificates\n", ca.certPath, anchor)
		case os.Geteuid() != 0:
			fmt.Fprintf(stdout, "the system store needs root: sudo rm -f %s && sudo update-ca-certificates --fresh\n", anchor)
		default:
			if install {
				pem, _ := os.ReadFile(ca.certPath)
				err = os.WriteFile(anchor, pem, 0o644)
			} else {
				err = os.Remove(anchor)
				if os.IsNotExist(err) {
					err = nil
				}
			}
			if err == nil {
				args := []string{}
				if !install {
					args = append(args, "--fresh")
				}
				if out, uerr := exec.Command(update, args...).CombinedOutput(); uerr != nil {
					err = fmt.Errorf("%v: %s", uerr, out)
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "hasp cert %s: the system store: %v\n", name, err)
				failed = true
			} else if install {
				fmt.Fprintf(stdout, "trusted in the system store (%s)\n", anchor)
			} else {
				fmt.Fprintln(stdout, "removed from the system store")
			}
		}
	}
	if failed {
		return 1
	}
	return exitOK
}
