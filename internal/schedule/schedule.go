// Package schedule validates EventBridge schedule expressions, rate(...)
// and cron(...), as the rules that start the pipeline's state machines use
// them. It implements the grammar of "Using cron and rate expressions to
// schedule rules in Amazon EventBridge" and its "Cron expressions
// reference" in the Amazon EventBridge User Guide:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
// so that an expression EventBridge (or CDK, at synth) would reject stops
// at the configuration check instead.
package schedule

import (
	"errors"
	"fmt"
	"strings"
)

// Validate returns nil when expr is an EventBridge schedule expression,
// or an error saying which part is wrong and what would be valid.
//
// rate(value unit): value a positive integer; unit minute, hour or day
// when value is 1, and minutes, hours or days otherwise.
//
// cron(minutes hours day-of-month month day-of-week year): six fields
// separated by single spaces, each a comma-separated list of items; an
// item is *, a value, a range a-b, or an increment x/n (x is * or a value
// or a range). Values and wildcards per field, as documented:
//
//	minutes       0-59                 , - * /
//	hours         0-23                 , - * /
//	day-of-month  1-31                 , - * ? / L W
//	month         1-12 or JAN-DEC      , - * /
//	day-of-week   1-7 or SUN-SAT       , - * ? L #
//	year          1970-2199            , - * /
//
// One of day-of-month and day-of-week must be ? (not both). ? and L stand
// alone in their field; W follows a day of the month (3W); # joins a day
// of the week and its occurrence in the month, 1 to 5 (3#2), and then is
// the only expression of the field.
func Validate(expr string) error {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return validateRate(expr[len("rate(") : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return validateCron(expr[len("cron(") : len(expr)-1])
	}
	return errors.New("neither rate(value unit) nor cron(six fields)")
}

func validateRate(body string) error {
	value, unit, ok := strings.Cut(body, " ")
	if !ok || strings.Contains(unit, " ") {
		return errors.New("rate: want rate(value unit), one space apart")
	}
	n, ok := digits(value)
	if !ok || n < 1 {
		return fmt.Errorf("rate value %q: want a positive integer", value)
	}
	singular := map[string]bool{"minute": true, "hour": true, "day": true}
	plural := map[string]bool{"minutes": true, "hours": true, "days": true}
	switch {
	case n == 1 && !singular[unit]:
		return fmt.Errorf("rate unit %q with value 1: want minute, hour or day (singular for 1)", unit)
	case n > 1 && !plural[unit]:
		return fmt.Errorf("rate unit %q with value %d: want minutes, hours or days (plural above 1)", unit, n)
	}
	return nil
}

// field is one cron field's values and allowed wildcards.
type field struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
	special  string   // wildcards beyond , - * /
}

var fields = []field{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31, special: "?LW"},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day-of-week", min: 1, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, special: "?L#"},
	{name: "year", min: 1970, max: 2199},
}

const (
	dayOfMonth = 2
	dayOfWeek  = 4
)

func validateCron(body string) error {
	parts := strings.Split(body, " ")
	if len(parts) != len(fields) {
		return fmt.Errorf("cron: want six fields (minutes hours day-of-month month day-of-week year) one space apart, got %d", len(parts))
	}
	for i, f := range fields {
		if err := f.validate(parts[i]); err != nil {
			return err
		}
	}
	dom, dow := parts[dayOfMonth] == "?", parts[dayOfWeek] == "?"
	switch {
	case !dom && !dow:
		return fmt.Errorf("cron day-of-month %q and day-of-week %q: one of them must be ?", parts[dayOfMonth], parts[dayOfWeek])
	case dom && dow:
		return errors.New("cron day-of-month and day-of-week are both ?: only one of them may be")
	}
	return nil
}

func (f field) rangeText() string {
	s := fmt.Sprintf("%d-%d", f.min, f.max)
	if f.names != nil {
		s += " or " + f.names[0] + "-" + f.names[len(f.names)-1]
	}
	return s
}

func (f field) allows(c byte) bool { return strings.IndexByte(f.special, c) >= 0 }

func (f field) validate(s string) error {
	bad := func(why string) error {
		return fmt.Errorf("cron %s field %q: %s", f.name, s, why)
	}
	switch {
	case s == "":
		return bad("empty")
	case s == "?" || s == "L":
		if !f.allows(s[0]) {
			return bad(s + " is not allowed in this field")
		}
		return nil
	case strings.Contains(s, "#"):
		if !f.allows('#') {
			return bad("# is not allowed in this field")
		}
		day, nth, _ := strings.Cut(s, "#")
		if _, ok := f.value(day); !ok {
			return bad("want day#occurrence with a day " + f.rangeText())
		}
		if n, ok := digits(nth); !ok || n < 1 || n > 5 {
			return bad("want day#occurrence with an occurrence 1-5")
		}
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		if err := f.item(item); err != nil {
			return bad(err.Error())
		}
	}
	return nil
}

// item checks one element of a comma-separated list.
func (f field) item(item string) error {
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		if n, ok := digits(step); !ok || n < 1 || n > f.max-f.min+1 {
			return fmt.Errorf("increment %q: want an integer from 1 to %d", step, f.max-f.min+1)
		}
	}
	switch {
	case base == "*":
		return nil
	case strings.HasSuffix(base, "W") && !hasStep:
		if !f.allows('W') {
			return fmt.Errorf("%q: W is not allowed in this field", base)
		}
		if _, ok := f.value(strings.TrimSuffix(base, "W")); !ok {
			return fmt.Errorf("%q: want a day %s before W", base, f.rangeText())
		}
		return nil
	}
	lo, hi, isRange := strings.Cut(base, "-")
	if _, ok := f.value(lo); !ok {
		return fmt.Errorf("%q is not a value %s", lo, f.rangeText())
	}
	if isRange {
		if _, ok := f.value(hi); !ok {
			return fmt.Errorf("%q is not a value %s", hi, f.rangeText())
		}
	}
	return nil
}

// value parses one value of the field, a number or a name.
func (f field) value(s string) (int, bool) {
	for i, n := range f.names {
		if s == n {
			return f.min + i, true
		}
	}
	n, ok := digits(s)
	if !ok || n < f.min || n > f.max {
		return 0, false
	}
	return n, true
}

// digits parses a non-empty run of at most 9 decimal digits: no sign, no
// space, no overflow.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
