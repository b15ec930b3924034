package expr

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// The limits on scenario expressions, which are untrusted input. Costs are
// cel-go's abstract units, about one per elementary operation (a field
// access, a comparison, a step of a loop, an element built; a tenth of one
// per character a string function reads or writes). cel-go puts a unit at
// about 50 ns; here it takes 20 to 100 ns.
const (
	// EstimatedCostLimit is the largest worst-case cost Compile accepts.
	// The estimate is the cost over values as large as MaxListSize and
	// MaxTotalSize allow, which a lab's objects and answer files seldom
	// approach, so it is higher than RuntimeCostLimit: it refuses
	// expressions too slow whatever the data (a loop over
	// lists.range(20000) in one over lists.range(20000) estimates 2.4e9),
	// and takes every expression of the builtin scenarios (the costliest,
	// a loop over a pod's volumes inside loops over its containers and
	// their mounts, estimates 1.5e8).
	EstimatedCostLimit = 1_000_000_000

	// RuntimeCostLimit is the cost at which Eval stops an evaluation: a
	// fifth of a second to a second of CPU (0.25 to 1.4 s measured on a
	// busy machine). A check's expression over a lab's objects costs
	// hundreds to thousands. What functions and macros build is charged
	// as it is built (an element of a list one unit, ten characters of a
	// string one unit), so the limit also bounds the memory an evaluation
	// holds, to about 100 MB.
	RuntimeCostLimit = 10_000_000

	// MaxListSize is the number of elements (map entries, characters) the
	// estimate assumes a list (map, string) in a variable holds at most,
	// the way Kubernetes uses a schema's maxItems and maxLength: a lab has
	// far fewer objects of a kind, and an object far fewer containers,
	// volumes or labels. The variables are dynamic, so the estimate cannot
	// tell strings from lists; a longer string or list, which real data may
	// hold, is charged at its real size at run time.
	MaxListSize = 1_000

	// MaxTotalSize is the number of list elements and map entries the
	// estimate assumes a variable holds at all levels together. It bounds
	// nested loops: in a list of 1,000 objects, it leaves each object's
	// lists 10 elements, so a loop over objects and, inside, over each
	// one's conditions costs 10,000 steps, not 1,000 × 1,000.
	MaxTotalSize = 10_000

	// MaxRangeSize caps n in lists.range(n) at run time (cel-go's default
	// is 1,000,000): lists.range builds its whole result before it is
	// charged for it. A range is for indexes into a list, whose length
	// comes from data, so the cap is ten times MaxListSize; the estimate
	// takes a constant n as it is and any other as MaxRangeSize.
	MaxRangeSize = 10 * MaxListSize

	// MaxStringSize is the longest string join() and replace() may build
	// (1 MiB, what a ConfigMap holds at most). They would otherwise build
	// strings far larger than their inputs (a list of 10,000 references to
	// one long string, joined) before the result is charged for.
	MaxStringSize = 1 << 20

	// interruptCheckFrequency is how many steps of a loop run between
	// checks of the context: microseconds.
	interruptCheckFrequency = 100
)

// sizeHints tells the cost estimate how large the values of variables (and
// everything in them) may be: a value reached from a variable holds at most
// MaxListSize elements, and the lists it is nested in leave it its share of
// MaxTotalSize. Other sizes (of literals, of what functions build) cel-go
// works out itself.
type sizeHints struct{}

func (sizeHints) EstimateCallCost(function, overloadID string, target *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (sizeHints) EstimateSize(node cost.AstNode) *cost.SizeEstimate {
	path := node.Path()
	if len(path) == 0 {
		return nil
	}
	// The path is a variable, then field names, and "@items", "@keys",
	// "@values" or "@indices" for each step into an element of a list or
	// map: the elements of the lists along the way share MaxTotalSize.
	outer := uint64(1)
	for _, step := range path[1:] {
		if strings.HasPrefix(step, "@") {
			outer *= share(outer)
		}
	}
	sz := cost.RangedSizeEstimate(0, share(outer))
	return &sz
}

// share is the size of a list whose enclosing lists hold outer elements
// together.
func share(outer uint64) uint64 {
	return max(1, min(MaxListSize, MaxTotalSize/outer))
}

// rangeEstimate estimates lists.range(n) as a list of n elements, costing n
// to build, and a non-constant n as MaxRangeSize, its cap at run time.
func rangeEstimate() cost.Option {
	return cost.OverloadCostEstimate("lists_range", func(_ cost.Estimator, _ *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
		n := uint64(MaxRangeSize)
		if len(args) == 1 {
			if v, ok := cost.UintValue(args[0]); ok {
				n = v
			}
		}
		size := cost.RangedSizeEstimate(n, n)
		one := cost.FixedSizeEstimate(1)
		size.Elem = &one
		return cost.NewListCallEstimate(cost.FixedSizeEstimate(n).AsCost(), size)
	})
}

// unavailable are the functions scenario expressions may not call: their
// results can be far larger than their inputs (a list of 10,000 references to
// one long list or string, flattened or formatted), and no cost is charged
// until the result is built. A check needs neither: nested exists() and all()
// do what flatten() would.
var unavailable = map[string]string{
	"list_flatten":     "flatten",
	"list_flatten_int": "flatten",
	"string_format":    "format",
}

// checkFunctions rejects calls to unavailable functions.
func checkFunctions(ast *cel.Ast) error {
	for _, ref := range ast.NativeRep().ReferenceMap() {
		for _, id := range ref.OverloadIDs {
			if name, ok := unavailable[id]; ok {
				return fmt.Errorf("%s() is not available in scenario expressions: its result can be far larger than its input", name)
			}
		}
	}
	return nil
}

// boundedStrings replaces the implementations of join() and replace() in
// ext.Strings with ones that refuse, before building it, a result longer than
// MaxStringSize (or than the string replace() is given).
func boundedStrings() cel.EnvOption {
	return cel.Lib(boundedStringsLib{})
}

type boundedStringsLib struct{}

func (boundedStringsLib) LibraryName() string { return "ckalab.expr.boundedStrings" }

func (boundedStringsLib) ProgramOptions() []cel.ProgramOption { return nil }

func (boundedStringsLib) CompileOptions() []cel.EnvOption {
	listOfStrings := cel.ListType(cel.StringType)
	return []cel.EnvOption{
		cel.Function("join",
			cel.MemberOverload("list_join", []*cel.Type{listOfStrings}, cel.StringType,
				cel.UnaryBinding(func(list ref.Val) ref.Val {
					return join(list.(traits.Lister), "")
				})),
			cel.MemberOverload("list_join_string", []*cel.Type{listOfStrings, cel.StringType}, cel.StringType,
				cel.BinaryBinding(func(list, sep ref.Val) ref.Val {
					return join(list.(traits.Lister), string(sep.(types.String)))
				})),
		),
		cel.Function("replace",
			cel.MemberOverload("string_replace_string_string",
				[]*cel.Type{cel.StringType, cel.StringType, cel.StringType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					return replace(args[0].(types.String), args[1].(types.String), args[2].(types.String), -1)
				})),
			cel.MemberOverload("string_replace_string_string_int",
				[]*cel.Type{cel.StringType, cel.StringType, cel.StringType, cel.IntType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					return replace(args[0].(types.String), args[1].(types.String), args[2].(types.String), int64(args[3].(types.Int)))
				})),
		),
	}
}

