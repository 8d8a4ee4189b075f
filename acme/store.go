package acme

import "github.com/hasp-tls/hasp/store"

// Store keeps the account, certificates and keys (package store: a
// directory, or Redis for a fleet).
type Store = store.Store

// DirStore keeps them in a directory.
type DirStore = store.Dir

// ErrNotFound: nothing is stored under the key.
var ErrNotFound = store.ErrNotFound
