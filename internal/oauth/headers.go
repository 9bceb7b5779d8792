package oauth

// Header values every response, or every token response, carries, made
// once. Header.Set allocates a one-element slice per call; assigning one
// of these does not. Sharing is safe because nothing writes into a value
// slice: Header.Set and Del replace or drop it, and Header.Add appends to
// it, which copies, since each has length and capacity 1. The keys that
// index them are in canonical form (textproto.CanonicalMIMEHeaderKey), as
// Set would have made them. TestSharedHeaderValuesUnchanged guards both.
var (
	hvNosniff    = []string{"nosniff"}
	hvNoReferrer = []string{"no-referrer"}
	hvDeny       = []string{"DENY"}
	hvDefaultCSP = []string{defaultCSP}
	hvHSTS       = []string{hstsValue}
	hvNoStore    = []string{"no-store"} // RFC 6749 §5.1
	hvNoCache    = []string{"no-cache"}
	hvJSON       = []string{"application/json"}
)
