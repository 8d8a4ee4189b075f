package hasp

// ChainVerifications is how many chains crypto/x509 has verified in this
// process (the verified-chain cache's hits do not count).
func ChainVerifications() int64 { return chainVerifications.Load() }
