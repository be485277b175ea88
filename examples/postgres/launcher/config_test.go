//go:build linux

package main

import (
	"errors"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	c, err := configOf(envOf(map[string]string{"POSTGRES_PASSWORD": "pw"}))
	want := config{bin: "/usr/lib/postgresql/15/bin", template: "/usr/share/postgresql/15/cluster-template", data: "/var/lib/postgresql/data/pgdata", database: "sessions", user: "tomcat", password: "pw"}
	if err != nil || c != want {
		t.Errorf("got %+v, %v; want %+v", c, err, want)
	}
	c, err = configOf(envOf(map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "shop_sessions", "POSTGRES_USER": "shop", "PGDATA": "/data/pg/"}))
	if err != nil || c.database != "shop_sessions" || c.user != "shop" || c.data != "/data/pg" {
		t.Errorf("got %+v, %v; want the given names and a clean path", c, err)
	}
}

func TestConfigRefuses(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "POSTGRES_PASSWORD is empty"},
		{map[string]string{"POSTGRES_PASSWORD": "a\x00b"}, "NUL"},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "Sessions"}, `POSTGRES_DB "Sessions"`},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "s; DROP"}, "not a plain name"},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_USER": "1st"}, `POSTGRES_USER "1st"`},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_USER": strings.Repeat("u", 64)}, "at most 63"},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "POSTGRES_USER": "postgres"}, "superuser"},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "PGDATA": "data"}, "absolute"},
		{map[string]string{"POSTGRES_PASSWORD": "pw", "PGDATA": "/"}, "absolute"},
	} {
		_, err := configOf(envOf(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v; want it to say %q", tc.env, err, tc.want)
		}
	}
	if _, err := configOf(envOf(nil)); !errors.Is(err, ErrNoPassword) {
		t.Errorf("no password: %v, want ErrNoPassword", err)
	}
}
