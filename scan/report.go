package scan

import (
	"time"

	"github.com/hasp-tls/hasp/trust"
)

// Report is what a scan found. Its JSON keys are stable.
type Report struct {
	Target      string    `json:"target"`
	Address     string    `json:"address"`
	ServerName  string    `json:"server_name,omitempty"`
	StartTLS    string    `json:"starttls,omitempty"`
	Time        time.Time `json:"time"`
	DurationMS  int64     `json:"duration_ms"`
	Connections int       `json:"connections"`
	// Error: the target could not be scanned (unreachable, not TLS).
	Error string `json:"error,omitempty"`

	Protocols        []Protocol        `json:"protocols"`
	Suites           []VersionSuites   `json:"suites"`
	Groups           []Group           `json:"groups"`
	GroupPreference  string            `json:"group_preference,omitempty"`
	SignatureSchemes []string          `json:"signature_schemes"`
	ALPN             []string          `json:"alpn"`
	HRR              string            `json:"hello_retry_request,omitempty"`
	Certificates     []Certificate     `json:"certificates"`
	Sessions         Sessions          `json:"sessions"`
	HTTP             *HTTPInfo         `json:"http,omitempty"`
	Simulations      []Simulation      `json:"simulations"`
	Findings         []Finding         `json:"findings"`
	Grade            Grade             `json:"grade"`
	SSLv2Ciphers     []string          `json:"sslv2_ciphers,omitempty"`
	Features         map[string]string `json:"features"`
}

// Protocol is one version and whether the server accepts it.
type Protocol struct {
	Name      string `json:"name"`
	Version   uint16 `json:"version"`
	Supported bool   `json:"supported"`
	// Answer: what the server said to a hello of only this version.
	Answer string `json:"answer,omitempty"`
}

// VersionSuites lists the suites a version accepts, in the server's
// order of preference when it has one, else in the scanner's.
type VersionSuites struct {
	Version          string        `json:"version"`
	ServerPreference bool          `json:"server_preference"`
	Suites           []SuiteResult `json:"suites"`
	// Truncated: the enumeration stopped at its bound.
	Truncated bool `json:"truncated,omitempty"`
}

// SuiteResult is one accepted suite.
type SuiteResult struct {
	ID   uint16 `json:"id"`
	Name string `json:"name"`
	Bits int    `json:"bits"`
	// Kx: the key exchange as used (ECDHE x25519, DHE 2048, RSA).
	Kx            string `json:"kx"`
	ForwardSecret bool   `json:"forward_secrecy"`
	AEAD          bool   `json:"aead"`
	// Weak names what is wrong with it (RC4, 64-bit block, export ...).
	Weak []string `json:"weak,omitempty"`
}

// Group is a key-exchange group and where it is accepted.
type Group struct {
	Name  string `json:"name"`
	ID    uint16 `json:"id"`
	TLS13 bool   `json:"tls13"`
	TLS12 bool   `json:"tls12"`
	// Bits: the size of an FFDHE or classical DH group.
	Bits int  `json:"bits,omitempty"`
	PQ   bool `json:"post_quantum,omitempty"`
}

// Certificate is one chain the server sends.
type Certificate struct {
	// KeyType: the leaf's key (RSA 2048, ECDSA P-256, Ed25519).
	KeyType   string    `json:"key_type"`
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Names     []string  `json:"names"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	Signature string    `json:"signature"`
	SPKI      string    `json:"spki_sha256"`
	Chain     []string  `json:"chain"`
	// Seen: under which probes this chain came (TLS 1.3 ECDSA, ...).
	Seen         []string       `json:"seen"`
	OCSPStapled  bool           `json:"ocsp_stapled"`
	SCTs         int            `json:"scts"`
	Verdict      *trust.Verdict `json:"verdict"`
	ChainProblem string         `json:"chain_problem,omitempty"`
}

// Sessions: does the server resume, and how.
type Sessions struct {
	TLS13PSK    string `json:"tls13_psk"`
	TLS12Ticket string `json:"tls12_ticket"`
	TLS12ID     string `json:"tls12_session_id"`
	EarlyData   string `json:"early_data"`
	TicketHint  string `json:"ticket_lifetime,omitempty"`
}

// HTTPInfo: the answer to GET / over TLS.
type HTTPInfo struct {
	Status string `json:"status"`
	HSTS   string `json:"hsts,omitempty"`
	Server string `json:"server,omitempty"`
}

// Simulation: what one client would negotiate.
type Simulation struct {
	Client  string `json:"client"`
	OK      bool   `json:"ok"`
	Version string `json:"version,omitempty"`
	Suite   string `json:"suite,omitempty"`
	Group   string `json:"group,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Severity of a finding.
type Severity string

const (
	Good     Severity = "good"
	Info     Severity = "info"
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Finding is one thing the scan found, with why it matters.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail,omitempty"`
}

// Grade is the letter and how it came about.
type Grade struct {
	Letter      string `json:"letter"`
	Score       int    `json:"score"`
	Protocol    int    `json:"protocol_score"`
	KeyExchange int    `json:"key_exchange_score"`
	Cipher      int    `json:"cipher_score"`
	// Caps: each rule that held the grade down, with the finding behind
	// it.
	Caps []Cap `json:"caps"`
	// Why: one line per step from the score to the letter.
	Why []string `json:"why"`
}

// Cap is one grade cap.
type Cap struct {
	Max     string `json:"max"`
	Finding string `json:"finding"`
	Reason  string `json:"reason"`
}
