package source

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	xunicode "golang.org/x/text/encoding/unicode"
)

// docKind is how a document file is read, by its extension.
type docKind int

const (
	docNone docKind = iota // not a document: skipped
	docText
	docMarkdown
	docHTML
)

// docKindOf tells how a file is read from its extension (any case).
func docKindOf(name string) docKind {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || strings.ContainsRune(name[dot:], '/') {
		return docNone
	}
	switch strings.ToLower(name[dot:]) {
	case ".txt", ".text":
		return docText
	case ".md", ".markdown":
		return docMarkdown
	case ".html", ".htm":
		return docHTML
	}
	return docNone
}

// maxTitleRunes bounds a title taken from a document's first line.
const maxTitleRunes = 200

// EncodingError is a document file whose bytes are not text salvo can
// read: a byte that is no UTF-8 sequence (and no declared HTML charset or
// UTF-16 byte order mark said otherwise), or a NUL byte, which text never
// holds. It comes inside a *[salvo.RecordError] naming the file.
type EncodingError struct {
	Line   int   // 1-based line of the byte
	Offset int64 // its offset from 0 in the file, or in its text once decoded from UTF-16 or a declared charset
	Byte   byte  // the byte
}

func (e *EncodingError) Error() string {
	if e.Byte == 0 {
		return fmt.Sprintf("not a text file: line %d holds a NUL byte (offset %d)", e.Line, e.Offset)
	}
	return fmt.Sprintf("not UTF-8 text: the byte 0x%02x at line %d (offset %d) starts no UTF-8 sequence; save the file as UTF-8 (from Latin-1: iconv -f LATIN1 -t UTF-8 FILE > NEW)", e.Byte, e.Line, e.Offset)
}

// document is what a file says: its title ("" when it has none) and text.
type document struct {
	title, text string
}

// readDocument decodes raw and extracts the title and text of a document
// of the given kind.
func readDocument(raw []byte, kind docKind) (document, error) {
	s, err := decodeText(raw, kind == docHTML)
	if err != nil {
		return document{}, err
	}
	switch kind {
	case docHTML:
		return htmlDocument(s), nil
	case docMarkdown:
		return markdownDocument(s), nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return document{title: firstLine(s), text: strings.TrimSpace(s)}, nil
}

// decodeText turns raw into UTF-8: a UTF-8 byte order mark is dropped,
// UTF-16 with a byte order mark is decoded, an HTML page is decoded from the
// charset it declares (<meta charset>), and everything else must be UTF-8.
func decodeText(raw []byte, isHTML bool) (string, error) {
	switch {
	case bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}):
		raw = raw[3:]
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}), bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		b, err := xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM).NewDecoder().Bytes(raw)
		if err != nil {
			return "", err
		}
		raw = b
	case isHTML && !utf8.Valid(raw):
		// Without a declaration, the HTML standard reads windows-1252;
		// with one, that charset. Valid UTF-8 is read as UTF-8 whatever
		// the page says: a page mislabelled as Latin-1 is far more common
		// than Latin-1 that happens to be valid UTF-8.
		if enc, name, _ := charset.DetermineEncoding(raw, "text/html"); name != "utf-8" {
			b, err := enc.NewDecoder().Bytes(raw)
			if err != nil {
				return "", err
			}
			raw = b
		}
	}
	return checkText(raw)
}

// checkText returns raw as a string if it is UTF-8 without NUL bytes.
func checkText(raw []byte) (string, error) {
	line, i := 1, 0
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '\n':
			line++
		case c == 0:
			return "", &EncodingError{Line: line, Offset: int64(i), Byte: 0}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				return "", &EncodingError{Line: line, Offset: int64(i), Byte: c}
			}
			i += n
			continue
		}
		i++
	}
	return string(raw), nil
}

// firstLine is the first line of s that holds something, trimmed and cut
// to maxTitleRunes at a word boundary when it is longer.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return shortTitle(t)
		}
	}
	return ""
}

