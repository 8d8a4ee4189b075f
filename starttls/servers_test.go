package starttls_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/internal/testutil"
	"github.com/hasp-tls/hasp/starttls"
)

// Real servers, each started by its test on loopback with a config in a
// temporary directory and stopped (by its PID) when the test ends. Under
// CI (HASP_CI=1) a missing server fails the test; elsewhere it skips.

// serverFiles writes the test CA and the server's chain and key.
type serverFiles struct {
	dir, ca, cert, key string
}

func writeServerFiles(t *testing.T) serverFiles {
	t.Helper()
	dir := t.TempDir()
	// Servers that drop privileges must reach their files, through every
	// directory above (t.TempDir's parent is 0700).
	os.Chmod(dir, 0o755)
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, st.Mode().Perm()|0o011)
		}
	}
	f := serverFiles{dir: dir, ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	for name, data := range map[string][]byte{f.ca: ca.PEM(), f.cert: leaf.ChainPEM(), f.key: leaf.KeyPEM()} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(f.key, 0o600)
	return f
}

// freePort finds a free loopback TCP port for a server that is told which
// to use.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitPort waits until addr accepts connections.
func waitPort(t *testing.T, addr string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on %s", addr)
}

// startServer runs a server program until the test ends; it is killed by
// its PID.
func startServer(t *testing.T, path string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, args...)
	out, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(path)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s output:\n%s", filepath.Base(path), b)
		}
	})
	return cmd
}

