package main

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/tollgate-oidc/tollgate/internal/secret"
)

// cmdHashPassword prints the argon2id password_hash for a user entry. On a
// terminal it prompts twice without echo (a typo would otherwise lock the
// user out of an account no one can read the password of); from a pipe it
// reads one line, for scripts. The password is never echoed, printed or
// logged: only its hash goes to standard output.
func cmdHashPassword(args []string) error {
	fs := newFlagSet("hash-password", "hash-password   (prompts twice without echo on a terminal; reads one line from standard input otherwise)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var pw string
	var err error
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		pw, err = promptPassword(fd, os.Stderr)
	} else {
		pw, err = readPasswordLine(os.Stdin)
	}
	if err != nil {
		return err
	}
	h, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}

// promptPassword asks twice on the terminal fd with echo off and returns
// the password when both answers match. Interrupted at a prompt, it puts
// the terminal back as it found it before exiting, so the shell does not
// stay without echo.
func promptPassword(fd int, prompt io.Writer) (string, error) {
	saved, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			_ = term.Restore(fd, saved)
			fmt.Fprintln(prompt)
			os.Exit(130) // the shell's status for a SIGINT
		}
	}()
	return askTwice(func(label string) ([]byte, error) {
		fmt.Fprint(prompt, label)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt) // the user's Enter was not echoed either
		return b, err
	})
}

// askTwice reads the password and its confirmation through ask.
func askTwice(ask func(label string) ([]byte, error)) (string, error) {
	first, err := ask("Password: ")
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if len(first) == 0 {
		return "", errors.New("the password is empty")
	}
	again, err := ask("Repeat the password: ")
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if subtle.ConstantTimeCompare(first, again) != 1 {
		return "", errors.New("the two passwords differ; nothing was hashed")
	}
	return string(first), nil
}

// readPasswordLine reads one line (without its line ending) from a
// non-terminal standard input.
func readPasswordLine(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			return "", errors.New("standard input is empty: pipe the password in, one line, or run hash-password on a terminal to be prompted")
		}
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	return pw, nil
}
