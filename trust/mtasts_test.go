package trust

import (
	"context"
	"errors"
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

// RFC 8461 3.1: the record's first field is exactly v=STSv1, fields are
// separated by ";" with spaces or tabs around it, and an id of 1 to 32
// letters and digits is required.
func TestSTSRecordSyntax(t *testing.T) {
	for txt, want := range map[string]string{
		"v=STSv1; id=20160831085700Z;":           "20160831085700Z",
		"v=STSv1;id=abc":                         "abc",
		"v=STSv1 ; id=abc":                       "abc",
		"v=STSv1\t;\tid=abc\t;\t":                "abc",
		"v=STSv1  ;  ext=x  ;  id=a1 ":           "a1",
		"v=STSv1; id=Z; e-x.t_1=a!b:c":           "Z",
		"v=STSv1; id=" + strings.Repeat("9", 32): strings.Repeat("9", 32),
	} {
		if id, err := ParseSTSRecord(txt); err != nil || id != want {
			t.Errorf("%q: id %q, %v (want %q)", txt, id, err, want)
		}
	}
	for name, txt := range map[string]string{
		"v=STSv10":           "v=STSv10; id=1",
		"v=STSv1x":           "v=STSv1x; id=1",
		"v=STSv1x no ;":      "v=STSv1x",
		"lower case":         "v=stsv1; id=1",
		"space before v":     " v=STSv1; id=1",
		"space inside v":     "v = STSv1; id=1",
		"v not first":        "id=1; v=STSv1",
		"no id":              "v=STSv1; ext=1",
		"only v":             "v=STSv1",
		"only v;":            "v=STSv1;",
		"empty id":           "v=STSv1; id=",
		"id of 33":           "v=STSv1; id=" + strings.Repeat("a", 33),
		"id with -":          "v=STSv1; id=a-b",
		"id with space":      "v=STSv1; id=a b",
		"id with non-ASCII":  "v=STSv1; id=caf\u00e9",
		"ID upper case":      "v=STSv1; ID=abc",
		"empty field":        "v=STSv1;; id=1",
		"field without =":    "v=STSv1; junk; id=1",
		"bad extension name": "v=STSv1; _x=1; id=1",
		"empty extension":    "v=STSv1; x=; id=1",
		"= in extension":     "v=STSv1; x=a=b; id=1",
		"two final ;":        "v=STSv1; id=1;;",
		"spf":                "v=spf1 -all",
		"empty":              "",
	} {
		if id, err := ParseSTSRecord(txt); err == nil {
			t.Errorf("%s: %q accepted with id %q", name, txt, id)
		}
	}
}

// Which of a domain's TXT records count (RFC 8461 3.1): those whose
// first field is v=STSv1; exactly one, and valid, or there is no policy.
func TestSTSRecordSelection(t *testing.T) {
	for name, c := range map[string]struct {
		txts []string
		id   string // "" for no policy
	}{
		"one":                      {[]string{"v=STSv1; id=1"}, "1"},
		"with an unrelated record": {[]string{"v=spf1 -all", "v=STSv1; id=abc", "google-site-verification=x"}, "abc"},
		"with a v=STSv10 record":   {[]string{"v=STSv10; id=9", "v=STSv1; id=abc"}, "abc"},
		"with a v=STSv1x record":   {[]string{"v=STSv1; id=abc", "v=STSv1x; id=9"}, "abc"},
		"space before ;":           {[]string{"v=STSv1 ;id=abc"}, "abc"},
		"two valid":                {[]string{"v=STSv1; id=1", "v=STSv1; id=2"}, ""},
		"two, one invalid":         {[]string{"v=STSv1; id=1", "v=STSv1; id=no-good"}, ""},
		"the same twice":           {[]string{"v=STSv1; id=1", "v=STSv1; id=1"}, ""},
		"only v=STSv10":            {[]string{"v=STSv10; id=1"}, ""},
		"only v=STSv1x":            {[]string{"v=STSv1x"}, ""},
		"none":                     {nil, ""},
		"invalid id":               {[]string{"v=STSv1; id=" + strings.Repeat("a", 33)}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			m := &MTASTS{LookupTXT: func(context.Context, string) ([]string, error) { return c.txts, nil },
				HTTPClient: &http.Client{Transport: policyTransport{}}}
			p, err := m.Policy(context.Background(), "example.test")
			if c.id == "" {
				if !errors.Is(err, ErrNoSTSPolicy) {
					t.Fatalf("%q: policy %+v, %v", c.txts, p, err)
				}
				return
			}
			if err != nil || p.ID != c.id {
				t.Fatalf("%q: policy %+v, %v (want id %q)", c.txts, p, err, c.id)
			}
		})
	}
}
