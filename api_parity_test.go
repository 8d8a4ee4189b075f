package hasp

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The API parity test: every exported identifier of crypto/tls (its
// top-level names, the methods of its types, the fields of its structs
// and the methods of its interfaces) should exist in package hasp, so
// that switching is a change of import. Both packages are read from
// source with go/parser, every file whatever its build tags, so the
// count does not depend on the platform running the test.

// minAPIParity is the share of crypto/tls's identifiers hasp must have.
const minAPIParity = 0.95

// apiEntry is one exported identifier and, for what has a type, the
// type's source text (a func's signature, a field's type).
type apiEntry struct {
	kind string // "const", "var", "func", "type", "method", "field"
	typ  string
}

// goroot finds the Go installation whose crypto/tls the test reads.
func goroot(t *testing.T) string {
	t.Helper()
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			return dir
		}
	}
	return runtime.GOROOT()
}

// exportedAPI parses the non-test .go files of dir that declare package
// pkg and returns their exported identifiers: "Name", "Type.Method",
// "Type.Field" and "Interface.Method".
func exportedAPI(t *testing.T, dir, pkg string) map[string]apiEntry {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	api := map[string]apiEntry{}
	text := func(n ast.Node) string {
		var b strings.Builder
		if err := printer.Fprint(&b, fset, n); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	var parsed int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		unnameParams(f)
		if f.Name.Name != pkg {
			continue // a generator (package main) kept beside the package
		}
		parsed++
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					api[d.Name.Name] = apiEntry{"func", text(d.Type)}
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				id, ok := recv.(*ast.Ident)
				if !ok || !id.IsExported() {
					continue
				}
				api[id.Name+"."+d.Name.Name] = apiEntry{"method", text(d.Type)}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								api[n.Name] = apiEntry{kind: d.Tok.String()}
							}
						}
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						// A type compares by its kind: struct and interface
						// by their members (below), others by what they
						// are defined as.
						under := "struct"
						switch s.Type.(type) {
						case *ast.StructType:
						case *ast.InterfaceType:
							under = "interface"
						default:
							under = text(s.Type)
						}
						if s.Assign.IsValid() {
							under = "= " + under
						}
						api[s.Name.Name] = apiEntry{"type", under}
						switch tt := s.Type.(type) {
						case *ast.StructType:
							for _, fl := range tt.Fields.List {
								names := fl.Names
								if len(names) == 0 { // embedded
									e := fl.Type
									if s, ok := e.(*ast.StarExpr); ok {
										e = s.X
									}
									if sel, ok := e.(*ast.SelectorExpr); ok {
										e = sel.Sel
									}
									if id, ok := e.(*ast.Ident); ok {
										names = []*ast.Ident{id}
									}
								}
								for _, n := range names {
									if n.IsExported() {
										api[s.Name.Name+"."+n.Name] = apiEntry{"field", text(fl.Type)}
									}
								}
							}
						case *ast.InterfaceType:
							for _, m := range tt.Methods.List {
								for _, n := range m.Names {
									if n.IsExported() {
										api[s.Name.Name+"."+n.Name] = apiEntry{"method", text(m.Type)}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if parsed == 0 {
		t.Fatalf("no package %s sources in %s", pkg, dir)
	}
	return api
}

// unnameParams drops parameter and result names from every func type in
// f, so signatures compare by their types alone: func(a, b []byte) and
// func(x []byte, y []byte) both print as func([]byte, []byte).
func unnameParams(f *ast.File) {
	strip := func(l *ast.FieldList) {
		if l == nil {
			return
		}
		var out []*ast.Field
		for _, fl := range l.List {
			for range max(len(fl.Names), 1) {
				out = append(out, &ast.Field{Type: fl.Type})
			}
		}
		l.List = out
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if ft, ok := n.(*ast.FuncType); ok {
			strip(ft.Params)
			strip(ft.Results)
		}
		return true
	})
}

// apiTypeDifferences are identifiers hasp has with a type other than
// crypto/tls's, with the reason. Each must still differ (a stale entry
// fails the test), and any other difference fails it.
var apiTypeDifferences = map[string]string{
	"Config.SetSessionTicketKeys": "returns an error for an empty list instead of ignoring it; a call as a statement compiles the same",
	"AlertError":                  "hasp's is a struct saying which alert, who sent it and why (Alert, Remote, Reason, Err); crypto/tls's is the alert alone, which hasp calls Alert (errors.As finds one in an *AlertError)",
}

func TestAPIParity(t *testing.T) {
	tlsDir := filepath.Join(goroot(t), "src", "crypto", "tls")
	if _, err := os.Stat(tlsDir); err != nil {
		t.Fatalf("crypto/tls sources: %v", err)
	}
	theirs := exportedAPI(t, tlsDir, "tls")
	ours := exportedAPI(t, ".", "hasp")
	if len(theirs) < 200 {
		t.Fatalf("read only %d identifiers from %s: the parser missed something", len(theirs), tlsDir)
	}
	var missing, differ []string
	for name, e := range theirs {
		o, ok := ours[name]
		if !ok {
			missing = append(missing, e.kind+" "+name)
			continue
		}
		if e.typ != o.typ {
			if _, known := apiTypeDifferences[name]; !known {
				differ = append(differ, name+": crypto/tls "+e.typ+", hasp "+o.typ)
			}
		}
	}
	for name := range apiTypeDifferences {
		if e, ok := theirs[name]; !ok || ours[name].typ == e.typ {
			t.Errorf("apiTypeDifferences lists %s, which no longer differs: take it out", name)
		}
	}
	sort.Strings(missing)
	slices.Sort(differ)
	have := len(theirs) - len(missing)
	share := float64(have) / float64(len(theirs))
	t.Logf("hasp has %d of crypto/tls's %d exported identifiers (%.1f%%)", have, len(theirs), 100*share)
	if len(missing) > 0 {
		t.Logf("missing:\n\t%s", strings.Join(missing, "\n\t"))
	}
	for _, d := range differ {
		t.Errorf("type differs from crypto/tls: %s", d)
	}
	if share < minAPIParity {
		t.Errorf("API parity %.1f%% is below %.0f%%; missing:\n\t%s", 100*share, 100*minAPIParity, strings.Join(missing, "\n\t"))
	}
}
