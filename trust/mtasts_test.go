package trust

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type policyTransport struct{}

func (policyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body := "version: STSv1\r\nmode: enforce\r\nmx: mx." + strings.TrimPrefix(r.URL.Host, "mta-sts.") + "\r\nmax_age: 31557600\r\n"
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// Policies for ever more domains (recipient domains are the sender's to
// choose), none expired: the cache stays bounded.
func TestMTASTSCacheBounded(t *testing.T) {
	m := &MTASTS{LookupTXT: func(context.Context, string) ([]string, error) { return []string{"v=STSv1; id=1"}, nil },
		HTTPClient: &http.Client{Transport: policyTransport{}}}
	for i := 0; i < maxSTSCache+50; i++ {
		if _, err := m.Policy(context.Background(), "d"+strconv.Itoa(i)+".test"); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.cache) > maxSTSCache {
		t.Fatalf("%d policies cached", len(m.cache))
	}
	// The newest is among them.
	if m.cache["d"+strconv.Itoa(maxSTSCache+49)+".test"] == nil {
		t.Fatal("the newest policy is not cached")
	}
}
