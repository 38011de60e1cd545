package render

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"unicode/utf8"
)

// Names of the functions that parseTemplate adds to every template. They start
// with an underscore so they do not clash with anything a user would name.
const (
	getFunc  = "_salvo_get"
	textFunc = "_salvo_text"
)

var funcs = template.FuncMap{
	"join":    join,
	"lower":   func(v any) string { return strings.ToLower(textOf(v)) },
	"upper":   func(v any) string { return strings.ToUpper(textOf(v)) },
	"trim":    func(v any) string { return strings.TrimSpace(textOf(v)) },
	"default": func(fallback, v any) any { return pick(isEmpty(v), fallback, v) },
	"index":   index,
	"len":     length,
	"print":   func(args ...any) string { return fmt.Sprint(printable(args)...) },
	"println": func(args ...any) string { return fmt.Sprintln(printable(args)...) },
	"printf":  func(format string, args ...any) string { return fmt.Sprintf(format, printable(args)...) },
	getFunc:   get,
	textFunc:  textOf,
}

// parseTemplate parses a template and rewrites it so that missing and null values
// print as nothing and lists print as "a, b":
//
//   - every nested field access (.a.b, $x.a, (pipeline).a) becomes a call
//     of getFunc, which yields nil instead of failing on a null or missing
//     parent;
//   - every action that prints gets "| _salvo_text" appended, so a nil value
//     prints as "" rather than text/template's "<no value>".
//
// html/template edits parse trees the same way to add its escapers.
//
// It also returns the fields the template reads, as [Renderer.Fields] does.
func parseTemplate(text string) (t *template.Template, fields []string, all bool, err error) {
	t, err = template.New("text").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, nil, false, parseError(text, err)
	}
	// From the trees as written: the rewrite hides fields in calls.
	fields, all = templateFields(t)
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt.Tree.Root != nil {
			// Only the main template is sure to run with the record as dot.
			rewriteList(tt.Tree.Root, tt == t)
		}
	}
	return t, fields, all, nil
}

func parseError(text string, err error) error {
	if at, action, ok := unclosedAction(text); ok {
		return &TemplateError{Msg: unclosedMessage(text, at, action)}
	}
	msg := strings.Replace(err.Error(), "template: text:", "line ", 1)
	switch {
	case bareName(text, msg) != "":
		name := bareName(text, msg)
		msg += "; a field is written with a dot: {{." + name + "}}; the functions are join, lower, upper, trim, default and Go's template builtins"
	case strings.Contains(msg, "not defined"):
		msg += "; the functions are join, lower, upper, trim, default and Go's template builtins, and a key with spaces is written {{index . \"Major Genre\"}}"
	case strings.Contains(msg, "bad character"), strings.Contains(msg, "unexpected"):
		msg += "; a key that is not a plain word is written {{index . \"release-date\"}}"
	}
	return &TemplateError{Msg: msg}
}

// notDefined is text/template's error for a name it takes for a function.
// Compiled at the first such error, not at every start.
var notDefined = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`function "([A-Za-z_][A-Za-z0-9_]*)" not defined`)
})

// bareName is the name of an undefined function that an action of text
// holds alone ({{title}}, {{ title | upper }}): a field without its dot.
func bareName(text, msg string) string {
	m := notDefined().FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	if regexp.MustCompile(`\{\{-?\s*` + m[1] + `\s*(-?\}\}|\|)`).MatchString(text) {
		return m[1]
	}
	return ""
}

// unclosedMessage says which "{{" (at offset at) has no "}}", and how to
// close it.
func unclosedMessage(text string, at int, action string) string {
	line := 1 + strings.Count(text[:at], "\n")
	col := 1 + utf8.RuneCountInString(text[strings.LastIndexByte(text[:at], '\n')+1:at])
	where := fmt.Sprintf("line %d, column %d", line, col)
	if utf8.RuneCountInString(action) > 40 || strings.ContainsAny(action, "\n`") {
		r := []rune(strings.SplitN(action, "\n", 2)[0])
		return fmt.Sprintf("%s: the `{{` of `%s…` has no matching `}}`: close the action with `}}`", where, string(r[:min(len(r), 30)]))
	}
	return fmt.Sprintf("%s: the `{{` of `%s` has no matching `}}`: write `%s}}`", where, action, strings.TrimSuffix(action, "}"))
}

