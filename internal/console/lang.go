package console

import (
	"net/http"

	"github.com/tollgate-oidc/tollgate/internal/web"
)

// LangCookie keeps the console's language across its links and forms
// once a page was asked for with ui_locales: "nb" or "en", nothing else.
const LangCookie = "tollgate_console_lang"

// lang chooses the page's language as the sign-in and account pages do:
// ui_locales first (OpenID Connect Core §3.1.2.1), then the choice kept
// in LangCookie, then Accept-Language (RFC 9110 §12.5.4). A ui_locales
// that names a language the console speaks is remembered for the
// console's later pages (Path /admin, a year, SameSite=Strict): the
// console's links and forms then need not carry it.
func (c *Console) lang(w http.ResponseWriter, r *http.Request) web.Lang {
	if ui := r.URL.Query().Get("ui_locales"); ui != "" {
		if l := web.PickLang(ui, ""); l == web.NB || hasEnglish(ui) {
			http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: string(l), Path: Path, MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
			return l
		}
	}
	if ck, err := r.Cookie(LangCookie); err == nil && (ck.Value == string(web.NB) || ck.Value == string(web.EN)) {
		return web.Lang(ck.Value)
	}
	return web.PickLang("", r.Header.Get("Accept-Language"))
}

// hasEnglish says ui_locales picked English because it asked for it, not
// because it named no language the console speaks (PickLang's fallback).
func hasEnglish(ui string) bool {
	return web.PickLang(ui, "nb") == web.EN
}
