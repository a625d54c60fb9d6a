package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDocComments holds the project to its documentation rule: every package
// has a package comment, every exported name a doc comment, and no package is
// named constructs (it would clash with constructs-go in every importer).
func TestDocComments(t *testing.T) {
	fset := token.NewFileSet()
	packageDoc := map[string]bool{} // directory -> has a package comment
	var missing []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "node_modules" || d.Name() == "testdata" || d.Name() == "cdk.out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		assert.NotEqual(t, "constructs", file.Name.Name, "%s: package constructs clashes with constructs-go", path)
		packageDoc[dir] = packageDoc[dir] || file.Doc != nil
		if !strings.HasSuffix(path, "_test.go") {
			missing = append(missing, undocumented(fset, file)...)
		}
		return nil
	})
	require.NoError(t, err)
	for dir, ok := range packageDoc {
		assert.True(t, ok, "%s has no package comment", dir)
	}
	assert.Empty(t, missing, "exported names without a doc comment")
}

// undocumented returns "file:line name" for each exported top-level name of
// file, or exported method of an exported type, that has no doc comment.
func undocumented(fset *token.FileSet, file *ast.File) []string {
	var out []string
	report := func(pos token.Pos, name string) {
		out = append(out, fset.Position(pos).String()+" "+name)
	}
	for _, decl := range file.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil || (d.Recv != nil && !exportedReceiver(d.Recv)) {
				continue
			}
			report(d.Pos(), d.Name.Name)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
						report(s.Pos(), s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && d.Doc == nil && s.Doc == nil {
							report(n.Pos(), n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

func exportedReceiver(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	ident, ok := typ.(*ast.Ident)
	return ok && ident.IsExported()
}
