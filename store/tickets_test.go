package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func ticketsOn(t *testing.T, record string, now time.Time) (*TicketKeys, *[][][32]byte) {
	t.Helper()
	d := Dir(t.TempDir())
	if record != "" {
		if err := d.Put(context.Background(), ticketKeysKey, []byte(record)); err != nil {
			t.Fatal(err)
		}
	}
	var applied [][][32]byte
	return &TicketKeys{Store: d, Now: func() time.Time { return now },
		Apply: func(keys [][32]byte) error { applied = append(applied, keys); return nil }}, &applied
}

func keysRecord(created time.Time, n int) string {
	keys := make([]ticketKey, n)
	for i := range keys {
		keys[i].Created = created.Add(-time.Duration(i) * time.Hour)
		keys[i].Key[0], keys[i].Key[1] = byte(i), 1
	}
	b, _ := json.Marshal(keys)
	return string(b)
}

// A record that would give a weak or zero key (a short array, which
// encoding/json pads with zeros; no key; all zeros) or has no date is
// refused: the member keeps what it has and seals with nothing from it.
func TestTicketKeysRefuseWeakRecords(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	full := strings.TrimSuffix(strings.Repeat("7,", 32), ",")
	for _, rec := range []string{
		`[{"created":"2029-12-31T00:00:00Z","key":[1]}]`,
		`[{"created":"2029-12-31T00:00:00Z"}]`,
		`[{"created":"2029-12-31T00:00:00Z","key":[` + strings.TrimSuffix(strings.Repeat("0,", 32), ",") + `]}]`,
		`[{"key":[` + full + `]}]`,
		`[{"created":"2029-12-31T00:00:00Z","key":[` + full + `,7]}]`,
		`[{"created":"2029-12-31T00:00:00Z","key":[` + strings.Replace(full, "7", "300", 1) + `]}]`,
		`[]`,
		`{}`,
	} {
		tk, applied := ticketsOn(t, rec, now)
		if err := tk.Sync(context.Background()); err == nil || len(*applied) != 0 {
			t.Errorf("%s: err %v, applied %d", rec, err, len(*applied))
		}
	}
	// The well-formed record still reads.
	tk, applied := ticketsOn(t, `[{"created":"2029-12-31T23:00:00Z","key":[`+full+`]}]`, now)
	if err := tk.Sync(context.Background()); err != nil || len(*applied) != 1 || (*applied)[0][0][0] != 7 {
		t.Fatalf("err %v, applied %v", err, *applied)
	}
}

// However many keys a record holds, Keep of them are installed. (5000
// keys are some 590 KB of JSON; 10000 would be over MaxValueSize.)
func TestTicketKeysKeepBound(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tk, applied := ticketsOn(t, keysRecord(now, 5000), now)
	if err := tk.Sync(context.Background()); err != nil || len(*applied) != 1 || len((*applied)[0]) != 4 {
		t.Fatalf("err %v, applied %d sets, first of %d keys", err, len(*applied), len((*applied)[0]))
	}
}

// A newest key dated far ahead (a corrupted record, a clock that jumped)
// does not stop rotation until that date.
func TestTicketKeysFutureDateRotates(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tk, applied := ticketsOn(t, keysRecord(now.AddDate(10, 0, 0), 1), now)
	if err := tk.Sync(context.Background()); err != nil || len(*applied) != 1 || len((*applied)[0]) != 2 || (*applied)[0][1][1] != 1 {
		t.Fatalf("err %v, applied %v", err, *applied)
	}
	// A member a little ahead is not a reason to rotate.
	tk, applied = ticketsOn(t, keysRecord(now.Add(time.Minute), 1), now)
	if err := tk.Sync(context.Background()); err != nil || len(*applied) != 1 || len((*applied)[0]) != 1 {
		t.Fatalf("err %v, applied %v", err, *applied)
	}
}
