// Package archtest holds no code: its test checks the package import graph against the rules of
// docs/DESIGN.md (the domain imports nothing of ours, the engines import only the domain, the
// engine host reaches storage only through its store seam, no adapter imports another adapter).
// Every package of the module must have a layer here; a new package fails the test until it is
// given one.
package archtest
