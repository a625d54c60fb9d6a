package schedule

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateAccepts(t *testing.T) {
	for _, expr := range []string{
		"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 6 * * ? *)", "cron(0 3 ? * SUN *)", "cron(15 10 ? * L 2026)",
		"cron(0/15 * * * ? *)", "cron(*/5 8-17 ? * MON-FRI *)", "cron(0 18 ? * MON-FRI *)",
		"cron(0 8 1 * ? *)", "cron(0 9 L * ? *)", "cron(0 9 3W * ? *)", "cron(0 10 ? * 3#2 *)",
		"cron(0,30 1,13 1-15/2 JAN,JUL ? 1970-2199)", "cron(00 05 * * ? *)", "cron(0 0 ? * 1-7/2 *)",
	} {
		assert.NoError(t, Validate(expr), expr)
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tt := range []struct{ expr, want string }{
		// The expressions the old check let through: CDK panics on the first
		// three at synth, EventBridge rejects the fourth at deploy.
		{"rate(1 minutes)", `rate unit "minutes" with value 1`},
		{"rate(2 day)", `rate unit "day" with value 2`},
		{"cron(0 3 * * MON *)", `day-of-month "*" and day-of-week "MON": one of them must be ?`},
		{"cron(99 3 * * ? *)", `minutes field "99"`},
		{"rate(0 minutes)", `rate value "0"`},
		{"rate(-1 days)", `rate value "-1"`},
		{"rate(1.5 hours)", `rate value "1.5"`},
		{"rate(1  day)", "one space apart"},
		{"rate(1 week)", `rate unit "week"`},
		{"cron(0 3 * * *)", "want six fields"},
		{"cron(0 3 ? * ? *)", "both ?"},
		{"cron(0 24 * * ? *)", `hours field "24"`},
		{"cron(0 3 0 * ? *)", `day-of-month field "0"`},
		{"cron(0 3 32 * ? *)", `day-of-month field "32"`},
		{"cron(0 3 * 13 ? *)", `month field "13"`},
		{"cron(0 3 * FOO ? *)", `month field "FOO"`},
		{"cron(0 3 ? * 8 *)", `day-of-week field "8"`},
		{"cron(0 3 * * ? 1969)", `year field "1969"`},
		{"cron(0 3 * * ? 2200)", `year field "2200"`},
		{"cron(? 3 * * ? *)", "? is not allowed"},
		{"cron(L 3 * * ? *)", "L is not allowed"},
		{"cron(0 3 ? * 3W *)", "W is not allowed"},
		{"cron(0 3 3#2 * ? *)", "# is not allowed"},
		{"cron(0 3 ? * 3#6 *)", "occurrence 1-5"},
		{"cron(0 3 ? * 3#1,6#3 *)", "occurrence 1-5"},
		{"cron(0/0 3 * * ? *)", `increment "0"`},
		{"cron(0/61 3 * * ? *)", `increment "61"`},
		{"cron(0 3 1-40 * ? *)", `"40" is not a value`},
		{"cron(0,,1 3 * * ? *)", `"" is not a value`},
		{"cron(0  3 * * ? *)", "one space apart"},
		{"every day", "neither rate"},
		{"", "neither rate"},
		{"Rate(1 day)", "neither rate"},
	} {
		err := Validate(tt.expr)
		if assert.Error(t, err, tt.expr) {
			assert.Contains(t, err.Error(), tt.want, tt.expr)
			assert.NotContains(t, err.Error(), "\n", "one line")
		}
	}
}

// FuzzValidate checks that Validate never panics, that every expression it
// accepts has the documented shape, and that accepting is stable under
// re-validation of the same string.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"rate(1 day)", "rate(2 days)", "cron(0 6 * * ? *)", "cron(0 10 ? * 3#2 *)", "cron(0 9 3W * ? *)", "cron(0/15 * * * ? *)", "cron(99 3 * * ? *)", "rate(1 minutes)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		err := Validate(expr)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("Validate(%q): multi-line error %q", expr, err)
			}
			return
		}
		switch {
		case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
			if strings.Count(expr, " ") != 1 {
				t.Fatalf("accepted rate %q without exactly one space", expr)
			}
		case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
			parts := strings.Split(expr[5:len(expr)-1], " ")
			if len(parts) != 6 {
				t.Fatalf("accepted cron %q with %d fields", expr, len(parts))
			}
			if (parts[2] == "?") == (parts[4] == "?") {
				t.Fatalf("accepted cron %q without exactly one ? day field", expr)
			}
			if strings.ContainsAny(expr, "\t\n") {
				t.Fatalf("accepted cron %q with a tab or newline", expr)
			}
		default:
			t.Fatalf("accepted %q, neither rate nor cron", expr)
		}
	})
}
