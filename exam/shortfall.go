package exam

import (
	"fmt"
	"strings"
)

// Shortfall is a place the draw could not fill as the weights wanted:
// a fixed task left out (Scenario set), or a domain that ran out.
type Shortfall struct {
	Domain   string
	Scenario string // the fixed task left out
	Reason   string // why the fixed task was left out
	// A domain's places: wanted by its weight, passed on to it by domains
	// that ran out before it did, and filled; and why the rest of its
	// scenarios could not be drawn.
	Wanted, PassedOn, Got                int
	NotRunnable, NotAllowed, Conflicting int
}

func (s Shortfall) String() string {
	if s.Scenario != "" {
		return fmt.Sprintf("%s (%s): %s", s.Scenario, s.Domain, s.Reason)
	}
	var why []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.NotRunnable, "the lab cannot run"},
		{s.NotAllowed, "the set leaves out"},
		{s.Conflicting, "conflict with a task already drawn"},
	} {
		if c.n == 1 {
			c.what = strings.Replace(c.what, "conflict ", "conflicts ", 1)
		}
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	msg := fmt.Sprintf("%s: %d wanted, %d runnable without conflicts", s.Domain, s.Wanted, s.Got)
	if s.PassedOn > 0 {
		msg = fmt.Sprintf("%s: %d wanted and %d passed on by domains that ran out, %d runnable without conflicts", s.Domain, s.Wanted, s.PassedOn, s.Got)
	}
	if len(why) > 0 {
		msg += " (" + strings.Join(why, ", ") + ")"
	}
	return msg
}
