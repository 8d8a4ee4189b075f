package hasp

import (
	"bytes"
	"context"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The migration test: programs written against crypto/tls's API
// (testdata/migrate/*, each with testdata/migrate/common beside it) are
// built and run twice, once as they are and once with the import of
// crypto/tls changed to hasp, and must print the same. They talk over
// loopback only and end themselves after a minute at most; the test
// bounds each run too.

const migrateDir = "testdata/migrate"

// haspImport is what the rewritten programs import as tls.
const haspImport = "github.com/hasp-tls/hasp"

// rewriteImport returns src with its import of crypto/tls changed to
// hasp under the name tls, and whether there was one.
func rewriteImport(t *testing.T, name string, src []byte) ([]byte, bool) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "crypto/tls" {
			continue
		}
		if imp.Name != nil && imp.Name.Name != "tls" {
			t.Fatalf("%s imports crypto/tls as %s: the programs use the name tls", name, imp.Name.Name)
		}
		start, end := fset.Position(imp.Path.Pos()).Offset, fset.Position(imp.Path.End()).Offset
		repl := strconv.Quote(haspImport)
		if imp.Name == nil {
			repl = "tls " + repl
		}
		out := append(append(append([]byte(nil), src[:start]...), repl...), src[end:]...)
		return out, true
	}
	return src, false
}

// buildMigration copies a program and the common files into a new
// directory inside the module (so the module's go.mod applies), with the
// import rewritten when toHasp, builds it and returns the binary.
func buildMigration(t *testing.T, prog string, toHasp bool) string {
	t.Helper()
	dir, err := os.MkdirTemp(migrateDir, "run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var files []string
	for _, d := range []string{filepath.Join(migrateDir, "common"), filepath.Join(migrateDir, prog)} {
		fs, err := filepath.Glob(filepath.Join(d, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	rewritten := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if toHasp {
			var ok bool
			if src, ok = rewriteImport(t, f, src); ok {
				rewritten++
			}
			if bytes.Contains(src, []byte(`"crypto/tls"`)) {
				t.Fatalf("%s still imports crypto/tls after the rewrite", f)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if toHasp && rewritten == 0 {
		t.Fatalf("%s: no file imports crypto/tls", prog)
	}
	bin := filepath.Join(t.TempDir(), prog)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(goroot(t), "bin", "go"), "build", "-o", bin, "./"+filepath.ToSlash(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s (hasp %v): %v\n%s", prog, toHasp, err, out)
	}
	return bin
}

func runMigration(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out.String())
	}
	return out.String()
}

func TestMigrationPrograms(t *testing.T) {
	entries, err := os.ReadDir(migrateDir)
	if err != nil {
		t.Fatal(err)
	}
	var progs []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "common" && !strings.HasPrefix(e.Name(), "run-") {
			progs = append(progs, e.Name())
		}
	}
	if len(progs) < 5 {
		t.Fatalf("only %d migration programs in %s: %v", len(progs), migrateDir, progs)
	}
	for _, prog := range progs {
		t.Run(prog, func(t *testing.T) {
			t.Parallel()
			std := runMigration(t, buildMigration(t, prog, false))
			got := runMigration(t, buildMigration(t, prog, true))
			if strings.Count(std, "\n") < 3 || strings.Contains(std, "FAIL") {
				t.Fatalf("with crypto/tls the program printed:\n%s", std)
			}
			if got != std {
				t.Errorf("output differs.\nwith crypto/tls:\n%s\nwith hasp:\n%s", std, got)
			}
		})
	}
}

// The rewrite keeps the name and changes only the path.
func TestRewriteImport(t *testing.T) {
	src := []byte("package main\n\nimport (\n\t\"crypto/tls\"\n\t\"fmt\"\n)\n")
	got, ok := rewriteImport(t, "x.go", src)
	want := "package main\n\nimport (\n\ttls \"github.com/hasp-tls/hasp\"\n\t\"fmt\"\n)\n"
	if !ok || string(got) != want {
		t.Fatalf("got %q", got)
	}
	if _, ok := rewriteImport(t, "y.go", []byte("package main\nimport \"fmt\"\n")); ok {
		t.Fatal("rewrote a file without crypto/tls")
	}
}
