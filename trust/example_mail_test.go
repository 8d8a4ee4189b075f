package trust_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hasp-tls/hasp"
	"github.com/hasp-tls/hasp/hasphttp"
	"github.com/hasp-tls/hasp/starttls"
	"github.com/hasp-tls/hasp/trust"
)

// Delivering mail to one MX host of example.com as an MTA would: DANE
// first, then the domain's MTA-STS policy (fetched over hasp, with a
// strict verdict on the policy host), then opportunistic TLS.
func Example_mailPolicies() {
	ctx := context.Background()
	mx := "mx1.example.com"

	dane, err := (&trust.DANEResolver{Addr: "127.0.0.1:53"}).LookupTLSA(ctx, mx, 25)
	if err != nil {
		fmt.Println("TLSA lookup failed; try this MX later:", err)
		return
	}
	fetcher := &trust.MTASTS{HTTPClient: &http.Client{Transport: &hasphttp.RoundTripper{
		Config: &hasp.Config{Trust: &trust.Verifier{Policy: trust.Browser}},
	}}}
	sts, err := fetcher.Policy(ctx, "example.com")
	if err != nil {
		fmt.Println(err) // no policy: MTA-STS does not apply
	}

	cfg := &hasp.Config{ServerName: mx, Trust: &trust.Verifier{Policy: trust.MailDANE, DANE: dane, MTASTS: sts}}
	conn, ann, err := starttls.Dial(ctx, starttls.SMTP, mx+":25", cfg)
	if err != nil {
		fmt.Println("do not deliver:", err)
		return
	}
	defer conn.Close()
	v := conn.ConnectionState().Verdict
	fmt.Println(strings.Join(ann.CapabilitiesTLS, " "), v.Summary)
}
