package web

// The account page's texts (account.go), added to the one table at start so
// the checks of text_test.go (same keys in both languages, no empty text,
// the same placeholders) cover them too.
func init() {
	for l, add := range accountTexts {
		for k, v := range add {
			if _, dup := texts[l][k]; dup {
				panic("web: account text " + k + " is already in the table")
			}
			texts[l][k] = v
		}
	}
}

var accountTexts = map[Lang]map[string]string{
	NB: {
		"account_title":         "Kontoen din",
		"account_apps":          "Apper med tilgang mens du er borte",
		"account_apps_lead":     "Disse appene kan bruke kontoen din også når du ikke er pålogget. Fjern tilgangen for en app du ikke kjenner igjen eller ikke bruker lenger.",
		"account_no_apps":       "Ingen apper har tilgang mens du er borte.",
		"account_can":           "Appen kan bruke",
		"account_granted":       "Tilgang gitt",
		"account_last_used":     "Sist brukt",
		"account_from":          "Sist brukt fra",
		"account_about":         "omtrent {}",
		"account_session":       "Innlogging",
		"account_session_label": "økt {}",
		"account_this_browser":  "denne nettleseren",
		"account_no_session":    "gitt i appen, uten nettleser",
		"account_remove":        "Fjern tilgang",
		"account_remove_for":    "Fjern tilgang for {}",
		"account_removed":       "{} har ikke lenger tilgang. Neste gang appen prøver å bruke den, blir den avvist, og du må logge inn i appen på nytt for å gi den tilgang igjen.",
		"account_consents":      "Husket samtykke",
		"account_consents_lead": "Disse appene spør ikke om lov igjen når du logger inn. Glem et valg for å bli spurt neste gang.",
		"account_no_consents":   "Ingen husket samtykke.",
		"account_since":         "Siden",
		"account_forget":        "Glem",
		"account_forget_for":    "Glem valget for {}",
		"account_forgotten":     "{} spør om lov neste gang du logger inn.",
		"account_more":          "Vis flere apper",
		"account_signout":       "Logg ut av kontosiden",
		"accountout_title":      "Du har forlatt kontosiden",
		"accountout_lead":       "Du er fortsatt logget inn i Tollgate i denne nettleseren.",
		"accountout_again":      "Åpne kontosiden igjen",
		"accountout_everywhere": "Logg ut av Tollgate",
	},
	EN: {
		"account_title":         "Your account",
		"account_apps":          "Apps with access while you are away",
		"account_apps_lead":     "These apps can use your account even when you are not signed in. Remove access for any app you do not recognise or no longer use.",
		"account_no_apps":       "No apps have access while you are away.",
		"account_can":           "The app can use",
		"account_granted":       "Access granted",
		"account_last_used":     "Last used",
		"account_from":          "Last used from",
		"account_about":         "about {}",
		"account_session":       "Sign-in",
		"account_session_label": "session {}",
		"account_this_browser":  "this browser",
		"account_no_session":    "given in the app, without a browser",
		"account_remove":        "Remove access",
		"account_remove_for":    "Remove access for {}",
		"account_removed":       "{} no longer has access. The next time it tries to use it, it will be refused, and you will have to sign in to the app again to give it access.",
		"account_consents":      "Remembered consents",
		"account_consents_lead": "These apps do not ask for your permission again when you sign in. Forget a decision to be asked next time.",
		"account_no_consents":   "No remembered consents.",
		"account_since":         "Since",
		"account_forget":        "Forget",
		"account_forget_for":    "Forget the decision for {}",
		"account_forgotten":     "{} will ask for your permission the next time you sign in.",
		"account_more":          "Show more apps",
		"account_signout":       "Sign out of this page",
		"accountout_title":      "You left your account page",
		"accountout_lead":       "You are still signed in to Tollgate in this browser.",
		"accountout_again":      "Open your account page again",
		"accountout_everywhere": "Sign out of Tollgate",
	},
}