func needPeer(t *testing.T, name string) string {
	t.Helper()
	return testutil.NeedPeer(t, name)
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func upgradeCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// OpenLDAP slapd with StartTLS: the upgrade, then a root DSE search over
// TLS that names the database.
func TestSlapd(t *testing.T) {
	slapd := needPeer(t, "slapd")
	f := writeServerFiles(t)
	port := freePort(t)
	os.MkdirAll(filepath.Join(f.dir, "db"), 0o700)
	conf := filepath.Join(f.dir, "slapd.conf")
	os.WriteFile(conf, []byte(`include /etc/ldap/schema/core.schema
pidfile `+f.dir+`/slapd.pid
argsfile `+f.dir+`/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile `+f.ca+`
TLSCertificateFile `+f.cert+`
TLSCertificateKeyFile `+f.key+`
TLSVerifyClient never
database mdb
maxsize 10485760
suffix "dc=test"
rootdn "cn=admin,dc=test"
rootpw secret
directory `+f.dir+`/db
`), 0o600)
	// -d: in the foreground (the PID is the daemon's), logging.
	startServer(t, slapd, "-f", conf, "-h", "ldap://"+loopback(port)+"/", "-d", "stats")
	waitPort(t, loopback(port), 10*time.Second)
	c, _, err := starttls.Dial(upgradeCtx(t), starttls.LDAP, loopback(port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// SearchRequest, message 2: base "", baseObject scope, (objectClass=*),
	// attribute namingContexts.
	req := []byte{0x30, 0x35, 0x02, 0x01, 0x02, 0x63, 0x30,
		0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00,
		0x87, 0x0b}
	req = append(req, "objectClass"...)
	req = append(req, 0x30, 0x10, 0x04, 0x0e)
	req = append(req, "namingContexts"...)
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "dc=test") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("root DSE over TLS: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
}

// vsftpd with AUTH TLS: the upgrade, then a login and SYST over TLS.
func TestVsftpd(t *testing.T) {
	vsftpd := needPeer(t, "vsftpd")
	f := writeServerFiles(t)
	port := freePort(t)
	root, empty := filepath.Join(f.dir, "ftproot"), filepath.Join(f.dir, "empty")
	os.MkdirAll(root, 0o755)
	os.MkdirAll(empty, 0o755)
	conf := filepath.Join(f.dir, "vsftpd.conf")
	os.WriteFile(conf, []byte(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=`+strconv.Itoa(port)+`
background=NO
connect_from_port_20=NO
anonymous_enable=YES
no_anon_password=NO
anon_root=`+root+`
local_enable=NO
write_enable=NO
secure_chroot_dir=`+empty+`
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
dirmessage_enable=NO
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
ssl_ciphers=HIGH
rsa_cert_file=`+f.cert+`
rsa_private_key_file=`+f.key+`
`), 0o600)
	startServer(t, vsftpd, conf)
	waitPort(t, loopback(port), 10*time.Second)
	c, ann, err := starttls.Dial(upgradeCtx(t), starttls.FTP, loopback(port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(ann.Banner, "vsFTPd") || !ann.Has("AUTH") {
		t.Errorf("announced %+v", ann)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for _, step := range []struct{ send, want string }{{"USER anonymous", "331"}, {"PASS x", "230"}, {"SYST", "215"}} {
		io.WriteString(c, step.send+"\r\n")
		if l := readLine(r); !strings.HasPrefix(l, step.want) {
			t.Fatalf("%s over TLS: %q", step.send, l)
		}
	}
}

// Dovecot with IMAP (STARTTLS) and POP3 (STLS): the upgrades, then a
// login and a mailbox over TLS.
func TestDovecot(t *testing.T) {
	dovecot := needPeer(t, "dovecot")
	f := writeServerFiles(t)
	os.Chmod(f.dir, 0o711)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	mail := filepath.Join(f.dir, "mail")
	os.MkdirAll(filepath.Join(f.dir, "run"), 0o755)
	os.MkdirAll(filepath.Join(f.dir, "state"), 0o755)
	os.MkdirAll(mail, 0o755)
	os.Chown(mail, uid, gid)
	users := filepath.Join(f.dir, "users")
	os.WriteFile(users, []byte(fmt.Sprintf("test:{PLAIN}pass:%d:%d::%s/test\n", uid, gid, mail)), 0o644)
	imapPort, pop3Port := freePort(t), freePort(t)
	conf := filepath.Join(f.dir, "dovecot.conf")
	os.WriteFile(conf, []byte(`protocols = imap pop3
listen = 127.0.0.1
base_dir = `+f.dir+`/run
state_dir = `+f.dir+`/state
log_path = `+f.dir+`/dovecot.log
instance_name = hasp-test-`+strconv.Itoa(imapPort)+`
ssl = yes
ssl_cert = <`+f.cert+`
ssl_key = <`+f.key+`
auth_mechanisms = plain login
disable_plaintext_auth = yes
first_valid_uid = 1
last_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN `+users+`
}
userdb {
  driver = passwd-file
  args = `+users+`
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = `+strconv.Itoa(imapPort)+`
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = `+strconv.Itoa(pop3Port)+`
  }
  inet_listener pop3s {
    port = 0
  }
}
`), 0o644)
	// -F: the master in the foreground, so its PID is the one to stop.
	startServer(t, dovecot, "-F", "-c", conf)
	waitPort(t, loopback(imapPort), 20*time.Second)
	waitPort(t, loopback(pop3Port), 20*time.Second)

	c, ann, err := starttls.Dial(upgradeCtx(t), starttls.IMAP, loopback(imapPort), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(ann.Banner, "Dovecot") || !ann.Has("IMAP4rev1") {
		t.Errorf("IMAP announced %+v", ann)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	imapCommand := func(tag, cmd string) string {
		io.WriteString(c, tag+" "+cmd+"\r\n")
		for {
			l := readLine(r)
			if strings.HasPrefix(l, tag+" ") || l == "" {
				return l
			}
		}
	}
	if l := imapCommand("b1", "LOGIN test pass"); !strings.HasPrefix(l, "b1 OK") {
		t.Fatalf("LOGIN over TLS: %q", l)
	}
	if l := imapCommand("b2", "SELECT INBOX"); !strings.HasPrefix(l, "b2 OK [READ-WRITE]") {
		t.Fatalf("SELECT over TLS: %q", l)
	}

	p, ann, err := starttls.Dial(upgradeCtx(t), starttls.POP3, loopback(pop3Port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !ann.Has("STLS") || !ann.Has("UIDL") {
		t.Errorf("POP3 announced %+v", ann)
	}
	p.SetDeadline(time.Now().Add(10 * time.Second))
	pr := bufio.NewReader(p)
	for _, step := range []struct{ send, want string }{{"USER test", "+OK"}, {"PASS pass", "+OK"}, {"STAT", "+OK 0 0"}} {
		io.WriteString(p, step.send+"\r\n")
		if l := readLine(pr); !strings.HasPrefix(l, step.want) {
			t.Fatalf("%s over TLS: %q", step.send, l)
		}
	}
}

// run runs a command to its end, failing the test with its output.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// Postfix (SMTP with STARTTLS): the upgrade, then EHLO over TLS, which a
// real MTA answers without STARTTLS; the instance has its own config and
// queue and is stopped with its own command.
func TestPostfix(t *testing.T) {
	postfix := needPeer(t, "postfix")
	postconf := needPeer(t, "postconf")
	f := writeServerFiles(t)
	port := freePort(t)
	etc := filepath.Join(f.dir, "etc")
	for _, d := range []string{etc, filepath.Join(f.dir, "queue"), filepath.Join(f.dir, "data"), filepath.Join(f.dir, "log")} {
		os.MkdirAll(d, 0o755)
	}
	master, err := os.ReadFile("/etc/postfix/master.cf")
	if err != nil {
		t.Fatalf("Postfix's master.cf: %v", err)
	}
	os.WriteFile(filepath.Join(etc, "master.cf"), master, 0o644)
	os.WriteFile(filepath.Join(etc, "main.cf"), []byte(`compatibility_level = 3.6
queue_directory = `+f.dir+`/queue
data_directory = `+f.dir+`/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = localhost
mydestination = localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
local_transport = error:local delivery disabled
alias_maps =
alias_database =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_banner = $myhostname ESMTP Postfix (hasp test)
smtpd_tls_cert_file = `+f.cert+`
smtpd_tls_key_file = `+f.key+`
smtpd_tls_security_level = may
smtpd_tls_session_cache_database =
maillog_file = `+f.dir+`/log/maillog
maillog_file_prefixes = `+f.dir+`
`), 0o644)
	run(t, postconf, "-c", etc, "-MX", "smtp/inet")
	run(t, postconf, "-c", etc, "-M", loopback(port)+"/inet = "+loopback(port)+" inet n - n - - smtpd")
	run(t, postconf, "-c", etc, "-F", "*/*/chroot = n")
	// Postfix waits until main.cf is a second or two old before reading it.
	old := time.Now().Add(-time.Minute)
	os.Chtimes(filepath.Join(etc, "main.cf"), old, old)
	os.Chtimes(filepath.Join(etc, "master.cf"), old, old)
	if pf, err := user.Lookup("postfix"); err == nil {
		uid, _ := strconv.Atoi(pf.Uid)
		gid, _ := strconv.Atoi(pf.Gid)
		os.Chown(filepath.Join(f.dir, "data"), uid, gid)
	}
	run(t, postfix, "-c", etc, "check")
	run(t, postfix, "-c", etc, "start")
	t.Cleanup(func() { exec.Command(postfix, "-c", etc, "stop").Run() })
	waitPort(t, loopback(port), 20*time.Second)

	c, ann, err := starttls.Dial(upgradeCtx(t), starttls.SMTP, loopback(port), clientConfig())
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(f.dir, "log", "maillog"))
		t.Fatalf("%v\nmaillog:\n%s", err, b)
	}
	defer c.Close()
	if !strings.Contains(ann.Banner, "Postfix (hasp test)") || !ann.Has("PIPELINING") {
		t.Errorf("announced %+v", ann)
	}
	// Over TLS the EHLO list is the real one, without STARTTLS.
	if len(ann.CapabilitiesTLS) == 0 || strings.Contains(strings.Join(ann.CapabilitiesTLS, " "), "STARTTLS") {
		t.Errorf("EHLO over TLS: %q", ann.CapabilitiesTLS)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "QUIT\r\n")
	if l := readLine(bufio.NewReader(c)); !strings.HasPrefix(l, "221") {
		t.Errorf("QUIT over TLS: %q", l)
	}
}

// PostgreSQL (a temporary cluster with ssl=on, run as the postgres user):
// SSLRequest, then the startup message and a real answer over TLS.
func TestPostgres(t *testing.T) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		needPeer(t, "initdb")
		matches = []string{"initdb"}
	}
	bin := filepath.Dir(matches[len(matches)-1])
	runuser := needPeer(t, "runuser")
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	f := writeServerFiles(t)
	port := freePort(t)
	data := filepath.Join(f.dir, "data")
	sock := filepath.Join(f.dir, "run")
	os.MkdirAll(sock, 0o755)
	for _, p := range []string{f.dir, sock, f.cert, f.key} {
		os.Chown(p, uid, gid)
	}
	run(t, runuser, "-u", "postgres", "--", filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
	conf, _ := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(conf, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\nfsync = off\n",
		port, sock, f.cert, f.key)
	conf.Close()
	os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte("local all all trust\nhostssl all all 127.0.0.1/32 trust\n"), 0o600)
	os.Chown(filepath.Join(data, "pg_hba.conf"), uid, gid)
	run(t, runuser, "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(f.dir, "postgres.log"), "-w", "-t", "60", "start")
	t.Cleanup(func() {
		exec.Command(runuser, "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop").Run()
	})

	c, _, err := starttls.Dial(upgradeCtx(t), starttls.Postgres, loopback(port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// StartupMessage: protocol 3.0, user postgres, database postgres.
	var body []byte
	body = append(body, 0, 3, 0, 0)
	for _, kv := range []string{"user", "postgres", "database", "postgres"} {
		body = append(append(body, kv...), 0)
	}
	body = append(body, 0)
	msg := append([]byte{byte((len(body) + 4) >> 24), byte((len(body) + 4) >> 16), byte((len(body) + 4) >> 8), byte(len(body) + 4)}, body...)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	// AuthenticationOk ('R', length 8, 0) under trust, then ParameterStatus
	// messages including server_version.
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "server_version") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after the upgrade: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if got[0] != 'R' {
		t.Errorf("first message %q, want AuthenticationOk", got[0])
	}
}

// Prosody (XMPP c2s): <starttls/> in the stream features, <proceed/>, then
// a new stream over TLS whose features offer SASL PLAIN (offered only once
// the stream is encrypted) and no longer offer starttls.
func TestProsody(t *testing.T) {
	prosody := needPeer(t, "prosody")
	f := writeServerFiles(t)
	port := freePort(t)
	os.MkdirAll(filepath.Join(f.dir, "data"), 0o755)
	logFile := filepath.Join(f.dir, "prosody.log")
	conf := filepath.Join(f.dir, "prosody.cfg.lua")
	// run_as_root: Prosody 0.12 refuses to shut down cleanly as root
	// without it. s2s is disabled so parallel instances do not share 5269.
	os.WriteFile(conf, []byte(`run_as_root = true
pidfile = "`+f.dir+`/prosody.pid"
data_path = "`+f.dir+`/data"
log = { { levels = { min = "info" }, to = "file", filename = "`+logFile+`" } }
interfaces = { "127.0.0.1" }
c2s_ports = { `+strconv.Itoa(port)+` }
c2s_direct_tls_ports = { }
modules_enabled = { "tls", "saslauth" }
modules_disabled = { "s2s", "s2s_auth_certs", "offline" }
c2s_require_encryption = false
authentication = "internal_hashed"
certificates = "`+f.dir+`"
ssl = { certificate = "`+f.cert+`", key = "`+f.key+`" }
VirtualHost "localhost"
`), 0o644)
	startServer(t, prosody, "--config", conf, "-F")
	waitPort(t, loopback(port), 20*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("prosody.log:\n%s", b)
		}
	})

	c, ann, err := starttls.Dial(upgradeCtx(t), starttls.XMPP, loopback(port), clientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(ann.Banner, "from='localhost'") && !strings.Contains(ann.Banner, `from="localhost"`) {
		t.Errorf("stream header %q does not come from localhost", ann.Banner)
	}
	if !ann.Has("starttls") || !ann.Has("mechanisms") {
		t.Errorf("features before TLS: %v", ann.Capabilities)
	}
	if c.ConnectionState().Version != hasp.VersionTLS13 {
		t.Errorf("version %x", c.ConnectionState().Version)
	}
	// RFC 6120 5.4.3.3: after TLS the client opens a new stream.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "</stream:features>") {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || len(got) > 64<<10 {
			t.Fatalf("features over TLS: %v after %q", err, got)
		}
	}
	features := string(got)
	if !strings.Contains(features, "<mechanism>PLAIN</mechanism>") {
		t.Errorf("no SASL PLAIN over TLS: %q", features)
	}
	if strings.Contains(features, "urn:ietf:params:xml:ns:xmpp-tls") {
		t.Errorf("starttls still offered over TLS: %q", features)
	}
}
