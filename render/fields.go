package render

import (
	"slices"
	"text/template"
	"text/template/parse"
)

// Fields returns the top-level fields of a record that [Renderer.Render]
// can read: those a template names, the fields listed, or "text". A reader
// may set every other field to nil (see source.Options.Fields): the texts
// and errors stay the same.
//
// all is true when the renderer may read any field, as a template does
// that hands the whole record to range, to index with a key that is not a
// constant, or to a function ({{range .}}, {{index . $k}}, {{printf "%v" .}}).
// Otherwise names is sorted and not nil, though it may be empty.
func (r *Renderer) Fields() (names []string, all bool) {
	if r.allFields {
		return nil, true
	}
	return slices.Clone(r.fieldNames), false
}

// templateFields finds the fields that t can read, from the parse trees as
// the user wrote them (before parseTemplate rewrites them).
func templateFields(t *template.Template) (names []string, all bool) {
	s := fieldScan{names: map[string]bool{}}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt.Tree.Root != nil {
			// As in parseTemplate: only the main template starts with the
			// record as dot. Another gets it only when passed the record
			// itself, which counts as reading every field.
			s.list(tt.Tree.Root, tt == t)
		}
	}
	if s.all {
		return nil, true
	}
	names = make([]string, 0, len(s.names))
	for n := range s.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, false
}

// fieldScan walks parse trees. Wherever it cannot follow what a node does
// with the record, it sets all: a field left out would print wrongly, an
// extra field costs only a little time.
type fieldScan struct {
	names map[string]bool
	all   bool
}

// list scans the nodes of l; atRecord says that dot is the record there.
func (s *fieldScan) list(l *parse.ListNode, atRecord bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			s.pipe(n.Pipe, atRecord)
		case *parse.IfNode:
			s.branch(&n.BranchNode, atRecord, atRecord)
		case *parse.RangeNode:
			s.branch(&n.BranchNode, atRecord, false)
		case *parse.WithNode:
			s.branch(&n.BranchNode, atRecord, false)
		case *parse.TemplateNode:
			s.pipe(n.Pipe, atRecord)
		case *parse.ListNode:
			s.list(n, atRecord)
		case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
		default:
			s.all = true
		}
	}
}

// branch scans an if, range or with: in the body of range and with, dot is
// the value of the pipeline; the else branch keeps the outer dot.
func (s *fieldScan) branch(b *parse.BranchNode, atRecord, inBody bool) {
	s.pipe(b.Pipe, atRecord)
	s.list(b.List, inBody)
	s.list(b.ElseList, atRecord)
}

func (s *fieldScan) pipe(p *parse.PipeNode, atRecord bool) {
	if p == nil {
		return
	}
	for i, c := range p.Cmds {
		args := c.Args
		// index RECORD "key" ... reads one field. Only in the first
		// command: a later one gets the value piped in as its last
		// argument, a key not known here.
		if i == 0 && len(args) >= 3 && isFunc(args[0], "index") && s.isRecord(args[1], atRecord) {
			if key, ok := args[2].(*parse.StringNode); ok {
				s.names[key.Text] = true
				args = args[3:]
			}
		}
		for _, a := range args {
			s.arg(a, atRecord)
		}
	}
}

func (s *fieldScan) arg(n parse.Node, atRecord bool) {
	switch n := n.(type) {
	case *parse.FieldNode: // .a or .a.b
		if atRecord {
			s.names[n.Ident[0]] = true
		}
	case *parse.VariableNode: // $x, $x.a, $ or $.a
		if n.Ident[0] == "$" {
			// $ is the record in the main template. Elsewhere it is what
			// the template was given; taking it for the record then only
			// adds fields.
			if len(n.Ident) == 1 {
				s.all = true
			} else {
				s.names[n.Ident[1]] = true
			}
		}
	case *parse.DotNode:
		if atRecord {
			s.all = true
		}
	case *parse.ChainNode: // (pipeline).a
		s.arg(n.Node, atRecord)
	case *parse.PipeNode:
		s.pipe(n, atRecord)
	case *parse.IdentifierNode, *parse.StringNode, *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
	default:
		s.all = true
	}
}

// isRecord reports whether n stands for the record: dot where dot is the
// record, or $.
func (s *fieldScan) isRecord(n parse.Node, atRecord bool) bool {
	switch n := n.(type) {
	case *parse.DotNode:
		return atRecord
	case *parse.VariableNode:
		return len(n.Ident) == 1 && n.Ident[0] == "$"
	}
	return false
}

func isFunc(n parse.Node, name string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && id.Ident == name
}
