package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"path"
	"path/filepath"
	"sort"

	"golang.org/x/tools/cover"
)

// report is the coverage of each package of a merged profile.
type report struct {
	packages map[string]*pkgCoverage // by path relative to the module
	total    counts
}

// counts are a number of statements and how many of them ran.
type counts struct{ statements, run int }

// percent is the share of statements run; 100 when there are none.
func (c counts) percent() float64 {
	if c.statements == 0 {
		return 100
	}
	return 100 * float64(c.run) / float64(c.statements)
}

// pkgCoverage is the coverage of one package.
type pkgCoverage struct {
	counts
	floor float64
	// funcs are the package's functions with statements not run, most
	// first; filled only for a package below its floor.
	funcs []funcCoverage
}

// funcCoverage is the coverage of one function.
type funcCoverage struct {
	file   string // relative to the module root
	line   int
	name   string
	counts counts
}

// newReport sums a merged profile per package; for a package below its
// floor it reads the package's sources under root to find its functions
// with the most statements not run. Excluded packages are left out.
func newReport(p *profile, module, root string) (*report, error) {
	r := &report{packages: map[string]*pkgCoverage{}}
	byPkg := map[string][]string{}
	for _, name := range sortedKeys(p.files) {
		pkg := relative(module, path.Dir(name))
		if isExcluded(pkg) {
			continue
		}
		byPkg[pkg] = append(byPkg[pkg], name)
		pc := r.packages[pkg]
		if pc == nil {
			pc = &pkgCoverage{floor: floorOf(pkg)}
			r.packages[pkg] = pc
		}
		for _, b := range p.files[name] {
			pc.statements += b.NumStmt
			r.total.statements += b.NumStmt
			if b.Count > 0 {
				pc.run += b.NumStmt
				r.total.run += b.NumStmt
			}
		}
	}
	for pkg, pc := range r.packages {
		if pc.percent() >= pc.floor {
			continue
		}
		for _, name := range byPkg[pkg] {
			file := filepath.FromSlash(relative(module, name))
			funcs, err := functions(filepath.Join(root, file), p.files[name])
			if err != nil {
				return nil, err
			}
			for i := range funcs {
				funcs[i].file = filepath.ToSlash(file)
			}
			pc.funcs = append(pc.funcs, funcs...)
		}
		sort.SliceStable(pc.funcs, func(i, j int) bool {
			a, b := pc.funcs[i], pc.funcs[j]
			if na, nb := a.counts.statements-a.counts.run, b.counts.statements-b.counts.run; na != nb {
				return na > nb
			}
			if a.file != b.file {
				return a.file < b.file
			}
			return a.line < b.line
		})
	}
	return r, nil
}

// functions attributes the blocks of one source file to its functions
// (methods as T.M or (*T).M; blocks outside any, such as package-level
// initialisers, to "package level") and returns those with statements not
// run, in source order.
func functions(file string, blocks []cover.ProfileBlock) ([]funcCoverage, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("reading the functions of %s: %v", file, err)
	}
	var funcs []funcCoverage
	type span struct{ start, end token.Position }
	var spans []span
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		spans = append(spans, span{fset.Position(fd.Pos()), fset.Position(fd.End())})
		funcs = append(funcs, funcCoverage{line: fset.Position(fd.Pos()).Line, name: funcName(fd)})
	}
	outside := funcCoverage{line: 1, name: "package level"}
	for _, b := range blocks {
		c := &outside
		for i, s := range spans {
			if after(b.StartLine, b.StartCol, s.start) && !after(b.StartLine, b.StartCol, s.end) {
				c = &funcs[i]
				break
			}
		}
		c.counts.statements += b.NumStmt
		if b.Count > 0 {
			c.counts.run += b.NumStmt
		}
	}
	funcs = append(funcs, outside)
	var notRun []funcCoverage
	for _, fc := range funcs {
		if fc.counts.run < fc.counts.statements {
			notRun = append(notRun, fc)
		}
	}
	return notRun, nil
}

// after reports whether line.col is at or after pos.
func after(line, col int, pos token.Position) bool {
	return line > pos.Line || line == pos.Line && col >= pos.Column
}

// funcName names a function as go tool cover -func does, with its
// receiver's type for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if star != "" {
		return "(*" + recv + ")." + fd.Name.Name
	}
	return recv + "." + fd.Name.Name
}

// below returns the packages below their floor, in order.
func (r *report) below() []string {
	var below []string
	for _, pkg := range sortedKeys(r.packages) {
		if pc := r.packages[pkg]; pc.percent() < pc.floor {
			below = append(below, pkg)
		}
	}
	return below
}

// print writes the table, then for each package below its floor the top
// functions with the most statements not run.
func (r *report) print(w io.Writer, top int) {
	width := len("package")
	for pkg := range r.packages {
		width = max(width, len(pkg))
	}
	fmt.Fprintf(w, "\ncoverage: statements run by the unit and process tests (floors: scripts/coverage/floors.go)\n")
	fmt.Fprintf(w, "%-*s %10s %7s %6s\n", width, "package", "statements", "run", "floor")
	for _, pkg := range sortedKeys(r.packages) {
		pc := r.packages[pkg]
		mark := ""
		if pc.percent() < pc.floor {
			mark = "  below floor"
		}
		fmt.Fprintf(w, "%-*s %10d %6.1f%% %5.0f%%%s\n", width, pkg, pc.statements, pc.percent(), pc.floor, mark)
	}
	fmt.Fprintf(w, "%-*s %10d %6.1f%%\n", width, "total", r.total.statements, r.total.percent())
	for _, pkg := range r.below() {
		pc := r.packages[pkg]
		fmt.Fprintf(w, "\n%s: %.1f%% of statements run, below its floor of %.0f%%; the functions with the most statements not run:\n", pkg, pc.percent(), pc.floor)
		for i, fc := range pc.funcs {
			if i == top {
				break
			}
			notRun := fc.counts.statements - fc.counts.run
			fmt.Fprintf(w, "  %s:%d: %s: %d of %d statements not run\n", fc.file, fc.line, fc.name, notRun, fc.counts.statements)
		}
	}
}
