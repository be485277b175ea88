package project

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestStartOrderPutsDependenciesFirst(t *testing.T) {
	dir := t.TempDir()
	compose := `name: order
services:
  web:
    image: web
    depends_on: [api]
  api:
    image: api
    depends_on: [db]
  db:
    image: db
  lone:
    image: lone
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{ProjectDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.StartOrder("web")
	if err != nil || !slices.Equal(got, []string{"db", "api", "web"}) {
		t.Fatalf("StartOrder(web) = %v, %v; want [db api web]", got, err)
	}
	all, err := p.StartOrder()
	if err != nil || len(all) != 4 || slices.Index(all, "db") > slices.Index(all, "api") || slices.Index(all, "api") > slices.Index(all, "web") {
		t.Fatalf("StartOrder() = %v, %v", all, err)
	}
	if _, err := p.StartOrder("nope"); err == nil {
		t.Fatal("an unknown service must be an error")
	}
}
