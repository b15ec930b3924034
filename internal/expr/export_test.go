package expr

// CompileUnestimated is Compile without the cost estimate, for tests of the
// run-time limits with expressions the estimate would refuse.
func CompileUnestimated(src string, vars ...string) (*Program, error) {
	return compile(src, false, vars...)
}
