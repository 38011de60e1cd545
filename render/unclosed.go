package render

import "strings"

// unclosedAction finds the first "{{" of text whose action is not closed
// by "}}": one closed by a single brace ({{.title} …), or one still open
// at the end. It follows the action's strings, raw strings, characters
// and comments as text/template's lexer does, and returns the offset of
// the "{{" and the action's text up to where it went wrong.
func unclosedAction(text string) (at int, action string, ok bool) {
	for i := 0; i < len(text); {
		open := strings.Index(text[i:], "{{")
		if open < 0 {
			return 0, "", false
		}
		open += i
		j := open + 2
	scan:
		for {
			if j >= len(text) {
				return open, strings.TrimRight(text[open:], " \t\r\n"), true
			}
			switch c := text[j]; c {
			case '"', '\'':
				j++
				for j < len(text) && text[j] != c && text[j] != '\n' {
					if text[j] == '\\' {
						j++
					}
					j++
				}
				j++
			case '`':
				end := strings.IndexByte(text[j+1:], '`')
				if end < 0 {
					return open, strings.TrimRight(text[open:], " \t\r\n"), true
				}
				j += end + 2
			case '/':
				if strings.HasPrefix(text[j:], "/*") {
					end := strings.Index(text[j+2:], "*/")
					if end < 0 {
						return open, strings.TrimRight(text[open:], " \t\r\n"), true
					}
					j += end + 4
					continue
				}
				j++
			case '}':
				if strings.HasPrefix(text[j:], "}}") {
					i = j + 2
					break scan
				}
				return open, text[open : j+1], true
			default:
				j++
			}
		}
	}
	return 0, "", false
}