// shortTitle collapses white space and cuts t to maxTitleRunes.
func shortTitle(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	if utf8.RuneCountInString(t) <= maxTitleRunes {
		return t
	}
	cut, n := 0, 0
	for i := range t {
		if n == maxTitleRunes {
			cut = i
			break
		}
		n++
	}
	if sp := strings.LastIndexByte(t[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return t[:cut] + "…"
}

// markdownDocument reads a Markdown file: YAML front matter ("---" lines
// around "key: value" lines at the very start) is not text, but its
// "title:" is the title; else the first heading (ATX "# Title" or Setext,
// outside fenced code); else the first line.
func markdownDocument(s string) document {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var d document
	if rest, title, ok := frontMatter(s); ok {
		s, d.title = rest, title
	}
	d.text = strings.TrimSpace(s)
	if d.title == "" {
		d.title = markdownHeading(s)
	}
	if d.title == "" {
		d.title = firstLine(s)
	}
	return d
}

// frontMatter splits YAML front matter off s.
func frontMatter(s string) (rest, title string, ok bool) {
	if !strings.HasPrefix(s, "---\n") {
		return s, "", false
	}
	body := s[4:]
	for off := 0; off < len(body); {
		end := strings.IndexByte(body[off:], '\n')
		line := body[off:]
		if end >= 0 {
			line = body[off : off+end]
		}
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			if end < 0 {
				return "", title, true
			}
			return body[off+end+1:], title, true
		}
		if k, v, found := strings.Cut(line, ":"); found && strings.TrimSpace(k) == "title" && title == "" {
			title = shortTitle(strings.Trim(strings.TrimSpace(v), `"'`))
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return s, "", false // no closing line: not front matter
}

// markdownHeading returns the text of the first heading of s, or "".
func markdownHeading(s string) string {
	fence, prev := "", ""
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, " \t\n")
		t := strings.TrimLeft(line, " ")
		indented := len(line)-len(t) > 3
		if fence != "" {
			if !indented && strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
			prev = ""
			continue
		}
		if !indented && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")) {
			fence = t[:3]
			prev = ""
			continue
		}
		if !indented {
			if h, ok := atxHeading(t); ok {
				return h
			}
			if prev != "" && t != "" && (strings.Trim(t, "=") == "" || strings.Trim(t, "-") == "" && setextText(prev)) {
				return shortTitle(prev)
			}
		}
		if indented || t == "" {
			prev = ""
		} else {
			prev = t
		}
	}
	return ""
}

// atxHeading reads "# Title #": one to six '#', a blank, the text.
func atxHeading(t string) (string, bool) {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n < len(t) && t[n] != ' ' && t[n] != '\t' {
		return "", false
	}
	h := strings.TrimSpace(t[n:])
	if trimmed := strings.TrimRight(h, "#"); trimmed == "" || strings.HasSuffix(trimmed, " ") {
		h = strings.TrimSpace(trimmed)
	}
	if h == "" {
		return "", false
	}
	return shortTitle(h), true
}

// setextText reports whether a line above "---" is paragraph text, not a
// list item or a quote (then "---" is a rule).
func setextText(prev string) bool {
	switch prev[0] {
	case '-', '*', '+', '>', '#', '|':
		return false
	}
	return !unicode.IsDigit(rune(prev[0])) || !strings.ContainsAny(prev[:min(len(prev), 10)], ".)")
}

// htmlSkipped are the elements whose content is not text to embed.
var htmlSkipped = map[string]bool{
	"script": true, "style": true, "template": true, "noscript": true,
	"svg": true, "math": true, "iframe": true, "object": true,
}

// htmlBreaks is the break an element's start and end make in the text: 1
// a line, 2 a paragraph. Other elements are inline.
var htmlBreaks = map[string]int{
	"br": 1, "li": 1, "dt": 1, "dd": 1, "tr": 1, "option": 1,
	"address": 2, "article": 2, "aside": 2, "blockquote": 2, "body": 2,
	"caption": 2, "details": 2, "dialog": 2, "div": 2, "dl": 2,
	"fieldset": 2, "figcaption": 2, "figure": 2, "footer": 2, "form": 2,
	"h1": 2, "h2": 2, "h3": 2, "h4": 2, "h5": 2, "h6": 2, "header": 2,
	"hgroup": 2, "hr": 2, "html": 2, "main": 2, "nav": 2, "ol": 2, "p": 2,
	"pre": 2, "section": 2, "summary": 2, "table": 2, "ul": 2,
	"td": -1, "th": -1, // cells: a space
}

