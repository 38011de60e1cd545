package source

import (
	"testing"
)

func TestCSV(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name:    "header, quoted newline, empty field",
			file:    "movies.csv",
			content: "id,title,year\n1,\"Two\nLines\",2010\n\n2,,1999\n",
			want:    []string{"movies.csv:2 id=1", "movies.csv:5 id=2"},
			fields: []map[string]any{
				{"id": "1", "title": "Two\nLines", "year": "2010"},
				{"id": "2", "title": "", "year": "1999"},
			},
		},
		{
			name:    "BOM and CRLF",
			file:    "m.csv",
			content: "\uFEFFid,t\r\n1,a\r\n2,b\r\n",
			want:    []string{"m.csv:2 id=1", "m.csv:3 id=2"},
			fields:  []map[string]any{{"id": "1", "t": "a"}, {"id": "2", "t": "b"}},
		},
		{
			name:    "ragged rows",
			file:    "m.csv",
			content: "id,t\n1,a\n2,b,c\n3\n4,d\n",
			want: []string{
				"m.csv:2 id=1",
				"err m.csv:3: row has 3 fields, the header has 2 (an unquoted comma inside a value?)",
				"err m.csv:4: row has 1 field, the header has 2 (a missing field, or a line break inside an unquoted value?)",
				"m.csv:5 id=4",
			},
		},
		{
			name:    "bare quote",
			file:    "m.csv",
			content: "id,t\n1,5\" tall\n2,b\n",
			want:    []string{"err m.csv:2: bad CSV quoting at column 4: a \" inside an unquoted field", "m.csv:3 id=2"},
		},
		{
			name:    "text after closing quote",
			file:    "m.csv",
			content: "id,t\n1,\"a\"b\n2,c\n",
			want:    []string{"err m.csv:2: bad CSV quoting at column 5: a quoted field is not closed properly", "m.csv:3 id=2"},
		},
		{
			name:    "unclosed quote runs to the end",
			file:    "m.csv",
			content: "id,t\n1,a\n2,\"b\n3,c\n",
			want:    []string{"m.csv:2 id=1", "err m.csv:3: bad CSV quoting at line 4, column 5: a quoted field is not closed properly"},
		},
		{
			name:    "duplicate and empty header names",
			file:    "m.csv",
			content: " name ,name,,name_2\na,b,c,d\n",
			want:    []string{"m.csv:2 id=m.csv:2"},
			fields:  []map[string]any{{"name": "a", "name_2": "b", "column_3": "c", "name_2_2": "d"}},
		},
		{
			name:    "header only",
			file:    "m.csv",
			content: "id,t\n",
			want:    nil,
		},
		{
			name:    "empty file",
			file:    "m.csv",
			content: "",
			want:    nil,
		},
	})
}

func TestTSV(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name:    "IMDb style",
			file:    "title.basics.tsv",
			content: "tconst\tprimaryTitle\tendYear\ntt1\t\"Bad\" Bugs\t\\N\n\ntt2\tHeat\t1995\n",
			want:    []string{"title.basics.tsv:2 id=title.basics.tsv:2", "title.basics.tsv:4 id=title.basics.tsv:4"},
			fields: []map[string]any{
				{"tconst": "tt1", "primaryTitle": "\"Bad\" Bugs", "endYear": ""},
				{"tconst": "tt2", "primaryTitle": "Heat", "endYear": "1995"},
			},
		},
		{
			name:    "BOM, CRLF, ragged",
			file:    "m.TSV",
			content: "\uFEFFid\tt\r\n1\ta\r\n2\tb\tc\r\n3\r\n4\td",
			opts:    Options{},
			want: []string{
				"m.TSV:2 id=1",
				"err m.TSV:3: row has 3 fields, the header has 2",
				"err m.TSV:4: row has 1 field, the header has 2",
				"m.TSV:5 id=4",
			},
		},
		{
			name:    "duplicate header names",
			file:    "m.tsv",
			content: "a\ta\n1\t2\n",
			want:    []string{"m.tsv:2 id=m.tsv:2"},
			fields:  []map[string]any{{"a": "1", "a_2": "2"}},
		},
		{
			name:    "empty file",
			file:    "m.tsv",
			content: "\n\n",
			want:    nil,
		},
	})
}
