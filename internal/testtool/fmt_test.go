package testtool

import "fmt"

var (
	fmtSprintf = fmt.Sprintf
	fmtSprint  = fmt.Sprint
)
