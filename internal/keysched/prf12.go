package keysched

import (
	"crypto"
	"crypto/hmac"
	"hash"
)

// TLS 1.2 key derivation (RFC 5246 section 5, RFC 7627): the PRF is
// P_hash with the suite's hash, built on crypto/hmac.

// PRF12 is PRF(secret, label, seed) of RFC 5246 section 5.
func PRF12(h crypto.Hash, secret []byte, label string, seed []byte, length int) []byte {
	return PRF12MAC(hmac.New(h.New, secret), label, seed, length)
}

// PRF12MAC is PRF12 with an HMAC already keyed with the secret, which it
// resets and leaves reset: one HMAC state serves every PRF call on the
// same secret (the master secret's key block, Finished messages and
// exporters).
func PRF12MAC(mac hash.Hash, label string, seed []byte, length int) []byte {
	ls := make([]byte, 0, len(label)+len(seed))
	ls = append(append(ls, label...), seed...)
	out := make([]byte, 0, length+mac.Size())
	mac.Reset()
	mac.Write(ls)
	a := mac.Sum(nil) // A(1)
	for len(out) < length {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	mac.Reset()
	return out[:length]
}

// ExtendedMasterSecret12 derives the master secret from the session hash
// (RFC 7627 section 4).
func ExtendedMasterSecret12(h crypto.Hash, preMaster, sessionHash []byte) []byte {
	return PRF12(h, preMaster, "extended master secret", sessionHash, 48)
}

// MasterSecret12 is the RFC 5246 master secret, for sessions without the
// extended master secret (which hasp never makes, but a test peer may).
func MasterSecret12(h crypto.Hash, preMaster, clientRandom, serverRandom []byte) []byte {
	return PRF12(h, preMaster, "master secret", append(append([]byte(nil), clientRandom...), serverRandom...), 48)
}

// KeyBlock12 splits the key block (RFC 5246 section 6.3) for an AEAD
// suite: no MAC keys; write keys and implicit IVs.
func KeyBlock12(h crypto.Hash, master, clientRandom, serverRandom []byte, keyLen, ivLen int) (clientKey, serverKey, clientIV, serverIV []byte) {
	seed := append(append([]byte(nil), serverRandom...), clientRandom...)
	kb := PRF12(h, master, "key expansion", seed, 2*keyLen+2*ivLen)
	clientKey, kb = kb[:keyLen], kb[keyLen:]
	serverKey, kb = kb[:keyLen], kb[keyLen:]
	clientIV, kb = kb[:ivLen], kb[ivLen:]
	serverIV = kb[:ivLen]
	return
}

// Finished12 is verify_data (RFC 5246 section 7.4.9).
func Finished12(h crypto.Hash, master []byte, client bool, transcriptHash []byte) []byte {
	return Finished12MAC(hmac.New(h.New, master), client, transcriptHash)
}

// Finished12MAC is Finished12 with an HMAC keyed with the master secret.
func Finished12MAC(mac hash.Hash, client bool, transcriptHash []byte) []byte {
	label := "server finished"
	if client {
		label = "client finished"
	}
	return PRF12MAC(mac, label, transcriptHash, 12)
}

// KeyBlock12MAC is KeyBlock12 with an HMAC keyed with the master secret.
func KeyBlock12MAC(mac hash.Hash, clientRandom, serverRandom []byte, keyLen, ivLen int) (clientKey, serverKey, clientIV, serverIV []byte) {
	seed := append(append([]byte(nil), serverRandom...), clientRandom...)
	kb := PRF12MAC(mac, "key expansion", seed, 2*keyLen+2*ivLen)
	clientKey, kb = kb[:keyLen], kb[keyLen:]
	serverKey, kb = kb[:keyLen], kb[keyLen:]
	clientIV, kb = kb[:ivLen], kb[ivLen:]
	serverIV = kb[:ivLen]
	return
}

// Export12 is the RFC 5705 exporter for TLS 1.2.
func Export12(h crypto.Hash, master, clientRandom, serverRandom []byte, label string, context []byte, length int) []byte {
	seed := append(append([]byte(nil), clientRandom...), serverRandom...)
	if context != nil {
		seed = append(seed, byte(len(context)>>8), byte(len(context)))
		seed = append(seed, context...)
	}
	return PRF12(h, master, label, seed, length)
}