// htmlDocument reads an HTML page: the text of its body, with scripts,
// styles and templates dropped, white space collapsed as a browser does
// (kept inside <pre>), a line break for <br> and list items, a paragraph
// break between blocks. The title is <title>, else the first heading
// (<h1>…<h6>), else the first line of the text.
func htmlDocument(s string) document {
	z := html.NewTokenizer(strings.NewReader(s))
	var tb textBuilder
	var title, heading strings.Builder
	skip, pre := 0, 0
	inTitle, titleDone, inHeading, preStart := false, false, false, false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := string(z.Text())
			if inTitle {
				if !titleDone {
					title.WriteString(text)
				}
				continue
			}
			if inHeading {
				heading.WriteString(text)
			}
			if preStart {
				text = strings.TrimPrefix(strings.TrimPrefix(text, "\r"), "\n") // as browsers do
				preStart = false
			}
			tb.write(text, pre > 0)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			selfClosing := tt == html.SelfClosingTagToken
			if htmlSkipped[tag] {
				switch {
				case end && skip > 0:
					skip--
				case !end && !selfClosing:
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "title":
				inTitle = !end && !selfClosing
				if end && strings.TrimSpace(title.String()) != "" {
					titleDone = true // only the first <title> counts
				}
				continue
			case "h1", "h2", "h3", "h4", "h5", "h6":
				if !end && heading.Len() == 0 {
					inHeading = true
				} else if end {
					inHeading = false
				}
			case "pre":
				if end && pre > 0 {
					pre--
					tb.trimRight()
				} else if !end && !selfClosing {
					pre++
					preStart = true
				}
			}
			if b, ok := htmlBreaks[tag]; ok {
				tb.brk(b)
			}
		}
	}
	d := document{text: strings.TrimSpace(tb.String())}
	switch {
	case strings.TrimSpace(title.String()) != "":
		d.title = shortTitle(title.String())
	case strings.TrimSpace(heading.String()) != "":
		d.title = shortTitle(heading.String())
	default:
		d.title = firstLine(d.text)
	}
	return d
}

// textBuilder collects the text of a page, collapsing white space and
// breaks.
type textBuilder struct {
	b     []byte
	space bool // white space seen since the last character written
	br    int  // the strongest break asked for since then: 0, 1 or 2
}

// brk asks for a break before the next text: -1 a space, 1 a line, 2 a
// paragraph.
func (t *textBuilder) brk(n int) {
	if n < 0 {
		t.space = true
		return
	}
	t.br = max(t.br, n)
}

// flush writes the pending break or space, if any text came before.
func (t *textBuilder) flush() {
	if len(t.b) > 0 {
		switch {
		case t.br > 0:
			t.b = append(t.b, "\n\n"[:t.br]...)
		case t.space:
			t.b = append(t.b, ' ')
		}
	}
	t.br, t.space = 0, false
}

// write adds the text s: inside <pre> as it is, else with its runs of
// white space collapsed to one space.
func (t *textBuilder) write(s string, pre bool) {
	if pre {
		if s == "" {
			return
		}
		t.flush()
		t.b = append(t.b, strings.ReplaceAll(s, "\r\n", "\n")...)
		return
	}
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' { // HTML's white space; not U+00A0
			t.space = true
			continue
		}
		t.flush()
		t.b = utf8.AppendRune(t.b, r)
	}
}

// trimRight drops the white space a <pre> ends with.
func (t *textBuilder) trimRight() { t.b = bytes.TrimRight(t.b, " \t\r\n") }

func (t *textBuilder) String() string { return string(t.b) }
