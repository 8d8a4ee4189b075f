package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Peer is a program some tests run against hasp.
type Peer struct {
	Program string // what the tests look up in PATH
	Debian  string // the package that provides it
	Tests   string // what loses coverage without it
}

// Peers lists every program a test may need; .ci/run installs them all and
// `go run ./internal/peercheck` (the second half of the README's test
// command) says which are missing here.
var Peers = []Peer{
	{"openssl", "openssl", "interop with OpenSSL (TLS 1.2/1.3, DTLS, sessions, scan)"},
	{"gnutls-cli", "gnutls-bin", "interop with GnuTLS as client"},
	{"gnutls-serv", "gnutls-bin", "interop with GnuTLS as server, DTLS"},
	{"curl", "curl", "hasp serve against curl"},
	{"java", "default-jdk-headless", "interop with JSSE"},
	{"javac", "default-jdk-headless", "interop with JSSE"},
	{"keytool", "default-jdk-headless", "interop with JSSE"},
	{"chromium", "chromium", "hasp serve and the lock panel in a browser"},
	{"certutil", "libnss3-tools", "hasp cert trust into NSS databases"},
	{"script", "bsdutils", "the trust prompt on a terminal"},
	{"python3", "python3", "STARTTLS servers against smtplib, imaplib, poplib"},
	{"slapd", "slapd", "LDAP StartTLS"},
	{"vsftpd", "vsftpd", "FTP AUTH TLS"},
	{"dovecot", "dovecot-imapd dovecot-pop3d", "IMAP and POP3 STARTTLS"},
	{"postfix", "postfix", "SMTP STARTTLS"},
	{"postconf", "postfix", "SMTP STARTTLS"},
	{"prosody", "prosody", "XMPP STARTTLS"},
	{"initdb", "postgresql", "PostgreSQL SSLRequest"},
	{"runuser", "util-linux", "PostgreSQL SSLRequest"},
	{"testssl", "testssl.sh", "hasp scan compared with testssl.sh"},
	{"sslscan", "sslscan", "hasp scan compared with sslscan"},
	{"nginx", "nginx", "hasp scan against nginx"},
	{"redis-server", "redis-server", "hasp serve fleets on Redis"},
}

// SkipLog is where NeedPeer notes each test it skips, for peercheck to
// report after `go test` (which hides the output of passing packages).
func SkipLog() string { return filepath.Join(os.TempDir(), "hasp-peer-skips.log") }

func noteSkip(t testing.TB, name string) {
	f, err := os.OpenFile(SkipLog(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	wd, _ := os.Getwd()
	fmt.Fprintf(f, "%s\t%s\t%s\n", name, filepath.Base(wd), strings.ReplaceAll(t.Name(), "\t", " "))
}