// rewriteList rewrites the actions of l; atRecord says that dot is the
// record itself there, not an element of range or the value of with.
func rewriteList(l *parse.ListNode, atRecord bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			rewritePipe(n.Pipe, atRecord)
			if len(n.Pipe.Decl) == 0 { // an assignment prints nothing
				n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
					NodeType: parse.NodeCommand, Pos: n.Pos,
					Args: []parse.Node{parse.NewIdentifier(textFunc).SetPos(n.Pos)},
				})
			}
		case *parse.IfNode:
			rewriteBranch(&n.BranchNode, atRecord, atRecord)
		case *parse.RangeNode:
			rewriteBranch(&n.BranchNode, atRecord, false)
		case *parse.WithNode:
			rewriteBranch(&n.BranchNode, atRecord, false)
		case *parse.TemplateNode:
			rewritePipe(n.Pipe, atRecord)
		case *parse.ListNode:
			rewriteList(n, atRecord)
		}
	}
}

// rewriteBranch rewrites an if, range or with; the else branch keeps the
// outer dot.
func rewriteBranch(b *parse.BranchNode, atRecord, inBody bool) {
	rewritePipe(b.Pipe, atRecord)
	rewriteList(b.List, inBody)
	rewriteList(b.ElseList, atRecord)
}

func rewritePipe(p *parse.PipeNode, atRecord bool) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		for i, a := range c.Args {
			// A field with arguments is a method call; leave it to
			// text/template to report.
			if i == 0 && len(c.Args) > 1 {
				continue
			}
			c.Args[i] = rewriteArg(a, atRecord)
		}
	}
}

func rewriteArg(a parse.Node, atRecord bool) parse.Node {
	switch a := a.(type) {
	case *parse.FieldNode:
		if len(a.Ident) == 1 && atRecord {
			// Dot is the record's map: a missing key yields text/template's
			// invalid value, which every consumer takes as nil, and a direct
			// lookup is twice as fast as a call.
			return a
		}
		return getCall(a.Pos, &parse.DotNode{NodeType: parse.NodeDot, Pos: a.Pos}, a.Ident)
	case *parse.VariableNode:
		if len(a.Ident) > 1 {
			v := &parse.VariableNode{NodeType: parse.NodeVariable, Pos: a.Pos, Ident: a.Ident[:1]}
			return getCall(a.Pos, v, a.Ident[1:])
		}
	case *parse.ChainNode:
		return getCall(a.Pos, rewriteArg(a.Node, atRecord), a.Field)
	case *parse.PipeNode:
		rewritePipe(a, atRecord)
	}
	return a
}

// getCall builds the pipeline (_salvo_get RECEIVER "k1" "k2" ...).
func getCall(pos parse.Pos, receiver parse.Node, keys []string) *parse.PipeNode {
	args := make([]parse.Node, 0, 2+len(keys))
	args = append(args, parse.NewIdentifier(getFunc).SetPos(pos), receiver)
	for _, k := range keys {
		args = append(args, &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: strconv.Quote(k), Text: k})
	}
	return &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: pos, Args: args}}}
}

// get follows keys through nested objects; anything missing or not an
// object on the way gives nil.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// index replaces the builtin: keys for objects, numbers for lists, and nil
// rather than an error for anything missing.
func index(v any, keys ...any) any {
	for _, k := range keys {
		switch c := v.(type) {
		case map[string]any:
			s, ok := k.(string)
			if !ok {
				return nil
			}
			v = c[s]
		case []any:
			i, ok := toInt(k)
			if !ok || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// length replaces the builtin len so that a missing value has length 0
// instead of failing the record.
func length(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		return len(v)
	case json.Number:
		return len(v)
	case []any:
		return len(v)
	case []string:
		return len(v)
	case map[string]any:
		return len(v)
	}
	return len(textOf(v))
}

func toInt(k any) (int, bool) {
	switch k := k.(type) {
	case int:
		return k, true
	case int64:
		return int(k), true
	case json.Number:
		n, err := k.Int64()
		return int(n), err == nil
	case string:
		n, err := strconv.Atoi(k)
		return n, err == nil
	}
	return 0, false
}

// join prints the elements of a list separated by sep. It takes the list
// first ({{join .genres ", "}}) or last ({{.genres | join ", "}}).
func join(a, b any) string {
	list, sep := a, b
	if _, ok := b.(string); !ok {
		list, sep = b, a
	}
	s := textOf(sep)
	switch l := list.(type) {
	case []any:
		parts := make([]string, 0, len(l))
		for _, e := range l {
			if e != nil {
				parts = append(parts, textOf(e))
			}
		}
		return strings.Join(parts, s)
	case []string:
		return strings.Join(l, s)
	}
	return textOf(list)
}

// printable makes print's arguments print like everything else: nothing for
// nil, "a, b" for lists, JSON for objects.
func printable(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case nil, []any, []string, map[string]any:
			out[i] = textOf(a)
		default:
			out[i] = a
		}
	}
	return out
}

func pick(cond bool, a, b any) any {
	if cond {
		return a
	}
	return b
}
