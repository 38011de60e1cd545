package moviegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// GenerateYTS writes n records of the given seed as one page of a YTS
// list_movies.json answer, indented for reading:
//
//	{"status":"ok","status_message":"Query was successful",
//	 "data":{"movie_count":n,"limit":n,"page_number":1,"movies":[...]},
//	 "@meta":{...}}
//
// The records are the ones [Generate] writes for the same seed, so a reader
// pointed at data.movies sees the same catalog as one reading the JSON
// lines. Memory use does not grow with n.
func GenerateYTS(seed int64, n int, w io.Writer) error {
	if n < 0 {
		return fmt.Errorf("moviegen: cannot generate %d records: the count must be 0 or more", n)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	count := strconv.Itoa(n)
	bw.WriteString("{\n  \"status\": \"ok\",\n  \"status_message\": \"Query was successful\",\n  \"data\": {\n")
	bw.WriteString("    \"movie_count\": " + count + ",\n    \"limit\": " + count + ",\n    \"page_number\": 1,\n")
	bw.WriteString("    \"movies\": [")
	g := New(seed)
	var compact []byte
	var indented bytes.Buffer
	for k := range n {
		m := g.Next()
		compact = m.AppendJSON(compact[:0])
		indented.Reset()
		if err := json.Indent(&indented, compact, "      ", "  "); err != nil {
			return fmt.Errorf("moviegen: indenting record %d: %w", m.ID, err)
		}
		if k > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n      ")
		if _, err := bw.Write(indented.Bytes()); err != nil {
			return fmt.Errorf("moviegen: writing record %d: %w", m.ID, err)
		}
	}
	if n > 0 {
		bw.WriteString("\n    ")
	}
	bw.WriteString("]\n  },\n")
	// YTS answers carry this block; readers must skip it.
	bw.WriteString("  \"@meta\": {\n    \"api_version\": 2,\n    \"execution_time\": \"0 ms\"\n  }\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("moviegen: writing the YTS page: %w", err)
	}
	return nil
}
