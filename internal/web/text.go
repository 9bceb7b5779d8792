package web

import (
	"html/template"
	"strings"
)

// texts is the one table of everything the pages say, in both languages.
// A test checks that both hold the same keys, that no text is empty and that
// both translations of a text carry the same "{}" placeholders. "{}" stands
// for a name the caller gives (the client, the user), filled in by tf or tp.
var texts = map[Lang]map[string]string{
	NB: {
		"login_title":     "Logg inn",
		"login_to":        "Logg inn for å fortsette til {}.",
		"login_lead":      "Logg inn med brukernavn og passord.",
		"username":        "Brukernavn",
		"password":        "Passord",
		"login_submit":    "Logg inn",
		"login_failed":    "Brukernavnet eller passordet er feil.",
		"login_throttled": "For mange innloggingsforsøk akkurat nå. Vent litt, og prøv igjen.",
		"consent_title":   "Gi tilgang",
		"consent_head":    "{} ber om tilgang til kontoen din",
		"unknown_app":     "En app",
		"client_id":       "Klient-ID",
		"signed_in_as":    "Logget inn som {}",
		"consent_intro":   "Dette gir appen tilgang til:",
		"offline_note":    "{} kan beholde denne tilgangen mens du er borte, også når du ikke bruker appen. Tilgangen varer til du selv eller en administrator trekker den tilbake.",
		"remember":        "Husk valget mitt",
		"allow":           "Tillat",
		"deny":            "Avslå",

		"scope_openid":              "Identiteten din",
		"scope_openid_desc":         "Bekrefte hvem du er når du logger inn.",
		"scope_profile":             "Profilen din",
		"scope_profile_desc":        "Navn, brukernavn, bilde, språk og tidssone.",
		"scope_email":               "E-postadressen din",
		"scope_email_desc":          "Adressen og om den er bekreftet.",
		"scope_address":             "Postadressen din",
		"scope_address_desc":        "Der du bor eller mottar post.",
		"scope_phone":               "Telefonnummeret ditt",
		"scope_phone_desc":          "Nummeret og om det er bekreftet.",
		"scope_offline_access":      "Tilgang mens du er borte",
		"scope_offline_access_desc": "Beholde tilgangen når du ikke bruker appen.",
		"scope_other_desc":          "En tillatelse som appen eller tjenesten har definert.",
		"error_title":               "Noe gikk galt",
		"error_lead":                "Forespørselen kunne ikke fullføres. Gå tilbake til appen du kom fra, og prøv igjen.",
		"error_details":             "Detaljer for utviklere",
		"error_code":                "Feilkode",
		"logout_title":              "Vil du logge ut av Tollgate?",
		"logout_lead":               "Du blir logget ut av Tollgate i denne nettleseren.",
		"logout_from":               "Forespørselen kommer fra {}.",
		"logout_submit":             "Logg ut",
		"loggedout_title":           "Du er logget ut",
		"loggedout_lead":            "Du kan nå lukke dette vinduet.",
		"return_to":                 "Gå tilbake til {}",
		"return_app":                "Gå tilbake til appen",
		"formpost_title":            "Sender deg tilbake til appen",
		"formpost_lead":             "Hvis ingenting skjer, velg Fortsett.",
		"continue":                  "Fortsett",
		"unavailable_title":         "Prøv igjen om litt",
		"unavailable_lead":          "Innloggingen er utilgjengelig et øyeblikk. Du har ikke gjort noe feil, og ingenting er lagret halvveis.",
		"unavailable_back":          "Vent noen sekunder, og send skjemaet på nytt, eller gå tilbake til appen og start igjen.",
		"try_again":                 "Prøv igjen",
	},
	EN: {
		"login_title":     "Sign in",
		"login_to":        "Sign in to continue to {}.",
		"login_lead":      "Sign in with your username and password.",
		"username":        "Username",
		"password":        "Password",
		"login_submit":    "Sign in",
		"login_failed":    "The username or password is incorrect.",
		"login_throttled": "Too many sign-in attempts right now. Wait a little, then try again.",
		"consent_title":   "Allow access",
		"consent_head":    "{} wants access to your account",
		"unknown_app":     "An app",
		"client_id":       "Client ID",
		"signed_in_as":    "Signed in as {}",
		"consent_intro":   "This gives the app access to:",
		"offline_note":    "{} can keep this access while you are away, even when you are not using the app. The access lasts until you revoke it, or an administrator does.",
		"remember":        "Remember this decision",
		"allow":           "Allow",
		"deny":            "Deny",

		"scope_openid":              "Your identity",
		"scope_openid_desc":         "Confirm who you are when you sign in.",
		"scope_profile":             "Your profile",
		"scope_profile_desc":        "Name, username, picture, language and time zone.",
		"scope_email":               "Your email address",
		"scope_email_desc":          "The address and whether it has been verified.",
		"scope_address":             "Your postal address",
		"scope_address_desc":        "Where you live or receive mail.",
		"scope_phone":               "Your phone number",
		"scope_phone_desc":          "The number and whether it has been verified.",
		"scope_offline_access":      "Access while you are away",
		"scope_offline_access_desc": "Keep access when you are not using the app.",
		"scope_other_desc":          "A permission defined by the app or service.",
		"error_title":               "Something went wrong",
		"error_lead":                "The request could not be completed. Go back to the app you came from and try again.",
		"error_details":             "Details for developers",
		"error_code":                "Error code",
		"logout_title":              "Sign out of Tollgate?",
		"logout_lead":               "You will be signed out of Tollgate in this browser.",
		"logout_from":               "The request comes from {}.",
		"logout_submit":             "Sign out",
		"loggedout_title":           "You are signed out",
		"loggedout_lead":            "You can now close this window.",
		"return_to":                 "Return to {}",
		"return_app":                "Return to the app",
		"formpost_title":            "Taking you back to the app",
		"formpost_lead":             "If nothing happens, select Continue.",
		"continue":                  "Continue",
		"unavailable_title":         "Try again shortly",
		"unavailable_lead":          "Sign-in is unavailable for a moment. Nothing is wrong on your side, and nothing was saved halfway.",
		"unavailable_back":          "Wait a few seconds and send the form again, or go back to the app and start over.",
		"try_again":                 "Try again",
	},
}

// tf fills the placeholder of a trusted text with a caller-given name,
// escaped and set in <strong>, for sentences that name the client or user.
func tf(format, name string) template.HTML {
	esc := template.HTMLEscapeString(format)
	return template.HTML(strings.Replace(esc, "{}", "<strong>"+template.HTMLEscapeString(name)+"</strong>", 1))
}

// tp fills the placeholder as plain text; html/template escapes the result.
func tp(format, name string) string {
	return strings.Replace(format, "{}", name, 1)
}

// addTexts adds a part's texts (what names it in the panic) to the one
// table at start. A key already in the table is a programming error: it
// panics rather than let one part's text silently replace another's.
func addTexts(what string, add map[Lang]map[string]string) {
	for l, part := range add {
		for k, v := range part {
			if _, dup := texts[l][k]; dup {
				panic("web: " + what + " text " + k + " is already in the table")
			}
			texts[l][k] = v
		}
	}
}
