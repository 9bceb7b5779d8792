package dpop

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// object is a JSON object's members by name, and how many members it was
// written with: more than the map holds when a name repeats. RFC 7515 §4
// lets a JWS parser refuse a header with a repeated name, and go-jose
// does; the fast path (es256.go) leaves such a proof to it.
type object struct {
	members map[string]json.RawMessage
	written int
}

// repeats reports whether a member name appears more than once.
func (o object) repeats() bool { return o.written != len(o.members) }

var errNotObject = errors.New("not a JSON object")

// str is the member name as a string: present false when there is none,
// an error when it is not a string.
func (o object) str(name string) (s string, present bool, err error) {
	raw, ok := o.members[name]
	if !ok {
		return "", false, nil
	}
	err = json.Unmarshal(raw, &s)
	return s, true, err
}

// readObject decodes raw, which must be one JSON object and nothing after
// it; names are case-sensitive.
func readObject(raw []byte) (object, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return object{}, errNotObject
	}
	o := object{members: make(map[string]json.RawMessage, 4)}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return object{}, err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return object{}, err
		}
		o.members[t.(string)] = v // a name: Token gives nothing else before a value
		o.written++
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return object{}, errNotObject
	}
	if _, err := d.Token(); err != io.EOF {
		return object{}, errNotObject
	}
	return o, nil
}
