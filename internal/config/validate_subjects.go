package config

// checkSubjects refuses a client id that equals a user's subject.
//
// A client-credentials access token has no user: its sub is its client's
// id (RFC 9068 §2.2: sub identifies the client when no resource owner is
// involved). A client whose id is a user's subject would get tokens that
// pass for that user's at any resource server keying on sub, and RFC 9068
// §5 asks the authorization server to prevent such a collision. Refusing it
// here keeps sub = client_id, which RFC 9068 recommends, and makes "sub
// equals client_id" a sure sign of a client's own token for introspection
// and userinfo (grant.AccessStanding). Every client is checked, not only
// those with the client_credentials grant today: grants can be added later
// without anyone looking at subjects again.
func (c *Config) checkSubjects(ck *checker) {
	users := make(map[string]int, len(c.Users))
	for i, u := range c.Users {
		if _, dup := users[u.Subject]; !dup && u.Subject != "" {
			users[u.Subject] = i
		}
	}
	for i, cl := range c.Clients {
		if j, ok := users[cl.ID]; ok {
			ck.add(clientPath(i, cl.ID)+".id", "equals the subject of users[%d] %q: a client's own access tokens carry its id as sub "+
				"(RFC 9068 §2.2), so they would pass for that user's (RFC 9068 §5); rename the client or change the user's subject",
				j, c.Users[j].Username)
		}
	}
}
