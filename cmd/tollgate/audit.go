package main

import "os/user"

// operatorName is the account the command line runs under, the actor of
// what it does to the store directly ("operator" when unknown).
func operatorName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}
