package wire

// Extension is one extension as it appears on the wire: its type and its
// extension_data (RFC 8446 section 4.2), without the two length bytes.
//
// Parsers fill the Extensions field of a message with every extension of
// its block, known and unknown alike, in wire order; Data then points
// into the parsed message (its Raw), so copy what outlives the message.
// Data's capacity is clipped to its length, so appending to it never
// writes into the message.
type Extension struct {
	Type uint16
	Data []byte
}

// FindExtension returns the data of the extension of type typ in exts, and
// whether there is one. Parsed blocks hold no duplicates; were there any,
// the first would be returned.
func FindExtension(exts []Extension, typ uint16) ([]byte, bool) {
	for i := range exts {
		if exts[i].Type == typ {
			return exts[i].Data, true
		}
	}
	return nil, false
}

// extTypes lists the types of exts in order (nil for none).
func extTypes(exts []Extension) []uint16 {
	if len(exts) == 0 {
		return nil
	}
	types := make([]uint16, len(exts))
	for i, e := range exts {
		types[i] = e.Type
	}
	return types
}

// Which TLS 1.3 messages an extension may appear in (RFC 8446 section 4.2).
type msgSet uint8

const (
	inCH  msgSet = 1 << iota // ClientHello
	inSH                     // ServerHello
	inHRR                    // HelloRetryRequest
	inEE                     // EncryptedExtensions
	inCT                     // Certificate
	inCR                     // CertificateRequest
	inNST                    // NewSessionTicket

	// tls12Only marks a registered extension whose "TLS 1.3" column is
	// "-": not used in TLS 1.3.
	tls12Only msgSet = 0
)

type extInfo struct {
	name string
	in   msgSet
}

// extensionTable is the one table of extension types hasp knows of: the
// registry name and the "TLS 1.3" column of the IANA TLS ExtensionType
// Values registry. The rows RFC 8446 section 4.2 lists are as in its table
// there; the others are as registered.
var extensionTable = map[uint16]extInfo{
	ExtServerName:              {"server_name", inCH | inEE},
	ExtMaxFragmentLength:       {"max_fragment_length", inCH | inEE},
	2:                          {"client_certificate_url", tls12Only},
	3:                          {"trusted_ca_keys", tls12Only},
	4:                          {"truncated_hmac", tls12Only},
	ExtStatusRequest:           {"status_request", inCH | inCR | inCT},
	6:                          {"user_mapping", tls12Only},
	7:                          {"client_authz", tls12Only},
	8:                          {"server_authz", tls12Only},
	9:                          {"cert_type", tls12Only},
	ExtSupportedGroups:         {"supported_groups", inCH | inEE},
	ExtECPointFormats:          {"ec_point_formats", tls12Only},
	12:                         {"srp", tls12Only},
	ExtSignatureAlgorithms:     {"signature_algorithms", inCH | inCR},
	ExtUseSRTP:                 {"use_srtp", inCH | inEE},
	ExtHeartbeat:               {"heartbeat", inCH | inEE},
	ExtALPN:                    {"application_layer_protocol_negotiation", inCH | inEE},
	17:                         {"status_request_v2", tls12Only},
	ExtSCT:                     {"signed_certificate_timestamp", inCH | inCR | inCT},
	ExtClientCertType:          {"client_certificate_type", inCH | inEE},
	ExtServerCertType:          {"server_certificate_type", inCH | inEE},
	ExtPadding:                 {"padding", inCH},
	22:                         {"encrypt_then_mac", tls12Only},
	ExtExtendedMasterSecret:    {"extended_master_secret", tls12Only},
	24:                         {"token_binding", tls12Only},
	25:                         {"cached_info", tls12Only},
	26:                         {"tls_lts", tls12Only},
	ExtCompressCertificate:     {"compress_certificate", inCH | inCR},
	ExtRecordSizeLimit:         {"record_size_limit", inCH | inEE},
	29:                         {"pwd_protect", inCH},
	30:                         {"pwd_clear", inCH},
	31:                         {"password_salt", inCH | inSH | inHRR},
	32:                         {"ticket_pinning", inCH | inEE},
	33:                         {"tls_cert_with_extern_psk", inCH | inSH},
	34:                         {"delegated_credential", inCH | inCR | inCT},
	ExtSessionTicket:           {"session_ticket", tls12Only},
	36:                         {"TLMSP", tls12Only},
	37:                         {"TLMSP_proxying", tls12Only},
	38:                         {"TLMSP_delegate", tls12Only},
	39:                         {"supported_ekt_ciphers", inCH | inEE},
	ExtPreSharedKey:            {"pre_shared_key", inCH | inSH},
	ExtEarlyData:               {"early_data", inCH | inEE | inNST},
	ExtSupportedVersions:       {"supported_versions", inCH | inSH | inHRR},
	ExtCookie:                  {"cookie", inCH | inHRR},
	ExtPSKModes:                {"psk_key_exchange_modes", inCH},
	ExtCertAuthorities:         {"certificate_authorities", inCH | inCR},
	ExtOIDFilters:              {"oid_filters", inCR},
	ExtPostHandshakeAuth:       {"post_handshake_auth", inCH},
	ExtSignatureAlgsCert:       {"signature_algorithms_cert", inCH | inCR},
	ExtKeyShare:                {"key_share", inCH | inSH | inHRR},
	52:                         {"transparency_info", inCH | inCR | inCT},
	53:                         {"connection_id_deprecated", tls12Only},
	ExtConnectionID:            {"connection_id", inCH | inSH},
	55:                         {"external_id_hash", inCH | inEE},
	56:                         {"external_session_id", inCH | inEE},
	ExtQUICTransportParameters: {"quic_transport_parameters", inCH | inEE},
	58:                         {"ticket_request", inCH | inEE},
	59:                         {"dnssec_chain", inCH | inCT},
	60:                         {"sequence_number_encryption_algorithms", inCH | inSH | inHRR},
	61:                         {"rrc", inCH | inSH},
	0xfd00:                     {"ech_outer_extensions", inCH},
	0xfe0d:                     {"encrypted_client_hello", inCH | inHRR | inEE},
	ExtRenegotiationInfo:       {"renegotiation_info", tls12Only},
}

