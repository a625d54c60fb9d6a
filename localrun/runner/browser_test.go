package runner

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// browser starts headless Chromium for the test, or skips it where
// Chromium is not installed (scripts/test.sh installs Debian's chromium
// when it can); under CI (CI set) a missing Chromium fails the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed, and CI must run the browser tests: apt-get install chromium")
		}
		t.Skip("chromium is not installed; apt-get install chromium (scripts/test.sh does when it may) to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		// Chromium's sandbox cannot run as root, as in containers.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1000),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// Start the browser with the context that lives as long as the test.
	require.NoError(t, chromedp.Do(ctx), "start %s", path)
	return ctx
}

// pageProblems is what a page reported while it loaded: console errors and
// warnings, uncaught exceptions, and browser log entries such as a
// Content-Security-Policy violation or a resource that failed to load.
type pageProblems struct {
	mu   sync.Mutex
	list []string
}

func (p *pageProblems) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, s)
}

func (p *pageProblems) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

// figureInfo is what the browser drew for one figure of a page.
type figureInfo struct {
	HasSVG  bool     `json:"hasSVG"`
	Width   float64  `json:"width"`
	Height  float64  `json:"height"`
	Marks   int      `json:"marks"`
	Texts   []string `json:"texts"`
	Caption string   `json:"caption"`
}

// figuresJS lists the figures of the page with their drawn SVG: its size
// on screen, how many marks (paths, lines, shapes) it has and its texts.
const figuresJS = `[...document.querySelectorAll('figure')].map(f => {
	const s = f.querySelector('svg');
	const c = f.querySelector('figcaption');
	if (!s) return {hasSVG: false, marks: 0, texts: [], caption: c ? c.textContent : ''};
	const r = s.getBoundingClientRect();
	return {
		hasSVG: true, width: r.width, height: r.height,
		marks: s.querySelectorAll('path, line, polyline, polygon, rect, circle').length,
		texts: [...s.querySelectorAll('text')].map(t => t.textContent.trim()).filter(t => t !== ''),
		caption: c ? c.textContent : '',
	};
})`

// openPage loads the file in a new tab and returns what the page reported
// while loading, and the tab.
func openPage(t *testing.T, browserCtx context.Context, file string) ([]string, context.Context) {
	t.Helper()
	tab, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	var problems pageProblems
	require.NoError(t, chromedp.Listen(tab, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems.add(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems.add("exception: " + ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems.add(fmt.Sprintf("%s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}))
	u := url.URL{Scheme: "file", Path: file}
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(u.String())), "load %s", file)
	// A round trip after the load, so that the events of the load have
	// arrived (Listen sees events in the order they come).
	_, err := chromedp.Run(tab, chromedp.Evaluate[int](`1`))
	require.NoError(t, err)
	return problems.get(), tab
}

// screenshot saves the whole page as a PNG (quality 100 means PNG for
// chromedp) under dir and returns its path.
func screenshot(t *testing.T, tab context.Context, dir, name string) string {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NotEmpty(t, png)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot of %s: %s", name, p)
	return p
}

// TestPagesInABrowser renders the evaluation report and the run page of
// a whole run in headless Chromium: each loads with no console error and
// no Content-Security-Policy violation, and every plot of the report is
// drawn, with its axes. Screenshots go to the test's temporary folder.
func TestPagesInABrowser(t *testing.T) {
	ctx := browser(t)
	sum := approvedRun(t)
	shots := t.TempDir()

	// The check sees problems: a page that breaks its own policy.
	bad := filepath.Join(t.TempDir(), "bad.html")
	require.NoError(t, os.WriteFile(bad, []byte(`<!DOCTYPE html><html><head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
</head><body><script>document.title = "ran"</script><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>`), 0o644))
	problems, _ := waitForProblems(t, ctx, bad)
	assert.NotEmpty(t, problems, "a blocked script and image are reported")

	problems, tab := openPage(t, ctx, sum.Report)
	assert.Empty(t, problems, "the report loads without errors")
	figures, err := chromedp.Run(tab, chromedp.Evaluate[[]figureInfo](figuresJS))
	require.NoError(t, err)
	source, err := os.ReadFile(sum.Report)
	require.NoError(t, err)
	require.Equal(t, strings.Count(string(source), "<figure>"), len(figures))
	require.NotEmpty(t, figures, "the report has plots")
	for i, f := range figures {
		name := fmt.Sprintf("figure %d (%.40s)", i+1, f.Caption)
		if !assert.True(t, f.HasSVG, "%s has an SVG", name) {
			continue
		}
		assert.Greater(t, f.Width, 100.0, "%s is drawn with a width", name)
		assert.Greater(t, f.Height, 100.0, "%s is drawn with a height", name)
		assert.Greater(t, f.Marks, 3, "%s has marks: axes and data", name)
		numbers := 0
		for _, s := range f.Texts {
			if _, err := fmt.Sscanf(strings.ReplaceAll(s, "−", "-"), "%g", new(float64)); err == nil {
				numbers++
			}
		}
		assert.GreaterOrEqual(t, numbers, 2, "%s has axes with numbered ticks: %q", name, f.Texts)
	}
	nonEmpty(t, screenshot(t, tab, shots, "report.png"))

	problems, tab = openPage(t, ctx, sum.RunPage)
	assert.Empty(t, problems, "the run page loads without errors")
	links, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a')].map(a => a.href)`))
	require.NoError(t, err)
	require.NotEmpty(t, links)
	for _, l := range links {
		u, err := url.Parse(l)
		require.NoError(t, err)
		assert.Equal(t, "file", u.Scheme, l)
		nonEmpty(t, u.Path)
	}
	nonEmpty(t, screenshot(t, tab, shots, "run.png"))
}

// waitForProblems opens file until it has reported a problem, for at most
// ten seconds: the check of the check, which must not pass by seeing
// nothing too early.
func waitForProblems(t *testing.T, ctx context.Context, file string) ([]string, context.Context) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		problems, tab := openPage(t, ctx, file)
		if len(problems) > 0 || time.Now().After(deadline) {
			return problems, tab
		}
	}
}
