package throttle

import (
	"container/list"
	"crypto/sha256"
	"net/netip"
)

// key is the fixed-size form in which a caller's string is kept.
type key [sha256.Size]byte

func keyOf(s string) key { return sha256.Sum256([]byte(s)) }

// table is a map of at most max entries that evicts the least recently
// used one. It is not safe for concurrent use; its owner locks.
type table[V any] struct {
	max   int
	order *list.List // front: most recently used; values are *item[V]
	items map[key]*list.Element
}

type item[V any] struct {
	k key
	v V
}

func newTable[V any](max int) *table[V] {
	if max < 1 {
		max = 1
	}
	return &table[V]{max: max, order: list.New(), items: make(map[key]*list.Element)}
}

// get returns the entry for k, or nil; it marks the entry used.
func (t *table[V]) get(k key) *V {
	el, ok := t.items[k]
	if !ok {
		return nil
	}
	t.order.MoveToFront(el)
	return &el.Value.(*item[V]).v
}

// put returns the entry for k, adding a zero one (and evicting the least
// recently used entry when the table is full) if there is none.
func (t *table[V]) put(k key) *V {
	if v := t.get(k); v != nil {
		return v
	}
	if t.order.Len() >= t.max {
		oldest := t.order.Back()
		t.order.Remove(oldest)
		delete(t.items, oldest.Value.(*item[V]).k)
	}
	it := &item[V]{k: k}
	t.items[k] = t.order.PushFront(it)
	return &it.v
}

func (t *table[V]) remove(k key) {
	if el, ok := t.items[k]; ok {
		t.order.Remove(el)
		delete(t.items, k)
	}
}

func (t *table[V]) len() int { return t.order.Len() }

// AddressKey is the key under which a client address is throttled: an IPv4
// address as it is, an IPv6 address by its /64 prefix, because one
// subscriber is routinely given a whole /64 and could otherwise step
// through 2^64 addresses to escape any per-address limit. A string that is
// not an address is its own key.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