// join is ext.Strings' join, measuring the result before it builds it.
func join(list traits.Lister, sep string) ref.Val {
	n := int(list.Size().(types.Int))
	strs := make([]string, n)
	size := max(0, n-1) * len(sep)
	for i := range n {
		elem := list.Get(types.Int(i))
		s, ok := elem.(types.String)
		if !ok {
			return types.NewErr("join: invalid input: %v", elem)
		}
		strs[i] = string(s)
		size += len(s)
		if size > MaxStringSize {
			return types.NewErr("join: the result would be longer than %d bytes", MaxStringSize)
		}
	}
	return types.String(strings.Join(strs, sep))
}

// replace is ext.Strings' replace, measuring the result before it builds it.
func replace(s, old, new types.String, n int64) ref.Val {
	// Count gives the number of runes plus one for an empty old, as many
	// as Replace inserts new.
	count := int64(strings.Count(string(s), string(old)))
	if n >= 0 && n < count {
		count = n
	}
	size := int64(len(s)) + count*(int64(len(new))-int64(len(old)))
	if size > max(MaxStringSize, int64(len(s))) {
		return types.NewErr("replace: the result would be longer than %d bytes", MaxStringSize)
	}
	return types.String(strings.Replace(string(s), string(old), string(new), int(n)))
}

// dynamicCosts charges calls that the type checker could not tie to one
// overload, because their arguments are dynamic (as every variable here is):
// the interpreter picks the overload at run time and, knowing no overload,
// cel-go's cost tracker charges them 1, however large their arguments and
// result. Those that can copy or scan a whole string or list are charged here
// as cel-go charges the overload they turn out to be, so that
// lists.range(10000).map(i, object.data.x + object.data.x) is stopped by the
// cost limit, as the same loop over strings the checker knows to be strings
// would be, instead of building gigabytes.
type dynamicCosts struct{}

func (dynamicCosts) CallCost(function, overloadID string, args []ref.Val, result ref.Val) *uint64 {
	if overloadID != "" {
		return nil // the overload's own cost model charges it
	}
	var c uint64
	switch function {
	case "_+_":
		// A new string or bytes; a sum of lists is a view of both, and
		// costs 1, as add_list does.
		if _, isList := result.(traits.Lister); !isList {
			c = scan(result)
		}
	case "string", "bytes":
		if len(args) == 1 {
			c = scan(args[0])
		}
	case "reverse":
		c = scan(result) + length(result)
	case "sort", "@sortByAssociatedKeys":
		n := length(result)
		c = n * uint64(bits.Len64(n))
	case "@in":
		if len(args) == 2 {
			if _, isList := args[1].(traits.Lister); isList {
				c = length(args[1])
			}
		}
	case "_<_", "_<=_", "_>_", "_>=_":
		if len(args) == 2 {
			c = min(scan(args[0]), scan(args[1]))
		}
	}
	c++ // the call itself
	return &c
}

// scan is what cel-go charges for reading a string or bytes: a tenth of its
// length. It charges nothing else.
func scan(v ref.Val) uint64 {
	switch v := v.(type) {
	case types.String:
		return uint64(math.Ceil(float64(len(v)) * cost.StringTraversalCostFactor))
	case types.Bytes:
		return uint64(math.Ceil(float64(len(v)) * cost.StringTraversalCostFactor))
	}
	return 0
}

// length is the length of a string, bytes, list or map, and 0 for anything
// else: what cel-go charges for building one.
func length(v ref.Val) uint64 {
	if s, ok := v.(traits.Sizer); ok {
		if n, ok := s.Size().(types.Int); ok && n > 0 {
			return uint64(n)
		}
	}
	return 0
}
