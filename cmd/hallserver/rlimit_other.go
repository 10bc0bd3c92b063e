//go:build !unix

package main

import "errors"

// raiseFileLimit has no descriptor limit to read on this system.
func raiseFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.New("no RLIMIT_NOFILE on this system")
}