// ExtensionAllowed reports whether an extension of type typ may appear in
// the TLS 1.3 handshake message of type msg (TypeClientHello,
// TypeServerHello, TypeEncryptedExtensions, TypeCertificate,
// TypeCertificateRequest or TypeNewSessionTicket; any other type gets
// false). hrr selects HelloRetryRequest when msg is TypeServerHello and
// is ignored otherwise.
//
// Types not in the table, and registered types not used in TLS 1.3
// (ec_point_formats, extended_master_secret, session_ticket,
// renegotiation_info...), are allowed in a ClientHello only: a server
// ignores extensions it does not know, and a ClientHello may offer TLS 1.2
// too, while a client must abort on a response to an extension it did not
// send (RFC 8446 section 4.2). A known extension in a message its row
// does not list calls for illegal_parameter; an unknown one in a server's
// message for unsupported_extension.
func ExtensionAllowed(typ uint16, msg uint8, hrr bool) bool {
	var want msgSet
	switch msg {
	case TypeClientHello:
		want = inCH
	case TypeServerHello:
		want = inSH
		if hrr {
			want = inHRR
		}
	case TypeEncryptedExtensions:
		want = inEE
	case TypeCertificate:
		want = inCT
	case TypeCertificateRequest:
		want = inCR
	case TypeNewSessionTicket:
		want = inNST
	default:
		return false
	}
	info, ok := extensionTable[typ]
	if !ok || info.in == tls12Only {
		return want == inCH
	}
	return info.in&want != 0
}

// marshalsItself reports whether hasp's own encoder for message type msg
// (TypeClientHello, TypeServerHello or TypeEncryptedExtensions) can write
// extension typ from the message's typed fields. Those types cannot be
// added as Extra, and they are the ones the parser reads into typed
// fields.
func marshalsItself(msg uint8, typ uint16) bool {
	switch msg {
	case TypeClientHello:
		return parsesItself(typ)
	case TypeServerHello:
		switch typ {
		// ExtServerName too: Marshal writes the TLS 1.2 ack from
		// ServerNameAck, and a second server_name from Extra would be a
		// repeated extension (RFC 5246 7.4.1.4, RFC 8446 4.2).
		case ExtSupportedVersions, ExtKeyShare, ExtCookie, ExtPreSharedKey, ExtALPN, ExtStatusRequest,
			ExtSCT, ExtExtendedMasterSecret, ExtRenegotiationInfo, ExtSessionTicket, ExtECPointFormats,
			ExtServerName:
			return true
		}
	case TypeEncryptedExtensions:
		switch typ {
		case ExtServerName, ExtALPN, ExtSupportedGroups, ExtEarlyData, ExtRecordSizeLimit:
			return true
		}
	}
	return false
}

// parsesItself is the set of extension types ClientHello reads into typed
// fields (and writes from them); it is what KnownExtension reports.
func parsesItself(t uint16) bool {
	switch t {
	case ExtServerName, ExtStatusRequest, ExtSupportedGroups, ExtECPointFormats, ExtSignatureAlgorithms,
		ExtALPN, ExtSCT, ExtPadding, ExtExtendedMasterSecret, ExtRecordSizeLimit, ExtSessionTicket,
		ExtPreSharedKey, ExtEarlyData, ExtSupportedVersions, ExtCookie, ExtPSKModes, ExtCertAuthorities,
		ExtPostHandshakeAuth, ExtSignatureAlgsCert, ExtKeyShare, ExtRenegotiationInfo:
		return true
	}
	return false
}

// checkExtra validates extensions a caller wants appended to message msg:
// none of a type hasp writes itself for that message, no two of one type,
// none too long to encode.
func checkExtra(msg uint8, extra []Extension) error {
	for i, e := range extra {
		if marshalsItself(msg, e.Type) {
			return Errorf(AlertInternalError, "%s extension %s in Extra: hasp encodes it from the message's fields", HandshakeName(msg), extName(e.Type))
		}
		if len(e.Data) > 0xffff {
			return Errorf(AlertInternalError, "%s extension %s in Extra: %d bytes of data", HandshakeName(msg), extName(e.Type), len(e.Data))
		}
		for _, f := range extra[:i] {
			if f.Type == e.Type {
				return Errorf(AlertInternalError, "%s extension %s twice in Extra", HandshakeName(msg), extName(e.Type))
			}
		}
	}
	return nil
}

// extraSize is the encoded size of extra.
func extraSize(extra []Extension) int {
	n := 0
	for _, e := range extra {
		n += 4 + len(e.Data)
	}
	return n
}
