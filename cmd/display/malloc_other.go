//go:build !(linux && cgo)

package main

// tuneMalloc does nothing outside glibc.
func tuneMalloc() {}

// trimMalloc does nothing outside glibc.
func trimMalloc() {}
