package cli

import "testing"

func TestParseVersion(t *testing.T) {
	for in, want := range map[string][3]int{"0.17.4": {0, 17, 4}, "v0.12.7": {0, 12, 7}, "0.12.7-rc1": {0, 12, 7}, " 1.2.3+x ": {1, 2, 3}} {
		if got, ok := parseVersion(in); !ok || got != want {
			t.Errorf("parseVersion(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "0.17", "a.b.c", "0.-1.2", "1.2.3.4"} {
		if _, ok := parseVersion(in); ok {
			t.Errorf("parseVersion(%q) accepted", in)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"0.17.4", "v0.12.7-rc1", "", "1.2", "9999999999999999999.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseVersion(s)
		if ok && (v[0] < 0 || v[1] < 0 || v[2] < 0) {
			t.Fatalf("parseVersion(%q) = %v", s, v)
		}
	})
}

func FuzzAutoInt(f *testing.F) {
	for _, s := range []string{"auto", "AUTO", "4", "0", "-1", " 12 ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a autoInt
		if err := a.Set(s); err != nil {
			return
		}
		if a < 0 {
			t.Fatalf("Set(%q) gave %d", s, a)
		}
		var b autoInt
		if err := b.Set(a.String()); err != nil || b != a {
			t.Fatalf("round trip of %q: %v %d != %d", s, err, b, a)
		}
	})
}
