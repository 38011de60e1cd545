//go:build unix && !linux

package sqlite

// mapPopulate: only Linux maps the pages ahead.
const mapPopulate = 0
