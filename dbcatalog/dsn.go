package dbcatalog

import (
	"net/url"
	"path/filepath"
	"strings"
)

// SQLitePath returns the file a SQLite database name names:
//
//	shop.db, ./shop.db, /data/shop.db     a path
//	sqlite:shop.db, sqlite:/data/shop.db  a path after "sqlite:"
//	sqlite://shop.db, sqlite:///data/x.db a URL without host
//	file:shop.db, file:///data/shop.db    a file: URI (%-escapes decoded)
//
// A relative path stays relative (to the working directory). A file: URI
// with a query (?mode=ro) or a host other than localhost is refused.
func SQLitePath(dsn string) (string, error) {
	rest := dsn
	if after, ok := cutPrefixFold(rest, "sqlite:"); ok {
		// sqlite://shop.db and sqlite:///data/shop.db: a URL without host.
		rest = strings.TrimPrefix(after, "//")
	}
	if _, ok := cutPrefixFold(rest, "file:"); ok {
		return fileURIPath(dsn, rest)
	}
	if rest == "" {
		return "", &DSNError{DSN: dsn, Reason: "no file named"}
	}
	if strings.ContainsRune(rest, 0) {
		return "", &DSNError{DSN: dsn, Reason: "the path holds a NUL byte"}
	}
	return rest, nil
}

// fileURIPath is the path of a file: URI.
func fileURIPath(dsn, uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", &DSNError{DSN: dsn, Reason: "not a valid file: URI", Err: err}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", &DSNError{DSN: dsn, Reason: "a file: URI with a query or fragment: give the file's path alone"}
	}
	if u.User != nil || (u.Host != "" && !strings.EqualFold(u.Host, "localhost")) {
		return "", &DSNError{DSN: dsn, Reason: "a file: URI names a file of this machine: write file:///PATH or file:PATH"}
	}
	p := u.Path
	if u.Opaque != "" { // file:shop.db
		if p, err = url.PathUnescape(u.Opaque); err != nil {
			return "", &DSNError{DSN: dsn, Reason: "not a valid file: URI", Err: err}
		}
	}
	if p == "" {
		return "", &DSNError{DSN: dsn, Reason: "no file named"}
	}
	if strings.ContainsRune(p, 0) {
		return "", &DSNError{DSN: dsn, Reason: "the path holds a NUL byte"}
	}
	return filepath.FromSlash(p), nil
}

// fileURI is the file: URI of path for the SQLite driver: absolute, every
// special character %-escaped.
func fileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// notSQLite is the error for a file that is missing or not a database.
func notSQLite(dsn, path, reason string, err error) error {
	return &DSNError{DSN: dsn, Path: path, Reason: reason, Err: err}
}
