package web

import (
	"sort"
	"strconv"
	"strings"
)

// Lang is a language the pages are written in.
type Lang string

// The languages Tollgate speaks.
const (
	NB Lang = "nb" // Norwegian bokmål
	EN Lang = "en" // English
)

// norm maps an unknown or empty Lang to English, so a page always renders.
func (l Lang) norm() Lang {
	if l == NB {
		return NB
	}
	return EN
}

// PickLang chooses the page language. OpenID Connect Core §3.1.2.1: ui_locales
// is a space-separated list of BCP47 tags in order of preference, and it wins
// over the browser's Accept-Language (RFC 9110 §12.5.4, with q-values). The
// first supported tag decides; with none, English. nb, no and nn (and their
// regional forms) all read as bokmål, the only Norwegian written here.
func PickLang(uiLocales, acceptLanguage string) Lang {
	for _, tag := range strings.Fields(uiLocales) {
		if l, ok := langOf(tag); ok {
			return l
		}
	}
	type weighted struct {
		tag string
		q   float64
	}
	var tags []weighted
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0 // a malformed weight is not a preference
				}
				q = f
			}
		}
		if q > 0 { // q=0 means "not acceptable"
			tags = append(tags, weighted{tag, q})
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].q > tags[j].q })
	for _, t := range tags {
		if l, ok := langOf(t.tag); ok {
			return l
		}
	}
	return EN
}

// langOf reads the primary subtag of a BCP47 tag (also tolerating the "_"
// of POSIX locales).
func langOf(tag string) (Lang, bool) {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	switch primary {
	case "nb", "no", "nn":
		return NB, true
	case "en":
		return EN, true
	}
	return "", false
}
